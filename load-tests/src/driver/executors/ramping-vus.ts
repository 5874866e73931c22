import type { ScenarioConfig } from '../options';
import { rampValueAt, type RateStage } from '../schedule';
import { type Executor, type ExecutorContext, type Scenario, toStages } from './executor';
import { runLoopingVUs } from './looping-vus';

type Config = Extract<ScenarioConfig, { executor: 'ramping-vus' }>;

/** k6's ramping-vus: the number of looping VUs goes from `startVUs` through the stages' targets, linearly. */
export class RampingVUs implements Executor {
  readonly type = 'ramping-vus';
  readonly durationMs: number;
  readonly maxVUs: number;
  readonly rate = null;
  readonly endsWhenDone = false;
  private readonly startVUs: number;
  private readonly stages: RateStage[];

  constructor(
    readonly scenario: Scenario,
    config: Config,
  ) {
    this.startVUs = config.startVUs ?? 1;
    this.stages = toStages(config.stages);
    this.durationMs = this.stages.reduce((n, s) => n + s.durationMs, 0);
    this.maxVUs = Math.max(this.startVUs, ...this.stages.map((s) => s.target));
  }

  run(ctx: ExecutorContext): Promise<void> {
    return runLoopingVUs(this, (t) => rampValueAt(this.startVUs, this.stages, t), ctx);
  }
}
