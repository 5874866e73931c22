-- Up Migration
-- The Stripe PaymentMethod a payment's PaymentIntent is (or was) created with. Stored before the
-- PaymentIntent request, so a retry sends the very same parameters under the same Stripe
-- idempotency key (a replay, never a second charge), even if the billing address changed meanwhile.
ALTER TABLE payments ADD COLUMN stripe_payment_method_id text;

-- Down Migration
ALTER TABLE payments DROP COLUMN stripe_payment_method_id;
