import { parseDuration, type ScenarioConfig } from '../options';
import { constantStarts } from '../schedule';
import { runArrivals } from './arrival-rate';
import type { ArrivalRate, Executor, ExecutorContext, Scenario } from './executor';

type Config = Extract<ScenarioConfig, { executor: 'constant-arrival-rate' }>;

/** k6's constant-arrival-rate: `rate` iterations per `timeUnit`, evenly spaced, for `duration`. */
export class ConstantArrivalRate implements Executor {
  readonly type = 'constant-arrival-rate';
  readonly durationMs: number;
  readonly maxVUs: number;
  readonly rate: ArrivalRate;
  readonly endsWhenDone = false;
  private readonly timeUnitMs: number;

  constructor(
    readonly scenario: Scenario,
    private readonly config: Config,
  ) {
    this.timeUnitMs = parseDuration(config.timeUnit ?? '1s');
    const perS = (config.rate * 1000) / this.timeUnitMs;
    this.durationMs = parseDuration(config.duration);
    this.maxVUs = config.maxVUs ?? config.preAllocatedVUs;
    this.rate = { average: perS, at: () => perS };
  }

  run(ctx: ExecutorContext): Promise<void> {
    return runArrivals(this, this.config.preAllocatedVUs, constantStarts(this.config.rate, this.timeUnitMs, this.durationMs), ctx);
  }
}
