import { parseDuration, type ScenarioConfig } from '../options';
import { plannedIterations, rampingStarts, rampValueAt, type RateStage } from '../schedule';
import { runArrivals } from './arrival-rate';
import { type ArrivalRate, type Executor, type ExecutorContext, type Scenario, toStages } from './executor';

type Config = Extract<ScenarioConfig, { executor: 'ramping-arrival-rate' }>;

/** k6's ramping-arrival-rate: from `startRate` through the stages' targets, linear within each stage. */
export class RampingArrivalRate implements Executor {
  readonly type = 'ramping-arrival-rate';
  readonly durationMs: number;
  readonly maxVUs: number;
  readonly rate: ArrivalRate;
  readonly endsWhenDone = false;
  private readonly timeUnitMs: number;
  private readonly startRate: number;
  private readonly stages: RateStage[];

  constructor(
    readonly scenario: Scenario,
    private readonly config: Config,
  ) {
    const unit = parseDuration(config.timeUnit ?? '1s');
    const startRate = config.startRate ?? 0;
    const stages = toStages(config.stages);
    const durationMs = stages.reduce((n, s) => n + s.durationMs, 0);
    const total = plannedIterations(startRate, unit, stages);
    this.timeUnitMs = unit;
    this.startRate = startRate;
    this.stages = stages;
    this.durationMs = durationMs;
    this.maxVUs = config.maxVUs ?? config.preAllocatedVUs;
    this.rate = {
      average: durationMs > 0 ? (total * 1000) / durationMs : 0,
      at: (t) => (rampValueAt(startRate, stages, t) * 1000) / unit,
    };
  }

  run(ctx: ExecutorContext): Promise<void> {
    return runArrivals(this, this.config.preAllocatedVUs, rampingStarts(this.startRate, this.timeUnitMs, this.stages), ctx);
  }
}
