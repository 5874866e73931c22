/**
 * Randomness for the double: a seedable uniform generator, and the log-normal latency model of a
 * card authorisation given by its median and 99th percentile.
 */

/** Uniform in [0, 1). */
export type Random = () => number;

/** mulberry32: small, fast and good enough for simulation; the same seed gives the same sequence. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
