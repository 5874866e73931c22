/**
 * The statistics the report uses, in one place so each definition is written down once.
 *
 * Percentiles use linear interpolation between the two nearest ranks (Hyndman & Fan type 7,
 * numpy's default). k6 computes its Trend percentiles the same way, so a percentile the report
 * computes from raw values agrees with the one k6 (and the built-in driver) prints for them.
 */
import { seededRandom } from '@checkout-lab/config';

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

export interface DifferenceEstimate {
  /** Mean of the candidate's per-repetition values minus the baseline's. */
  delta: number;
  /** delta relative to the baseline's mean, in percent (NaN when the baseline mean is 0). */
  deltaPct: number;
  /** 95 % percentile-bootstrap interval of delta; undefined when there are too few repetitions. */
  ci95?: [number, number];
  /** ci95 relative to the baseline's mean, in percent. */
  ci95Pct?: [number, number];
  verdict: Verdict;
  baselineMean: number;
  candidateMean: number;
  baselineN: number;
  candidateN: number;
}

export interface BootstrapOptions {
  /** Resamples; 10 000 keeps the interval's end points stable to well under 1 % of their width. */
  resamples?: number;
  seed?: number;
  /** Fewest repetitions per side that earn an interval and a verdict. */
  minRepetitions?: number;
}

export const MIN_REPETITIONS = 3;

/**
 * Difference of means between two variants with repetitions (runs) as the unit: each side's
 * per-run values are resampled with replacement, independently, and the 2.5th and 97.5th
 * percentiles of the resampled differences form the 95 % interval (percentile bootstrap, with
 * the two small-sample corrections described in the body: about 5 % false alarms at n = 3).
 * The verdict is "improved" or "regressed" only when the interval excludes zero, read in the
 * metric's direction; with fewer than `minRepetitions` runs on either side there is no interval
 * and the verdict is "too_few_repetitions".
 *
 * The per-run value can itself be a percentile (a run's checkout p95), so this also compares percentiles.
 */
export function compareRepetitions(
  baseline: readonly number[],
  candidate: readonly number[],
  direction: Direction,
  options: BootstrapOptions = {},
): DifferenceEstimate {
  const resamples = options.resamples ?? 10_000;
  const minRepetitions = options.minRepetitions ?? MIN_REPETITIONS;
  const baselineMean = mean(baseline);
  const candidateMean = mean(candidate);
  const delta = candidateMean - baselineMean;
  const deltaPct = baselineMean === 0 ? Number.NaN : (delta / Math.abs(baselineMean)) * 100;
  const base = { delta, deltaPct, baselineMean, candidateMean, baselineN: baseline.length, candidateN: candidate.length };
  if (baseline.length < minRepetitions || candidate.length < minRepetitions) return { ...base, verdict: 'too_few_repetitions' };

  const random = seededRandom(options.seed ?? 20240601);
  // A plain bootstrap of a handful of runs understates the spread (it is too often "significant").
  // Two small-sample corrections: resample residuals inflated by √(n/(n−1)), which makes the
  // resampled variance unbiased, and widen the interval about the observed difference by
  // t(ν)/z, with ν the Welch–Satterthwaite degrees of freedom.
  const expand = (values: readonly number[], centre: number) => {
    const k = Math.sqrt(values.length / (values.length - 1));
    return values.map((v) => centre + (v - centre) * k);
  };
  const b = expand(baseline, baselineMean);
  const c = expand(candidate, candidateMean);
  const resampleMean = (values: readonly number[]): number => {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)] as number;
    return sum / values.length;
  };
  const differences = new Array<number>(resamples);
  for (let i = 0; i < resamples; i++) differences[i] = resampleMean(c) - resampleMean(b);
  differences.sort((x, y) => x - y);
  const widen = studentT975(welchDf(baseline, candidate)) / 1.959964;
  const ci95: [number, number] = [
    delta - (delta - percentileOfSorted(differences, 2.5)) * widen,
    delta + (percentileOfSorted(differences, 97.5) - delta) * widen,
  ];
  const ci95Pct: [number, number] = [
    baselineMean === 0 ? Number.NaN : (ci95[0] / Math.abs(baselineMean)) * 100,
    baselineMean === 0 ? Number.NaN : (ci95[1] / Math.abs(baselineMean)) * 100,
  ];
  return { ...base, ci95, ci95Pct, verdict: verdictOf(ci95, direction) };
}

function variance(values: readonly number[]): number {
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return sum / (values.length - 1);
}

/** Welch–Satterthwaite degrees of freedom of a difference of two means (∞ when both sides are constant). */
export function welchDf(a: readonly number[], b: readonly number[]): number {
  const va = variance(a) / a.length;
  const vb = variance(b) / b.length;
  if (va + vb === 0) return Number.POSITIVE_INFINITY;
  return (va + vb) ** 2 / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
}

const T975: [number, number][] = [
  [1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [5, 2.571], [6, 2.447], [7, 2.365], [8, 2.306], [9, 2.262], [10, 2.228],
  [12, 2.179], [15, 2.131], [20, 2.086], [25, 2.06], [30, 2.042], [40, 2.021], [60, 2.0], [120, 1.98],
];

/** The 97.5th percentile of Student's t with df degrees of freedom (table, interpolated in 1/df). */
export function studentT975(df: number): number {
  if (!(df > 1)) return T975[0]?.[1] as number;
  for (let i = 1; i < T975.length; i++) {
    const [d1, t1] = T975[i - 1] as [number, number];
    const [d2, t2] = T975[i] as [number, number];
    if (df <= d2) return t1 + ((1 / df - 1 / d1) / (1 / d2 - 1 / d1)) * (t2 - t1);
  }
  const [dl, tl] = T975[T975.length - 1] as [number, number];
  return tl + ((1 / df - 1 / dl) / (0 - 1 / dl)) * (1.959964 - tl);
}

function verdictOf([low, high]: [number, number], direction: Direction): Verdict {
  if (low <= 0 && high >= 0) return 'no_significant_change';
  const wentDown = high < 0;
  switch (direction) {
    case 'lower_is_better':
      return wentDown ? 'improved' : 'regressed';
    case 'higher_is_better':
      return wentDown ? 'regressed' : 'improved';
  }
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 for erf; absolute error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
