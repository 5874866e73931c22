import { parseDuration, type ScenarioConfig } from '../options';
import { type Executor, type ExecutorContext, finishScenario, type Scenario, sleepUntil, startVUs } from './executor';

type Config = Extract<ScenarioConfig, { executor: 'shared-iterations' }>;

/**
 * k6's shared-iterations (what --iterations makes): `vus` VUs take the next of `iterations` until
 * none is left or `maxDuration` (default 10m) is reached; the scenario ends when they are done.
 */
export class SharedIterations implements Executor {
  readonly type = 'shared-iterations';
  readonly durationMs: number;
  readonly maxVUs: number;
  readonly rate = null;
  readonly endsWhenDone = true;
  private readonly iterations: number;

  constructor(
    readonly scenario: Scenario,
    config: Config,
  ) {
    this.durationMs = parseDuration(config.maxDuration ?? '10m');
    this.maxVUs = config.vus ?? 1;
    this.iterations = config.iterations ?? 1;
    scenario.vus = this.maxVUs;
  }

  async run(ctx: ExecutorContext): Promise<void> {
    const { scenario } = this;
    const { clock, stopped } = ctx;
    if (!(await sleepUntil(clock, scenario.startMs, stopped))) return;
    const endAt = scenario.startMs + this.durationMs;
    const running = startVUs(this.maxVUs, async (vu) => {
      while (!stopped.aborted && clock.now() < endAt && scenario.started < this.iterations) {
        scenario.countLoopStart();
        await ctx.runIteration(scenario, vu);
      }
    });
    await finishScenario(this, running, ctx);
  }
}
