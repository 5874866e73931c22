/**
 * What clients saw during one fault, from every request of the load: status codes over time, and
 * how long after the fault's end the first checkout succeeded and the stack was back to its
 * pre-fault state. Pure functions over the request samples, so the rules are tested on their own.
 */

export type FlowStepName = 'create_cart' | 'add_item' | 'checkout';

/** One request the load generator sent; times in ms from the start of the load. */
export interface RequestSample {
  step: FlowStepName;
  startMs: number;
  endMs: number;
  /** The HTTP status; 0 when no response came (connection refused or reset). */
  status: number;
}

/** Status codes of the requests started in one time bucket. */
export interface TimelineBucket {
  fromS: number;
  toS: number;
  requests: number;
  /** Count by status code ("0" for no response). */
  statuses: Record<string, number>;
  checkouts: number;
  checkoutsOk: number;
}

export interface RecoveryRule {
  /** Width of the windows the steady-state rule looks at (ms). */
  windowMs: number;
  /** A window is steady when its share of failed requests exceeds the pre-fault share by at most this. */
  errorShareSlack: number;
  /** … and its median checkout latency is at most this many times the pre-fault median (when it has ≥ 3 checkouts). */
  latencyFactor: number;
}

export const DEFAULT_RECOVERY_RULE: RecoveryRule = { windowMs: 2000, errorShareSlack: 0.05, latencyFactor: 2 };

export interface Recovery {
  /** Before the fault: share of requests that failed (not 2xx), and the median checkout latency. */
  before: { requests: number; errorShare: number; checkoutP50Ms: number | null };
  during: { requests: number; errorShare: number };
  /** From the fault's end to the end of the first checkout started after it that was answered 2xx (null: none was). */
  firstSuccessS: number | null;
  /**
   * From the fault's end to the start of the first window from which every window until the end
   * of the load is steady (null: the stack never got back to its pre-fault state).
   */
  steadyStateS: number | null;
}

export function isSuccess(sample: RequestSample): boolean {
  return sample.status >= 200 && sample.status < 300;
}

/** Requests bucketed by start time (`bucketMs` wide) from 0 to `untilMs`. */
export function timeline(samples: readonly RequestSample[], untilMs: number, bucketMs = 1000): TimelineBucket[] {
  const count = Math.max(1, Math.ceil(untilMs / bucketMs));
  const buckets: TimelineBucket[] = Array.from({ length: count }, (_, i) => ({
    fromS: (i * bucketMs) / 1000,
    toS: ((i + 1) * bucketMs) / 1000,
    requests: 0,
    statuses: {},
    checkouts: 0,
    checkoutsOk: 0,
  }));
  for (const sample of samples) {
    const bucket = buckets[Math.min(count - 1, Math.max(0, Math.floor(sample.startMs / bucketMs)))] as TimelineBucket;
    bucket.requests++;
    const key = String(sample.status);
    bucket.statuses[key] = (bucket.statuses[key] ?? 0) + 1;
    if (sample.step === 'checkout') {
      bucket.checkouts++;
      if (isSuccess(sample)) bucket.checkoutsOk++;
    }
  }
  return buckets;
}

/**
 * Recovery from a fault that lasted from `faultStartMs` to `faultEndMs` (equal for an instant
 * fault such as a kill), in a load that ran until `loadEndMs`:
 * - first success: the first checkout started at or after the fault's end and answered 2xx, at its
 *   end (one already in flight when a service was killed may still succeed: it proves nothing);
 * - steady state: windows of `rule.windowMs` from the fault's end, by request start; a window is
 *   steady when it has requests, its failed share is at most the pre-fault share plus
 *   `errorShareSlack`, and (with ≥ 3 checkouts) its median checkout latency is at most
 *   `latencyFactor` × the pre-fault median. Steady state starts at the first window from which all
 *   later ones are steady. The last window is left out when less than half of it lies in the load.
 */
export function recovery(
  samples: readonly RequestSample[],
  window: { faultStartMs: number; faultEndMs: number; loadEndMs: number },
  rule: RecoveryRule = DEFAULT_RECOVERY_RULE,
): Recovery {
  const before = samples.filter((s) => s.startMs < window.faultStartMs);
  const during = samples.filter((s) => s.startMs >= window.faultStartMs && s.startMs < window.faultEndMs);
  const beforeShare = errorShare(before);
  const beforeP50 = median(before.filter((s) => s.step === 'checkout' && isSuccess(s)).map((s) => s.endMs - s.startMs));

  const firstOk = samples
    .filter((s) => s.step === 'checkout' && isSuccess(s) && s.startMs >= window.faultEndMs)
    .reduce<number | null>((min, s) => (min === null || s.endMs < min ? s.endMs : min), null);

  const windows: boolean[] = [];
  for (let from = window.faultEndMs; window.loadEndMs - from >= rule.windowMs / 2; from += rule.windowMs) {
    const inWindow = samples.filter((s) => s.startMs >= from && s.startMs < from + rule.windowMs);
    const checkoutLatencies = inWindow.filter((s) => s.step === 'checkout' && isSuccess(s)).map((s) => s.endMs - s.startMs);
    const p50 = median(checkoutLatencies);
    const latencyOk = checkoutLatencies.length < 3 || beforeP50 === null || p50 === null || p50 <= rule.latencyFactor * beforeP50;
    windows.push(inWindow.length > 0 && errorShare(inWindow) <= beforeShare + rule.errorShareSlack && latencyOk);
  }
  let steadyFrom: number | null = null;
  for (let i = windows.length - 1; i >= 0 && windows[i]; i--) steadyFrom = i;

  return {
    before: { requests: before.length, errorShare: beforeShare, checkoutP50Ms: beforeP50 },
    during: { requests: during.length, errorShare: errorShare(during) },
    firstSuccessS: firstOk === null ? null : round((firstOk - window.faultEndMs) / 1000),
    steadyStateS: steadyFrom === null ? null : round((steadyFrom * rule.windowMs) / 1000),
  };
}

function errorShare(samples: readonly RequestSample[]): number {
  return samples.length === 0 ? 0 : samples.filter((s) => !isSuccess(s)).length / samples.length;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
