/**
 * The log-normal latency model of a card authorisation, given by its median and 99th percentile.
 */
import type { Random } from '@checkout-lab/config';

export interface LatencyDistribution {
  medianMs: number;
  p99Ms: number;
}

/** The 99th percentile of the standard normal distribution. */
export const Z_99 = 2.3263;

/**
 * Log-normal: ln(latency) ~ N(mu, sigma²) with mu = ln(median) and sigma = ln(p99 / median) / z99,
 * so the median and the 99th percentile are the configured ones. The tail to the right is long,
 * as service latencies are.
 */
export function logNormalSampler({ medianMs, p99Ms }: LatencyDistribution, random: Random): () => number {
  if (!(medianMs >= 0) || !(p99Ms >= medianMs)) {
    throw new RangeError(`latency needs 0 <= medianMs <= p99Ms (got median ${medianMs}, p99 ${p99Ms})`);
  }
  if (medianMs === 0) return () => 0;
  const sigma = Math.log(p99Ms / medianMs) / Z_99;
  return () => medianMs * Math.exp(sigma * standardNormal(random));
}

/** Box-Muller transform. */
function standardNormal(random: Random): number {
  const u1 = 1 - random(); // (0, 1]: keeps log() finite
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
