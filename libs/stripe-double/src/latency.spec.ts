import { seededRandom } from '@checkout-lab/config';
import { logNormalSampler } from './latency';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

describe('logNormalSampler', () => {
  it.each([
    [120, 600],
    [50, 80],
    [800, 4000],
  ])('gives median %d ms and p99 %d ms within 10 %%', (medianMs, p99Ms) => {
    const sample = logNormalSampler({ medianMs, p99Ms }, seededRandom(7));
    const samples = Array.from({ length: 50_000 }, sample).sort((a, b) => a - b);
    expect(Math.abs(quantile(samples, 0.5) / medianMs - 1)).toBeLessThan(0.1);
    expect(Math.abs(quantile(samples, 0.99) / p99Ms - 1)).toBeLessThan(0.1);
    expect(samples[0]).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', () => {
    const a = logNormalSampler({ medianMs: 120, p99Ms: 600 }, seededRandom(3));
    const b = logNormalSampler({ medianMs: 120, p99Ms: 600 }, seededRandom(3));
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });

  it('is constant when p99 equals the median, and zero for a zero median', () => {
    const constant = logNormalSampler({ medianMs: 300, p99Ms: 300 }, seededRandom(1));
    expect([constant(), constant()]).toEqual([300, 300]);
    expect(logNormalSampler({ medianMs: 0, p99Ms: 0 }, seededRandom(1))()).toBe(0);
  });

  it('refuses a p99 below the median', () => {
    expect(() => logNormalSampler({ medianMs: 100, p99Ms: 50 }, seededRandom(1))).toThrow(RangeError);
  });
});
