import { BillingAddressStore, BillingStoreCancelledError, BillingStoreTimeoutError } from '@checkout-lab/billing-store';
import type { CheckResult } from '@checkout-lab/contracts';

/**
 * The store's ping (SQL `SELECT 1`, DynamoDB a key read; never the lookup, a table scan on the
 * legacy profile): `down` when the store cannot be reached
 * or refuses (SQL: connection refused, authentication failed; DynamoDB: the endpoint refuses
 * connections); `slow` when it times out or no pooled connection came free in time, as a slow
 * store (the legacy SQL server is, by design) still answers lookups.
 */
export async function probeStore(store: BillingAddressStore, timeoutMs: number): Promise<CheckResult> {
  try {
    // The signal lets the SQL store drop the probe while it waits for a busy pool.
    await store.ping({ signal: AbortSignal.timeout(timeoutMs) });
    return 'ok';
  } catch (error) {
    if (error instanceof BillingStoreTimeoutError || error instanceof BillingStoreCancelledError) return 'slow';
    return 'down';
  }
}
