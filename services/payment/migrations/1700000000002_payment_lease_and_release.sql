-- Up Migration
-- Reconciliation (issue 14): a payment-level lease and a final `canceled` status.
-- `locked_until`/`lease_token`: the lease an Authorize takes before it calls billing or Stripe, and
-- the reconciler takes before it asks Stripe (the same UPDATE … WHERE the lease has expired, so
-- the two never work on one payment at once); the token fences the reconciler's release.
-- `attempted_at`: when an Authorize last took the lease (the reconciler's age threshold counts from
-- it). `canceled` with `cancel_reason` (e.g. `abandoned`): released unpaid, never to be charged.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('pending', 'succeeded', 'declined', 'canceled'));
ALTER TABLE payments ADD COLUMN locked_until timestamptz;
ALTER TABLE payments ADD COLUMN lease_token uuid;
ALTER TABLE payments ADD COLUMN attempted_at timestamptz;
ALTER TABLE payments ADD COLUMN cancel_reason text;
CREATE INDEX payments_pending_idx ON payments (created_at) WHERE status = 'pending';

-- Down Migration
DROP INDEX payments_pending_idx;
ALTER TABLE payments DROP COLUMN cancel_reason;
ALTER TABLE payments DROP COLUMN attempted_at;
ALTER TABLE payments DROP COLUMN lease_token;
ALTER TABLE payments DROP COLUMN locked_until;
DELETE FROM payments WHERE status = 'canceled';
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('pending', 'succeeded', 'declined'));
