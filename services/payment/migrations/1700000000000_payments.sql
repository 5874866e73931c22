-- Up Migration
CREATE TABLE payments (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  idempotency_key          text NOT NULL UNIQUE,
  request_fingerprint      text NOT NULL,
  order_id                 text NOT NULL,
  user_id                  text NOT NULL,
  amount_cents             bigint NOT NULL CHECK (amount_cents > 0),
  currency                 text NOT NULL,
  payment_method           text NOT NULL,
  status                   text NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined')),
  decline_code             text,
  stripe_payment_intent_id text,
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_id_idx ON payments (order_id);

-- Down Migration
DROP TABLE payments;
