import { findCapacity, type StepVerdict } from '../src/bench/stack-bench';

/** A stack that holds up to `capacity` flows/s; records the rates it was asked for. */
function fakeStack(capacity: number, crashAt?: number) {
  const rates: number[] = [];
  const step = async (rate: number): Promise<StepVerdict> => {
    rates.push(rate);
    return { rate, held: rate <= capacity && rate !== crashAt, crashed: rate === crashAt };
  };
  return { rates, step };
}

const defaults = { startRate: 20, maxRate: 2000, growth: 1.5, precision: 0.1 };

describe('the capacity search', () => {
  it('steps up ×growth until a step fails, then bisects to within the precision', async () => {
    const stack = fakeStack(80);
    const { good, bad } = await findCapacity(stack.step, defaults);
    expect(stack.rates.slice(0, 5)).toEqual([20, 30, 45, 68, 102]);
    expect(good?.rate).toBeLessThanOrEqual(80);
    expect(bad?.rate).toBeGreaterThan(80);
    expect(((bad?.rate ?? 0) - (good?.rate ?? 0)) / (good?.rate ?? 1)).toBeLessThanOrEqual(0.1);
  });

  it('tests --max-rate itself and stops there when it holds', async () => {
    const stack = fakeStack(10_000);
    const { good, bad } = await findCapacity(stack.step, { ...defaults, maxRate: 100 });
    expect(stack.rates).toEqual([20, 30, 45, 68, 100]);
    expect(good?.rate).toBe(100);
    expect(bad).toBeUndefined();
  });

  it('steps down when the first step fails', async () => {
    const stack = fakeStack(7);
    const { good } = await findCapacity(stack.step, defaults);
    expect(stack.rates.slice(0, 4)).toEqual([20, 13.3, 8.9, 5.9]);
    expect(good?.rate).toBeLessThanOrEqual(7);
  });

  it('ends when growth or the bracket is finer than the rates are rounded', async () => {
    const slow = fakeStack(25);
    await findCapacity(slow.step, { ...defaults, growth: 1.01 });
    expect(new Set(slow.rates).size).toBe(slow.rates.length); // never the same rate twice
    const fine = fakeStack(50);
    const { good, bad } = await findCapacity(fine.step, { ...defaults, startRate: 50, growth: 1.02, precision: 0.001 });
    expect([good?.rate, bad?.rate]).toEqual([50, 51]);
    expect(fine.rates).toEqual([50, 51]);
  });

  it('stops searching once a service has exited', async () => {
    const stack = fakeStack(1000, 45);
    const { good, bad } = await findCapacity(stack.step, defaults);
    expect(stack.rates).toEqual([20, 30, 45]);
    expect([good?.rate, bad?.crashed]).toEqual([30, true]);
  });
});
