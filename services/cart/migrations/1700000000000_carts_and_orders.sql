-- Up Migration
CREATE TABLE carts (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cart_items (
  cart_id          uuid NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
  sku              text NOT NULL,
  quantity         integer NOT NULL CHECK (quantity > 0),
  unit_price_cents integer NOT NULL CHECK (unit_price_cents > 0),
  added_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cart_id, sku)
);

-- One order per checkout attempt (per Idempotency-Key). `pending` means not paid and safe to
-- retry with the same key; `locked_until` is the lease a request holds while it calls payment.
CREATE TABLE orders (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  cart_id             uuid NOT NULL REFERENCES carts (id),
  user_id             text NOT NULL,
  idempotency_key     text NOT NULL UNIQUE,
  request_fingerprint text NOT NULL,
  amount_cents        bigint NOT NULL CHECK (amount_cents > 0),
  currency            text NOT NULL,
  payment_method      text NOT NULL,
  status              text NOT NULL CHECK (status IN ('pending', 'paid', 'declined')),
  payment_id          text,
  decline_code        text,
  locked_until        timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- A cart is paid at most once, and has at most one unfinished checkout at a time: a second
-- key cannot start a second charge while the first may still succeed.
CREATE UNIQUE INDEX orders_one_open_per_cart ON orders (cart_id) WHERE status IN ('pending', 'paid');

-- Down Migration
DROP TABLE orders;
DROP TABLE cart_items;
DROP TABLE carts;
