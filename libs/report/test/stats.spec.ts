import {
  compareRates,
  compareRatio,
  describe as describeSample,
  mean,
  minDetectableShift,
  normalCdf,
  normalQuantile,
  percentile,
  powerOfTTest,
  studentTQuantile,
  wilsonInterval,
  type RunCount,
} from '../src/stats';
import { binomialSlack, rateVerdictRate, ratioVerdictRate, statedRatioPower } from './simulation';

describe('percentile (linear interpolation between closest ranks, as k6)', () => {
  const oneToTen = [10, 3, 7, 1, 9, 2, 8, 4, 6, 5];

  it('matches hand-computed values on 1…10', () => {
    expect(percentile(oneToTen, 0)).toBe(1);
    expect(percentile(oneToTen, 50)).toBeCloseTo(5.5, 10);
    expect(percentile(oneToTen, 90)).toBeCloseTo(9.1, 10);
    expect(percentile(oneToTen, 95)).toBeCloseTo(9.55, 10);
    expect(percentile(oneToTen, 99)).toBeCloseTo(9.91, 10);
    expect(percentile(oneToTen, 100)).toBe(10);
  });

  it('handles one value, ties and empty input', () => {
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([5, 5, 5, 5], 95)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('does not reorder its input', () => {
    const input = [3, 1, 2];
    percentile(input, 50);
    expect(input).toEqual([3, 1, 2]);
  });

  it('describes a sample: count, mean and the report percentiles', () => {
    const d = describeSample(Array.from({ length: 101 }, (_, i) => i));
    expect(d).toMatchObject({ count: 101, mean: 50, p50: 50, p90: 90, p95: 95, p99: 99, min: 0, max: 100 });
    expect(mean([1, 2, 3, 4])).toBe(2.5);
  });
});

describe('normalCdf', () => {
  it('matches the standard normal table', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
  });
});

describe('distributions', () => {
  it('matches the t table and the normal quantiles', () => {
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.303, 3);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776, 3);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042, 3);
    expect(studentTQuantile(0.8, 4)).toBeCloseTo(0.941, 3);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776, 3);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621, 5);
  });

  it('gives the nominal level at no shift and the textbook 2.80 standard errors for 80 % power with known variance', () => {
    expect(powerOfTTest(0, 4)).toBeCloseTo(0.05, 3);
    expect(minDetectableShift(Number.POSITIVE_INFINITY)).toBeCloseTo(1.959964 + 0.841621, 2);
    // With 4 degrees of freedom it takes more: about t(0.975) + t(0.8) = 3.72, a little more for the noncentral t.
    expect(minDetectableShift(4)).toBeGreaterThan(3.7);
    expect(minDetectableShift(4)).toBeLessThan(3.85);
  });

  it('computes Wilson intervals that stay inside [0, 1] at 0 events', () => {
    const [low, high] = wilsonInterval(0, 100);
    expect(low).toBe(0);
    expect(high).toBeCloseTo(1.959964 ** 2 / (100 + 1.959964 ** 2), 6);
  });
});


describe('compareRatio (ratio of means, runs as the unit, log-scale interval)', () => {
  it('calls a clear drop in latency an improvement, with an interval around the true ratio', () => {
    const est = compareRatio([1200, 1150, 1250], [840, 860, 820], 'lower_is_better');
    expect(est.verdict).toBe('improved');
    expect(est.changePct).toBeCloseTo(-30, 6);
    const [low, high] = est.ci95Pct as [number, number];
    expect(low).toBeLessThan(-30);
    expect(high).toBeGreaterThan(-30);
    expect(high).toBeLessThan(0);
    expect(est.df).toBe(4);
  });

  it('never gives an interval below −100 %, however noisy the runs', () => {
    const est = compareRatio([100, 3000, 50], [10, 2000, 5], 'lower_is_better');
    const [low, high] = est.ci95Pct as [number, number];
    expect(low).toBeGreaterThan(-100);
    expect(high).toBeGreaterThan(low);
    expect(est.verdict).toBe('no_significant_change');
  });

  it('reads direction, and calls the reverse change a regression', () => {
    expect(compareRatio([840, 860, 820], [1200, 1150, 1250], 'lower_is_better').verdict).toBe('regressed');
    expect(compareRatio([0.9, 0.91, 0.89], [0.97, 0.98, 0.975], 'higher_is_better').verdict).toBe('improved');
  });

  it('finds no change, with a zero-width interval, for identical runs', () => {
    const est = compareRatio([5, 5, 5], [5, 5, 5], 'lower_is_better');
    expect(est).toMatchObject({ ratio: 1, changePct: 0, ci95Ratio: [1, 1], verdict: 'no_significant_change' });
  });

  it('gives no interval and no verdict with fewer than 3 repetitions on a side', () => {
    const est = compareRatio([1200, 1210], [840, 850, 845], 'lower_is_better');
    expect(est.verdict).toBe('too_few_repetitions');
    expect(est.ci95Pct).toBeUndefined();
    expect(est.changePct).toBeCloseTo((845 / 1205 - 1) * 100, 6);
  });

  it('states the smallest detectable change from the observed spread: about 3.8 standard errors at 3 runs a side', () => {
    const est = compareRatio([1000, 1060, 940], [1000, 1060, 940], 'lower_is_better');
    const se = Math.sqrt(2 * (0.06 ** 2 / 3));
    expect(est.minDetectablePct as number).toBeCloseTo((Math.exp(minDetectableShift(4) * se) - 1) * 100, 6);
  });

  // Simulation: many synthetic experiments with known truth (simulation.ts). Runs' means scatter
  // 6 % around their variant's true mean (about what swiftcart's runs show).
  it.each([3, 4])('gives a false verdict in at most 5 %% of A/A experiments (n = %i a side, 2000 experiments)', (n) => {
    expect(ratioVerdictRate(n, 0, { seed: 100 + n })).toBeLessThanOrEqual(0.05 + binomialSlack(0.05));
  });

  it.each([
    [3, 0.1],
    [3, 0.15],
    [4, 0.1],
  ])('detects a true change as often as its stated power says (n = %i, change %f)', (n, shift) => {
    const stated = statedRatioPower(n, shift);
    expect(Math.abs(ratioVerdictRate(n, shift, { seed: 200 + n }) - stated)).toBeLessThanOrEqual(binomialSlack(stated) + 0.02);
  });
});

describe('compareRates (pooled counts, quasi-binomial dispersion, Newcombe interval)', () => {
  const runs = (events: number[], trials = 200): RunCount[] => events.map((e) => ({ events: e, trials }));

  it('calls timeouts of 1 % in each run against none significant at 600 checkouts a side', () => {
    const est = compareRates(runs([2, 2, 2]), runs([0, 0, 0]), 'lower_is_better');
    expect(est.baselineRate).toBeCloseTo(0.01, 9);
    expect(est.difference).toBeCloseTo(-0.01, 9);
    expect(est.verdict).toBe('improved');
    const [low, high] = est.ci95 as [number, number];
    expect(low).toBeGreaterThan(-0.03);
    expect(high).toBeLessThan(0);
  });

  it('does not call the same total significant when the runs disagree (overdispersion)', () => {
    const est = compareRates(runs([6, 0, 0]), runs([0, 0, 0]), 'lower_is_better');
    expect(est.dispersion as number).toBeGreaterThan(2);
    expect(est.verdict).toBe('no_significant_change');
  });

  it('keeps rates at 0 on both sides at no change, and states what could be detected', () => {
    const est = compareRates(runs([0, 0, 0]), runs([0, 0, 0]), 'lower_is_better');
    expect(est.verdict).toBe('no_significant_change');
    expect(est.difference).toBe(0);
    expect(est.minDetectableDifference as number).toBeGreaterThan(0);
    expect(est.minDetectableDifference as number).toBeLessThan(0.03);
  });

  it('reads direction: a higher success rate is an improvement', () => {
    expect(compareRates(runs([150, 152, 149]), runs([190, 192, 191]), 'higher_is_better').verdict).toBe('improved');
    expect(compareRates(runs([190, 192, 191]), runs([150, 152, 149]), 'higher_is_better').verdict).toBe('regressed');
  });

  it('gives no verdict with fewer than 3 runs a side', () => {
    expect(compareRates(runs([5, 5]), runs([0, 0, 0]), 'lower_is_better').verdict).toBe('too_few_repetitions');
  });

  // Simulation (simulation.ts) with binomial runs and with overdispersed (beta-binomial, φ = 3) runs.
  it.each([
    [0.03, 1],
    [0.03, 3],
    [0.9, 3],
  ])('gives a false verdict in at most 5 %% of A/A experiments (rate %f, dispersion %f, 3 runs of 200)', (rate, dispersion) => {
    expect(rateVerdictRate(rate, rate, { dispersion })).toBeLessThanOrEqual(0.05 + binomialSlack(0.05));
  });
});
