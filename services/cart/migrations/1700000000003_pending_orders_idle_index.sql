-- Up Migration
-- Reconciliation (issue 14): cart's reconciler looks for pending orders nobody has touched for a
-- while (updated_at moves whenever a request takes or gives up an order's lease).
CREATE INDEX orders_pending_idle_idx ON orders (updated_at) WHERE status = 'pending';

-- Down Migration
DROP INDEX orders_pending_idle_idx;
