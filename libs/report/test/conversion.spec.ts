import { conversionAssumptions, conversionModel, estimateConversion, SEED_CONVERSION_SETTINGS } from '../src/conversion';

describe('the conversion model (calibrated on the seed incident, shown as a band)', () => {
  const model = conversionModel(SEED_CONVERSION_SETTINGS);
  const checkouts = (n: number, latencyMs: number, lostShare: number) =>
    Array.from({ length: n }, (_, i) => ({ durationMs: latencyMs, lost: i < Math.round(n * lostShare) }));

  it('reproduces the seed: 1.2 s with 3 % lost → 840 ms with none is +4.5 points (central)', () => {
    const before = estimateConversion(checkouts(1000, 1200, 0.03), model);
    const after = estimateConversion(checkouts(1000, 840, 0), model);
    expect(after?.central).toBeCloseTo(0.725, 9);
    expect(before?.central).toBeCloseTo(0.68, 9);
    const change = (after?.central ?? 0) - (before?.central ?? 0);
    expect(Math.abs(change - 0.045)).toBeLessThanOrEqual(0.01);
  });

  it('orders the band low ≤ central ≤ high, and each end is the seed under its assumed share of lost checkouts', () => {
    const { low, central, high } = model.lossPerSecond;
    expect(low).toBeLessThan(central);
    expect(central).toBeLessThan(high);
    for (const [end, lost] of [['low', 0.05], ['high', 0.01]] as const) {
      const before = estimateConversion(checkouts(1000, 1200, lost), model)?.[end] as number;
      expect(before).toBeCloseTo(0.68, 9);
    }
    // Amazon's 1 % of sales per 100 ms (Linden, 2006) lies inside the band.
    const per100 = (beta: number) => 1 - Math.exp(-beta / 10);
    expect(per100(low)).toBeLessThan(0.01);
    expect(per100(high)).toBeGreaterThan(0.01);
  });

  it('counts a failed or timed-out checkout as a lost order, whatever its latency', () => {
    const all = estimateConversion(checkouts(10, 100, 1), model);
    expect(all).toEqual({ low: 0, central: 0, high: 0 });
    expect(estimateConversion([], model)).toBeNull();
  });

  it('never puts a probability above 1, even for very fast checkouts', () => {
    const fast = estimateConversion(checkouts(10, 0, 0), model) as { high: number };
    expect(fast.high).toBeLessThanOrEqual(1);
  });

  it('explains itself in a few sentences, with the calibration figures', () => {
    const text = conversionAssumptions(model).join(' ');
    expect(text).toMatch(/lost order/);
    expect(text).toMatch(/68\.0 % conversion at 1200 ms, 72\.5 % at 840 ms/);
    expect(text).toMatch(/each extra 100 ms costs about 0\.9\d %/);
  });
});
