import { seededRandom } from '@checkout-lab/config';
import { compareRepetitions, describe as describeSample, mean, normalCdf, percentile } from '../src/stats';

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

describe('compareRepetitions (bootstrap, runs as the unit)', () => {
  const noisy = (centre: number, spread: number, n: number, seed: number) => {
    const r = seededRandom(seed);
    return Array.from({ length: n }, () => centre + (r() - 0.5) * 2 * spread);
  };

  it('calls a clear drop in latency an improvement, with an interval around the true change', () => {
    const before = noisy(1200, 60, 5, 1);
    const after = noisy(840, 40, 5, 2);
    const est = compareRepetitions(before, after, 'lower_is_better');
    expect(est.verdict).toBe('improved');
    expect(est.deltaPct).toBeLessThan(-20);
    expect(est.ci95).toBeDefined();
    const [low, high] = est.ci95 as [number, number];
    expect(low).toBeLessThan(est.delta);
    expect(high).toBeGreaterThan(est.delta);
    expect(high).toBeLessThan(0);
    expect(low).toBeGreaterThan(-360 - 150);
  });

  it('calls the same change a regression when it goes the other way', () => {
    expect(compareRepetitions(noisy(840, 40, 4, 3), noisy(1200, 60, 4, 4), 'lower_is_better').verdict).toBe('regressed');
  });

  it('reads direction: a higher success rate is an improvement, a lower one a regression', () => {
    expect(compareRepetitions([0.9, 0.91, 0.89], [0.97, 0.98, 0.975], 'higher_is_better').verdict).toBe('improved');
    expect(compareRepetitions([0.97, 0.98, 0.975], [0.9, 0.91, 0.89], 'higher_is_better').verdict).toBe('regressed');
  });

  it('rarely finds a change between samples of the same distribution (false alarms near the nominal 5 %)', () => {
    const r = seededRandom(99);
    const normal = () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
    for (const n of [3, 5]) {
      let alarms = 0;
      const trials = 300;
      for (let t = 0; t < trials; t++) {
        const a = Array.from({ length: n }, () => 1000 + 100 * normal());
        const b = Array.from({ length: n }, () => 1000 + 100 * normal());
        if (compareRepetitions(a, b, 'lower_is_better', { resamples: 1000, seed: t }).verdict !== 'no_significant_change') alarms++;
      }
      // A plain percentile bootstrap alarms about 20 % of the time at n = 3; the corrected one near 5 %.
      expect(alarms / trials).toBeLessThan(0.1);
    }
  });

  it('detects a real 30 % drop with 3 runs a side in most trials', () => {
    const r = seededRandom(5);
    const normal = () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
    let found = 0;
    for (let t = 0; t < 100; t++) {
      const a = Array.from({ length: 3 }, () => 1200 + 60 * normal());
      const b = Array.from({ length: 3 }, () => 840 + 60 * normal());
      if (compareRepetitions(a, b, 'lower_is_better', { resamples: 1000, seed: t }).verdict === 'improved') found++;
    }
    expect(found).toBeGreaterThan(90);
  });

  it('finds no change, with a zero-width interval, for identical runs', () => {
    const est = compareRepetitions([5, 5, 5], [5, 5, 5], 'lower_is_better');
    expect(est).toMatchObject({ delta: 0, deltaPct: 0, ci95: [0, 0], verdict: 'no_significant_change' });
  });

  it('gives no interval and no verdict with fewer than 3 repetitions on a side', () => {
    const est = compareRepetitions([1200, 1210], [840, 850, 845], 'lower_is_better');
    expect(est.verdict).toBe('too_few_repetitions');
    expect(est.ci95).toBeUndefined();
    expect(est.deltaPct).toBeCloseTo(((845 - 1205) / 1205) * 100, 6);
  });

  it('is deterministic for a seed', () => {
    const a = compareRepetitions([1, 2, 3, 4], [2, 3, 4, 6], 'lower_is_better', { seed: 7 });
    const b = compareRepetitions([1, 2, 3, 4], [2, 3, 4, 6], 'lower_is_better', { seed: 7 });
    expect(a.ci95).toEqual(b.ci95);
  });
});
