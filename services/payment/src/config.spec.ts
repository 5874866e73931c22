import { ConfigError } from '@checkout-lab/config';
import { loadConfig } from './config';

const base = { DATABASE_URL: 'postgres://lab:lab@127.0.0.1:5432/payment' };

describe('payment config: reconciliation', () => {
  it('defaults to a pass every 30 s, a 60 s threshold, and a lease longer than the longest Authorize', () => {
    const { reconcile } = loadConfig(base);
    expect(reconcile).toEqual({ intervalMs: 30_000, afterMs: 60_000, leaseMs: 67_000 });
  });

  it('derives the lease from the billing deadline, the Stripe timeout and retries, and the database timeouts', () => {
    const { reconcile } = loadConfig({
      ...base,
      BILLING_DEADLINE_MS: '1000',
      STRIPE_TIMEOUT_MS: '3000',
      STRIPE_MAX_NETWORK_RETRIES: '2',
      DB_CONNECT_TIMEOUT_MS: '500',
      DB_STATEMENT_TIMEOUT_MS: '500',
    });
    // 1 000 + 2 × (3 000 × 3 + 2 × 5 000) + 2 × (500 + 500 + 1 000) + 5 000
    expect(reconcile.leaseMs).toBe(48_000);
  });

  it('turns the reconciler off with interval 0 and refuses a bad threshold, naming it', () => {
    expect(loadConfig({ ...base, PAYMENT_RECONCILE_INTERVAL_MS: '0' }).reconcile.intervalMs).toBe(0);
    expect(() => loadConfig({ ...base, PAYMENT_RECONCILE_AFTER_MS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, PAYMENT_RECONCILE_INTERVAL_MS: '-1' })).toThrow(/PAYMENT_RECONCILE_INTERVAL_MS/);
  });
});
