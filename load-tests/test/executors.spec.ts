import { resolveOptions, type ScenarioConfig } from '../src';
import { type Executor, type ExecutorContext, scenarioState } from '../src/driver/executors/executor';
import { createExecutor } from '../src/driver/executors/registry';
import { FakeClock } from './support/fake-clock';

// Each executor on a virtual clock, with an iteration that only takes its service time: what
// starts when, on which VU, what is dropped, and how the scenario ends.

interface Start {
  vu: number;
  at: number;
}

function harness(serviceMs: (iteration: number) => number) {
  const clock = new FakeClock();
  const starts: Start[] = [];
  const samples: { name: string; value: number }[] = [];
  const stop = new AbortController();
  let interrupted = 0;
  const ctx: ExecutorContext = {
    clock,
    stopped: stop.signal,
    metrics: { add: (name, value) => void samples.push({ name, value }) },
    runIteration: async (scenario, vu) => {
      const iteration = starts.length;
      starts.push({ vu, at: clock.now() });
      scenario.inFlight++;
      await clock.sleep(serviceMs(iteration), scenario.interrupt.signal);
      if (scenario.interrupt.signal.aborted) interrupted++;
      scenario.inFlight--;
    },
  };
  const run = async (config: ScenarioConfig, onTimer?: (t: number, executor: Executor) => void): Promise<Executor> => {
    const executor = createExecutor('s', config, {});
    await clock.run(
      executor.run(ctx),
      onTimer && ((t) => onTimer(t, executor)),
    );
    return executor;
  };
  return {
    clock,
    starts,
    stop,
    run,
    sum: (name: string) => samples.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0),
    values: (name: string) => samples.filter((s) => s.name === name).map((s) => s.value),
    interrupted: () => interrupted,
  };
}

const at = (starts: Start[]): number[] => starts.map((s) => s.at);

describe('constant-arrival-rate', () => {
  it('starts rate × duration iterations at their planned times, on the pre-allocated VUs in turn', async () => {
    const h = harness(() => 50);
    const executor = await h.run({ executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '1s', preAllocatedVUs: 2, maxVUs: 5 });
    expect(at(h.starts)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(h.starts.map((s) => s.vu)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect(h.values('schedule_lag')).toEqual(Array(10).fill(0));
    expect(h.sum('dropped_iterations')).toBe(0);
    expect(scenarioState(executor)).toEqual({
      executor: 'constant-arrival-rate',
      durationMs: 1000,
      plannedIterations: 10,
      startedIterations: 10,
      droppedIterations: 0,
      targetRate: 10,
      achievedRate: 10,
      maxVUs: 5,
      peakVUs: 2,
    });
  });

  it('never starts early: an off-millisecond start waits to the next whole millisecond and records the lag', async () => {
    const h = harness(() => 10);
    await h.run({ executor: 'constant-arrival-rate', rate: 3, timeUnit: '1s', duration: '1s', preAllocatedVUs: 1 });
    expect(at(h.starts)).toEqual([0, 334, 667]);
    const lags = h.values('schedule_lag');
    expect(lags[1]).toBeCloseTo(334 - 1000 / 3, 9);
    expect(lags[2]).toBeCloseTo(667 - 2000 / 3, 9);
  });

  it('drops a start when every VU is busy, and adds one VU per drop up to maxVUs', async () => {
    // one VU, each iteration 250 ms, a start every 100 ms: it is free again only for every third start
    const fixed = harness(() => 250);
    const one = await fixed.run({ executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 1, maxVUs: 1 });
    expect(at(fixed.starts)).toEqual([0, 300, 600, 900]);
    expect(fixed.sum('dropped_iterations')).toBe(6);
    expect(scenarioState(one)).toMatchObject({ plannedIterations: 10, startedIterations: 4, droppedIterations: 6, peakVUs: 1 });

    // the same with room to grow: the drops at 100 ms and 400 ms each add a VU, then 3 VUs keep up
    const growing = harness(() => 250);
    const grown = await growing.run({ executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 1, maxVUs: 3 });
    expect(at(growing.starts)).toEqual([0, 200, 300, 500, 600, 700, 800, 900]);
    expect(growing.sum('dropped_iterations')).toBe(2);
    expect(scenarioState(grown)).toMatchObject({ plannedIterations: 10, startedIterations: 8, droppedIterations: 2, peakVUs: 3 });
    expect(grown.scenario.vus).toBe(3);
  });

  it('waits for startTime, and stops scheduling at once when the run stops', async () => {
    const h = harness(() => 10);
    await h.run({ executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 1, startTime: '500ms' }, (t) => {
      if (t >= 1000) h.stop.abort();
    });
    expect(at(h.starts)).toEqual([500, 600, 700, 800, 900]);
  });
});

describe('ramping-arrival-rate', () => {
  it('starts iteration k when the integral of the linearly ramping rate reaches k', async () => {
    // 0 → 10/s over 1 s (the rate is t/100 per s, so start k is at √(200 000 · k) ms), then 10/s for 0.5 s
    const h = harness(() => 10);
    const executor = await h.run({
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      stages: [
        { duration: '1s', target: 10 },
        { duration: '500ms', target: 10 },
      ],
      preAllocatedVUs: 1,
    });
    const ramp = [0, 1, 2, 3, 4].map((k) => Math.ceil(Math.sqrt(200_000 * k)));
    expect(at(h.starts)).toEqual([...ramp, 1000, 1100, 1200, 1300, 1400]);
    expect(executor.rate?.average).toBeCloseTo(10 / 1.5, 9);
    expect(executor.rate?.at(500)).toBe(5);
    expect(executor.rate?.at(1200)).toBe(10);
    expect(executor.durationMs).toBe(1500);
  });
});

describe('constant-vus', () => {
  it('runs the configured VUs, each looping its iterations back to back for the duration', async () => {
    const h = harness(() => 100);
    const executor = await h.run({ executor: 'constant-vus', vus: 3, duration: '1s' });
    for (let vu = 0; vu < 3; vu++) {
      expect(at(h.starts.filter((s) => s.vu === vu))).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    }
    expect(scenarioState(executor)).toMatchObject({ plannedIterations: 30, startedIterations: 30, droppedIterations: 0, targetRate: null, maxVUs: 3, peakVUs: 3 });
  });

  it('gives in-flight iterations gracefulStop after the duration, then interrupts them', async () => {
    const h = harness(() => 800);
    const executor = await h.run({ executor: 'constant-vus', vus: 1, duration: '1s', gracefulStop: '500ms' });
    expect(at(h.starts)).toEqual([0, 800]);
    expect(h.interrupted()).toBe(1);
    expect(executor.scenario.endedMs).toBe(1500);
  });
});

describe('ramping-vus', () => {
  it('lets VU n loop while n is below the ramped VU count, checking every 20 ms', async () => {
    // 0 → 2 VUs over 1 s, then 2 for 1 s: VU 0 joins once round(t / 500) ≥ 1 (t ≥ 250), VU 1 once ≥ 2 (t ≥ 750)
    const h = harness(() => 100);
    const executor = await h.run({ executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '1s', target: 2 }, { duration: '1s', target: 2 }] });
    const vu0 = at(h.starts.filter((s) => s.vu === 0));
    const vu1 = at(h.starts.filter((s) => s.vu === 1));
    expect(vu0).toEqual(Array.from({ length: 18 }, (_, k) => 260 + 100 * k));
    expect(vu1).toEqual(Array.from({ length: 13 }, (_, k) => 760 + 100 * k));
    expect(scenarioState(executor)).toMatchObject({ durationMs: 2000, startedIterations: 31, maxVUs: 2, peakVUs: 2 });
  });
});

describe('shared-iterations', () => {
  it('has its VUs take the next of the iterations and ends as soon as they are done', async () => {
    const h = harness(() => 100);
    const executor = await h.run({ executor: 'shared-iterations', vus: 2, iterations: 5 });
    expect(h.starts).toEqual([
      { vu: 0, at: 0 },
      { vu: 1, at: 0 },
      { vu: 0, at: 100 },
      { vu: 1, at: 100 },
      { vu: 0, at: 200 },
    ]);
    expect(executor.scenario.endedMs).toBe(300);
    expect(scenarioState(executor)).toMatchObject({ durationMs: 600_000, startedIterations: 5, achievedRate: 5 / 0.3, maxVUs: 2 });
  });

  it('stops taking iterations at maxDuration', async () => {
    const h = harness(() => 100);
    await h.run({ executor: 'shared-iterations', vus: 1, iterations: 100, maxDuration: '350ms' });
    expect(at(h.starts)).toEqual([0, 100, 200, 300]);
  });
});

describe('the executor registry', () => {
  it('has one executor for each name the scenario schema takes, and the schema refuses any other by name', () => {
    const configs: ScenarioConfig[] = [
      { executor: 'constant-arrival-rate', rate: 1, duration: '1s', preAllocatedVUs: 1 },
      { executor: 'ramping-arrival-rate', stages: [{ duration: '1s', target: 1 }], preAllocatedVUs: 1 },
      { executor: 'constant-vus', duration: '1s' },
      { executor: 'ramping-vus', stages: [{ duration: '1s', target: 1 }] },
      { executor: 'shared-iterations' },
    ];
    expect(configs.map((c) => createExecutor('s', c, {}).type)).toEqual(configs.map((c) => c.executor));
    expect(() => resolveOptions({ scenarios: { s: { executor: 'externally-controlled', vus: 1, duration: '1s' } } }, {})).toThrow(
      "scenario is not a k6 options object the driver can run:\n  scenarios.s.executor: Invalid discriminator value. Expected 'constant-arrival-rate' | 'ramping-arrival-rate' | 'constant-vus' | 'ramping-vus' | 'shared-iterations'",
    );
  });
});
