import { BillingAddressStore, BillingStoreCancelledError, BillingStoreTimeoutError } from '@checkout-lab/billing-store';

/** What one dependency check found. `slow`: it did not answer within the timeout, which is not "down". */
export type CheckResult = 'ok' | 'slow' | 'down';

/** How long one dependency check may take before it counts as slow. */
export const CHECK_TIMEOUT_MS = 1_000;
/** How long a check's result is reused, so a storm of probes does not reach the dependency per probe. */
export const CHECK_CACHE_MS = 1_000;

/**
 * One dependency check, time-limited and cached: at most one probe in flight, its result reused
 * for CHECK_CACHE_MS; a probe still running after CHECK_TIMEOUT_MS answers `slow` (it keeps
 * running, and its result is cached when it comes). A probe that throws counts as `down`.
 */
export class CachedCheck {
  private cached: { result: CheckResult; at: number } | undefined;
  private inflight: Promise<CheckResult> | undefined;

  constructor(
    private readonly probe: (timeoutMs: number) => Promise<CheckResult>,
    private readonly options: { timeoutMs: number; cacheMs: number } = { timeoutMs: CHECK_TIMEOUT_MS, cacheMs: CHECK_CACHE_MS },
  ) {}

  async run(): Promise<CheckResult> {
    const { cached } = this;
    if (cached && Date.now() - cached.at < this.options.cacheMs) return cached.result;
    this.inflight ??= this.probe(this.options.timeoutMs)
      .catch((): CheckResult => 'down')
      .then((result) => {
        this.cached = { result, at: Date.now() };
        this.inflight = undefined;
        return result;
      });
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => resolve('slow'), this.options.timeoutMs);
    });
    const result = await Promise.race([this.inflight, slow]);
    clearTimeout(timer);
    if (result === 'slow') this.cached = { result, at: Date.now() };
    return result;
  }
}

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
