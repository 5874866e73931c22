import { parseDuration, type ScenarioConfig } from '../options';
import type { Executor, ExecutorContext, Scenario } from './executor';
import { runLoopingVUs } from './looping-vus';

type Config = Extract<ScenarioConfig, { executor: 'constant-vus' }>;

/** k6's constant-vus: `vus` VUs loop their iterations for `duration`. */
export class ConstantVUs implements Executor {
  readonly type = 'constant-vus';
  readonly durationMs: number;
  readonly maxVUs: number;
  readonly rate = null;
  readonly endsWhenDone = false;

  constructor(
    readonly scenario: Scenario,
    config: Config,
  ) {
    this.durationMs = parseDuration(config.duration);
    this.maxVUs = config.vus ?? 1;
  }

  run(ctx: ExecutorContext): Promise<void> {
    const vus = this.maxVUs;
    return runLoopingVUs(this, () => vus, ctx);
  }
}
