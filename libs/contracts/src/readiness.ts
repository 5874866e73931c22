/** Readiness checks the services share: a cached, time-limited check, and the gRPC health probe. */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { createHealthClient } from './grpc';

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
 * Another service's grpc.health.v1 Check: `down` when it is unreachable or answers anything but
 * SERVING, `slow` when it does not answer within the deadline. A fresh channel per probe (probes
 * are cached), so a service that comes back is seen at once, not after a reconnect backoff.
 */
export async function probeGrpcHealth(address: string, timeoutMs: number): Promise<CheckResult> {
  const client = createHealthClient(address);
  try {
    return await new Promise<CheckResult>((resolve) => {
      client.check({ service: '' }, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) resolve(error.code === GrpcStatus.DEADLINE_EXCEEDED ? 'slow' : 'down');
        else resolve(response?.status === 'SERVING' ? 'ok' : 'down');
      });
    });
  } finally {
    client.close();
  }
}
