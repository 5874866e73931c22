/**
 * The statistics the report uses, in one place so each definition is written down once.
 *
 * Percentiles use linear interpolation between the two nearest ranks (Hyndman & Fan type 7,
 * numpy's default). k6 computes its Trend percentiles the same way, so a percentile the report
 * computes from raw values agrees with the one k6 (and the built-in driver) prints for them.
 *
 * Comparisons take the run as the unit (requests within a run are correlated):
 * - a latency or duration is compared as a ratio of means of per-run values, with its interval
 *   built on the log scale (`compareRatio`), so it can never leave (−100 %, +∞);
 * - a rate (timeouts, successes) is compared as counts pooled over runs, with the run-to-run
 *   spread beyond binomial folded in as a dispersion factor (`compareRates`).
 * Each also states the smallest change the design can detect (80 % power at the 5 % level).
 */

/** The p-th percentile (p in 0…100) of values, by linear interpolation between closest ranks. NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  return percentileOfSorted([...values].sort((a, b) => a - b), p);
}

/** As percentile, for values already sorted ascending (no copy). */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const clamped = Math.min(100, Math.max(0, p));
  const rank = (clamped / 100) * (n - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (rank - lower);
}

/** Arithmetic mean; NaN when empty. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample variance (n − 1 in the denominator); 0 for fewer than two values. */
export function variance(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return sum / (values.length - 1);
}

export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

/** Count, mean and the report's percentiles of a sample (NaN fields when empty). */
export function describe(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    mean: mean(sorted),
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    min: sorted.length ? (sorted[0] as number) : Number.NaN,
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

/** Which way is better for a metric. */
export type Direction = 'lower_is_better' | 'higher_is_better';

export type Verdict = 'improved' | 'regressed' | 'no_significant_change' | 'too_few_repetitions';

/** Fewest valid runs per side that earn an interval and a verdict. */
export const MIN_REPETITIONS = 3;
/** Two-sided level of every interval, and the power at which the smallest detectable change is stated. */
export const ALPHA = 0.05;
export const POWER = 0.8;

// ---------------------------------------------------------------------------------------------
// Ratios of means (latencies, durations, per-run percentiles)

export interface RatioEstimate {
  baselineMean: number;
  candidateMean: number;
  baselineN: number;
  candidateN: number;
  /** candidateMean / baselineMean. */
  ratio: number;
  /** (ratio − 1) × 100. */
  changePct: number;
  /** 95 % interval of the ratio; undefined with too few runs. Always inside (0, +∞). */
  ci95Ratio?: [number, number];
  /** ci95Ratio as changes in percent: always inside (−100 %, +∞). */
  ci95Pct?: [number, number];
  /** Degrees of freedom of the log ratio's t: n_b + n_c − 2, or Welch–Satterthwaite for unequal n. */
  df?: number;
  /**
   * The smallest change (in percent, upward; a fall of the same size on the log scale is
   * 1 − 1/(1 + x)) that this design detects with 80 % power at the 5 % level, from the observed
   * run-to-run spread at these repetitions.
   */
  minDetectablePct?: number;
  verdict: Verdict;
}

/**
 * Ratio of means of per-run values, candidate over baseline, with runs as the unit.
 *
 * The interval is built on log(ratio): by the delta method the variance of log(mean) is the
 * squared coefficient of variation of the runs over n, so
 *   SE² = s_b² / (n_b · m_b²) + s_c² / (n_c · m_c²),
 * and the 95 % interval is exp(log ratio ± t · SE). With as many runs on each side (the design)
 * t has n_b + n_c − 2 degrees of freedom: with equal sizes this SE is the pooled one, and
 * Student's t is robust to unequal spreads; with unequal sizes (a run was invalid) the
 * Welch–Satterthwaite degrees of freedom. Fixed degrees of freedom also make the stated power
 * (and so the smallest detectable change) the one the test really has; the simulation tests
 * check both against thousands of synthetic experiments.
 * Back on the ratio scale it is positive by construction: a latency can never fall by 100 %.
 * (Fieller's interval, which Kalibera & Jones also recommend, can be unbounded or cross zero
 * when the baseline is noisy; the log-scale interval cannot.) The verdict is "improved" or
 * "regressed" only when the interval excludes 1, read in the metric's direction.
 */
export function compareRatio(
  baseline: readonly number[],
  candidate: readonly number[],
  direction: Direction,
  options: { minRepetitions?: number } = {},
): RatioEstimate {
  const minRepetitions = options.minRepetitions ?? MIN_REPETITIONS;
  const baselineMean = mean(baseline);
  const candidateMean = mean(candidate);
  const ratio = candidateMean / baselineMean;
  const base = {
    baselineMean,
    candidateMean,
    baselineN: baseline.length,
    candidateN: candidate.length,
    ratio,
    changePct: (ratio - 1) * 100,
  };
  if (baseline.length < minRepetitions || candidate.length < minRepetitions) return { ...base, verdict: 'too_few_repetitions' };
  if (!(baselineMean > 0) || !(candidateMean > 0)) {
    throw new RangeError(`a ratio needs positive means (baseline ${baselineMean}, candidate ${candidateMean})`);
  }
  const vb = variance(baseline) / (baseline.length * baselineMean ** 2);
  const vc = variance(candidate) / (candidate.length * candidateMean ** 2);
  const se = Math.sqrt(vb + vc);
  const df = ratioDegreesOfFreedom(baseline.length, candidate.length, vb, vc);
  const t = studentTQuantile(1 - ALPHA / 2, df);
  const log = Math.log(ratio);
  const ci95Ratio: [number, number] = [Math.exp(log - t * se), Math.exp(log + t * se)];
  const ci95Pct: [number, number] = [(ci95Ratio[0] - 1) * 100, (ci95Ratio[1] - 1) * 100];
  const verdict = verdictOf(ci95Ratio[0] > 1 ? 'up' : ci95Ratio[1] < 1 ? 'down' : 'none', direction);
  const minDetectablePct = (Math.exp(minDetectableShift(df) * se) - 1) * 100;
  return { ...base, ci95Ratio, ci95Pct, df, minDetectablePct, verdict };
}

function ratioDegreesOfFreedom(nb: number, nc: number, vb: number, vc: number): number {
  if (nb === nc) return nb + nc - 2;
  if (vb + vc === 0) return Number.POSITIVE_INFINITY;
  return (vb + vc) ** 2 / (vb ** 2 / (nb - 1) + vc ** 2 / (nc - 1));
}

/**
 * The true shift, in standard errors, that a two-sided t test at level ALPHA detects with
 * probability POWER (noncentral t with df degrees of freedom).
 */
export function minDetectableShift(df: number, alpha = ALPHA, power = POWER): number {
  const key = `${df}/${alpha}/${power}`;
  const known = detectableShifts.get(key);
  if (known !== undefined) return known;
  let low = 0;
  let high = 50;
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (powerOfTTest(mid, df, alpha) < power) low = mid;
    else high = mid;
  }
  const shift = (low + high) / 2;
  if (detectableShifts.size < 1000) detectableShifts.set(key, shift);
  return shift;
}
const detectableShifts = new Map<string, number>();

/**
 * Probability that a two-sided t test at level alpha rejects, when the true effect is `shift`
 * standard errors: P(|T| > t_{1−α/2}) for T noncentral t(df, shift), integrated over the χ²
 * distribution of the variance estimate.
 */
export function powerOfTTest(shift: number, df: number, alpha = ALPHA): number {
  const c = studentTQuantile(1 - alpha / 2, df);
  if (!Number.isFinite(df) || df > 1e4) return 1 - normalCdf(c - shift) + normalCdf(-c - shift);
  // T = (Z + shift) / sqrt(V/df), V ~ χ²(df). Substituting V = w² makes the integrand smooth at 0.
  const logNorm = (df / 2 - 1) * Math.LN2 + lnGamma(df / 2);
  const upper = Math.sqrt(df) + 12;
  const steps = 400;
  const h = upper / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const w = i * h;
    const density = w === 0 ? (df === 1 ? Math.exp(-logNorm) : 0) : Math.exp((df - 1) * Math.log(w) - (w * w) / 2 - logNorm);
    const scale = w / Math.sqrt(df);
    const reject = 1 - normalCdf(c * scale - shift) + normalCdf(-c * scale - shift);
    sum += (i === 0 || i === steps ? 1 : i % 2 ? 4 : 2) * density * reject;
  }
  return Math.min(1, (sum * h) / 3);
}

// ---------------------------------------------------------------------------------------------
// Rates from counts (timeouts, successes, errors)

/** One run's count: `events` of `trials` (for example 3 timeouts of 180 checkouts). */
export interface RunCount {
  events: number;
  trials: number;
}

export interface RateEstimate {
  /** Pooled rate per side: Σ events / Σ trials. */
  baselineRate: number;
  candidateRate: number;
  baselineEvents: number;
  candidateEvents: number;
  baselineTrials: number;
  candidateTrials: number;
  baselineN: number;
  candidateN: number;
  /** candidateRate − baselineRate (a fraction: 0.01 is one percentage point). */
  difference: number;
  /** 95 % interval of the difference; undefined with too few runs. */
  ci95?: [number, number];
  /** Run-to-run variance over the binomial's (quasi-binomial φ, at least 0.25), pooled over both sides. */
  dispersion?: number;
  /**
   * Smallest difference (fraction) detectable with 80 % power at the 5 % level, away from the
   * rate nearest 0 or 1 (∞ when no possible change would be detected).
   */
  minDetectableDifference?: number;
  verdict: Verdict;
}

/**
 * Difference of two rates from per-run counts, allowing for run-to-run overdispersion.
 *
 * Counts are pooled per side. The spread between runs beyond what a binomial would give is
 * estimated as a quasi-binomial dispersion φ: the Pearson χ² of the runs around their side's
 * pooled rate over its degrees of freedom, pooled over both sides (a side at rate 0 or 1 has no
 * spread to measure and adds none). Each side's count is deflated to its effective size
 * (events/φ of trials/φ, Kish's design effect), and the interval of the difference is Newcombe's
 * hybrid score interval (his method 10) built from the two Wilson intervals of the effective
 * counts: it behaves at a rate of 0, where the Wald interval collapses. As in R's
 * glm(family = quasibinomial), φ is not floored at 1 and the critical value is Student's t on
 * φ's degrees of freedom (z when φ cannot be estimated), which keeps the false-verdict rate at
 * 5 % for binomial and for overdispersed runs alike (simulation tests in stats.spec.ts); a φ
 * below a quarter is taken as a quarter, as underdispersion that strong is chance with few runs.
 */
export function compareRates(
  baseline: readonly RunCount[],
  candidate: readonly RunCount[],
  direction: Direction,
  options: { minRepetitions?: number } = {},
): RateEstimate {
  const minRepetitions = options.minRepetitions ?? MIN_REPETITIONS;
  const pool = (runs: readonly RunCount[]) => {
    let events = 0;
    let trials = 0;
    for (const r of runs) {
      events += r.events;
      trials += r.trials;
    }
    return { events, trials, rate: trials > 0 ? events / trials : Number.NaN };
  };
  const b = pool(baseline);
  const c = pool(candidate);
  const base = {
    baselineRate: b.rate,
    candidateRate: c.rate,
    baselineEvents: b.events,
    candidateEvents: c.events,
    baselineTrials: b.trials,
    candidateTrials: c.trials,
    baselineN: baseline.length,
    candidateN: candidate.length,
    difference: c.rate - b.rate,
  };
  if (baseline.length < minRepetitions || candidate.length < minRepetitions || b.trials === 0 || c.trials === 0) {
    return { ...base, verdict: 'too_few_repetitions' };
  }
  const { chi2, df } = pearson([
    { runs: baseline, rate: b.rate },
    { runs: candidate, rate: c.rate },
  ]);
  // R's glm(family = quasibinomial) convention: φ̂ unfloored at 1, t on its degrees of freedom.
  // A φ̂ far below 1 is chance with so few runs; below a quarter it is taken as a quarter.
  const dispersion = df > 0 ? Math.max(MIN_DISPERSION, chi2 / df) : 1;
  const critical = df > 0 ? studentTQuantile(1 - ALPHA / 2, df) : normalQuantile(1 - ALPHA / 2);
  const [lb, ub] = wilsonInterval(b.events / dispersion, b.trials / dispersion, critical);
  const [lc, uc] = wilsonInterval(c.events / dispersion, c.trials / dispersion, critical);
  const d = c.rate - b.rate;
  const ci95: [number, number] = [d - Math.hypot(c.rate - lc, ub - b.rate), d + Math.hypot(uc - c.rate, b.rate - lb)];
  const verdict = verdictOf(ci95[0] > 0 ? 'up' : ci95[1] < 0 ? 'down' : 'none', direction);
  // By symmetry (a success rate near 1 is a failure rate near 0), measured from the rate nearest 0 or 1.
  const edge = Math.min(b.rate, 1 - b.rate, c.rate, 1 - c.rate);
  const minDetectableDifference = minDetectableRateDifference(edge, b.trials / dispersion, c.trials / dispersion, critical);
  return { ...base, ci95, dispersion, minDetectableDifference, verdict };
}

/** Pearson χ² of the runs around their side's pooled rate, and its degrees of freedom, over both sides. */
const MIN_DISPERSION = 0.25;

function pearson(sides: { runs: readonly RunCount[]; rate: number }[]): { chi2: number; df: number } {
  let chi2 = 0;
  let df = 0;
  for (const { runs, rate } of sides) {
    // A side at rate 0 or 1 has no spread to measure (every run is 0, or every run is all).
    if (!(rate > 0 && rate < 1)) continue;
    const used = runs.filter((r) => r.trials > 0);
    for (const r of used) chi2 += (r.events - r.trials * rate) ** 2 / (r.trials * rate * (1 - rate));
    df += used.length - 1;
  }
  return { chi2, df };
}

/** Wilson's score interval for `events` of `trials` (both may be fractional: effective counts). */
export function wilsonInterval(events: number, trials: number, critical = normalQuantile(1 - ALPHA / 2)): [number, number] {
  if (trials <= 0) return [0, 1];
  const p = events / trials;
  const z2 = critical * critical;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (critical * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Smallest rise d above `rate` (≤ 0.5) that a test at level ALPHA detects with power POWER, with nb and
 * nc (effective) trials per side: solves z_{1−α/2}·σ₀(d) + z_{POWER}·σ₁(d) = d (normal
 * approximation; σ₀ under the pooled rate, σ₁ under the two rates).
 */
function minDetectableRateDifference(rate: number, nb: number, nc: number, critical: number): number {
  const zPower = normalQuantile(POWER);
  const gap = (d: number) => {
    const p1 = Math.min(1, rate + d);
    const pooled = (rate * nb + p1 * nc) / (nb + nc);
    const s0 = Math.sqrt(pooled * (1 - pooled) * (1 / nb + 1 / nc));
    const s1 = Math.sqrt((rate * (1 - rate)) / nb + (p1 * (1 - p1)) / nc);
    return d - (critical * s0 + zPower * s1);
  };
  let low = 0;
  let high = 1 - rate;
  // Not even the largest possible change would be detected.
  if (gap(high) < 0) return Number.POSITIVE_INFINITY;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (gap(mid) < 0) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

function verdictOf(moved: 'up' | 'down' | 'none', direction: Direction): Verdict {
  if (moved === 'none') return 'no_significant_change';
  return (moved === 'down') === (direction === 'lower_is_better') ? 'improved' : 'regressed';
}

// ---------------------------------------------------------------------------------------------
// Distributions

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 for erf; absolute error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? Number.NEGATIVE_INFINITY : p === 1 ? Number.POSITIVE_INFINITY : Number.NaN;
  // Polynomials by Horner's rule, coefficients from the highest power down.
  const horner = (coefficients: readonly number[], x: number) => coefficients.reduce((sum, c) => sum * x + c, 0);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572, 1];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416, 1];
  const tail = (q: number) => horner(c, q) / horner(d, q);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (horner(a, r) * q) / horner(b, r);
}

/** Student's t CDF with df degrees of freedom (df may be fractional; ∞ gives the normal). */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isFinite(df)) return normalCdf(t);
  const x = df / (df + t * t);
  const tail = 0.5 * regularizedBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with df degrees of freedom (bisection on the CDF). */
export function studentTQuantile(p: number, df: number): number {
  if (!Number.isFinite(df)) return normalQuantile(p);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let low = 0;
  let high = 1;
  while (studentTCdf(high, df) < p) high *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const y = x - 1;
  let sum = g[0] as number;
  for (let i = 1; i < 9; i++) sum += (g[i] as number) / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The regularized incomplete beta function I_x(a, b) (continued fraction, modified Lentz). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedBeta(1 - x, b, a);
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  f = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    f *= step;
    if (Math.abs(step - 1) < 1e-14) break;
  }
  return (front * f) / a;
}
