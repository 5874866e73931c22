-- Up Migration
-- A checkout that payment refused for good (an unknown payment method, a request the provider
-- rejects) ends `failed` with a reason: it no longer blocks the cart, and the same key replays it.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('pending', 'paid', 'declined', 'failed'));
ALTER TABLE orders ADD COLUMN failure_code text;

-- Down Migration
ALTER TABLE orders DROP COLUMN failure_code;
DELETE FROM orders WHERE status = 'failed';
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('pending', 'paid', 'declined'));
