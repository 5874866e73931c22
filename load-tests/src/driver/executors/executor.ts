import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EnvLike } from '../../scenario-env';
import type { MetricRegistry, Tags } from '../metrics';
import { parseDuration, type ScenarioConfig } from '../options';
import type { RateStage } from '../schedule';
import type { ScenarioState } from '../summary';

/**
 * What the executors share, as k6's lib/executor has it: one `Executor` interface, the context the
 * runner passes to every executor's `run`, the state every scenario has whatever its executor, and
 * the lifecycle they all follow (wait for `startTime`, run, then `gracefulStop`).
 */

export type ExecutorType = ScenarioConfig['executor'];

/** The run's monotonic clock. Executors wait only through it, so a test can drive them on a fake one. */
export interface Clock {
  /** ms since the run started */
  now(): number;
  /** resolves after `ms`, or as soon as `signal` aborts; never rejects */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()` from now on, timers for waiting. */
export function systemClock(): Clock {
  const t0 = performance.now();
  return {
    now: () => performance.now() - t0,
    sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
  };
}

/** What the runner gives every executor's `run`. */
export interface ExecutorContext {
  clock: Clock;
  /** aborted when the whole run stops: a threshold's abortOnFail, or the caller's signal */
  stopped: AbortSignal;
  /** the run's metrics (schedule_lag, dropped_iterations come from the executors) */
  metrics: Pick<MetricRegistry, 'add'>;
  /**
   * One iteration of the flow on VU `vu` of `scenario`, traced, with its checks and iteration
   * metrics; counted in `scenario.inFlight` while it runs and cut off by `scenario.interrupt`.
   */
  runIteration(scenario: Scenario, vu: number): Promise<void>;
}

/** What a scenario has whatever its executor (k6's BaseConfig), and its live figures. */
export class Scenario {
  readonly startMs: number;
  readonly gracefulStopMs: number;
  /** the run's environment with the scenario's `env` over it */
  readonly env: EnvLike;
  readonly tags: Tags;
  /** aborted to cut off the scenario's in-flight iterations: gracefulStop is over, or the run stopped */
  readonly interrupt = new AbortController();
  /** iterations running now (busy VUs) */
  inFlight = 0;
  /** VUs allocated now */
  vus = 0;
  peakVUs = 0;
  planned = 0;
  started = 0;
  dropped = 0;
  /** when the scenario ended (ms on the run's clock); shared-iterations may end before its maxDuration */
  endedMs: number | undefined;

  constructor(
    readonly name: string,
    config: ScenarioConfig,
    env: EnvLike,
  ) {
    this.startMs = config.startTime === undefined ? 0 : parseDuration(config.startTime);
    this.gracefulStopMs = config.gracefulStop === undefined ? 30_000 : parseDuration(config.gracefulStop);
    this.env = { ...env, ...config.env };
    this.tags = config.tags ?? {};
    setMaxListeners(0, this.interrupt.signal); // one listener per in-flight request
  }

  /** A VU of a looping executor takes its next iteration: planned as it starts, peak = busy VUs. */
  countLoopStart(): void {
    this.planned++;
    this.started++;
    this.peakVUs = Math.max(this.peakVUs, this.inFlight + 1);
  }
}

/** An arrival-rate executor's plan, in iterations/s. */
export interface ArrivalRate {
  /** over the whole scenario (the summary's target rate) */
  average: number;
  /** at `t` ms into the scenario (the progress line's target) */
  at(t: number): number;
}

/** One scenario's executor (k6: lib/executor/*.go, each an Executor). */
export interface Executor {
  readonly type: ExecutorType;
  readonly scenario: Scenario;
  /** the planned length (ms): `duration`, the stages' sum, or `maxDuration` */
  readonly durationMs: number;
  readonly maxVUs: number;
  /** the arrival-rate plan; null for the VU executors (closed model) */
  readonly rate: ArrivalRate | null;
  /** true when the scenario ends as soon as its work is done, before `durationMs` (shared-iterations) */
  readonly endsWhenDone: boolean;
  /** resolves when the scenario is over (its duration, gracefulStop, or the run's stop) */
  run(ctx: ExecutorContext): Promise<void>;
}

/** The scenario's figures in the summary (state.scenarios.<name>). */
export function scenarioState(executor: Executor): ScenarioState {
  const { scenario } = executor;
  const ranMs = executor.endsWhenDone && scenario.endedMs !== undefined ? scenario.endedMs - scenario.startMs : executor.durationMs;
  const seconds = ranMs / 1000;
  return {
    executor: executor.type,
    durationMs: executor.durationMs,
    plannedIterations: scenario.planned,
    startedIterations: scenario.started,
    droppedIterations: scenario.dropped,
    targetRate: executor.rate?.average ?? null,
    achievedRate: seconds > 0 ? scenario.started / seconds : 0,
    maxVUs: executor.maxVUs,
    peakVUs: scenario.peakVUs,
  };
}

export function toStages(stages: { duration: string | number; target: number }[]): RateStage[] {
  return stages.map((s) => ({ durationMs: parseDuration(s.duration), target: s.target }));
}

/**
 * Waits until `due` (ms on the run's clock) with timers only: never early, typically under 1–2 ms
 * late (the lateness is recorded as schedule_lag). No busy-waiting, so the driver's CPU goes to
 * requests. False if stopped.
 */
export async function sleepUntil(clock: Clock, due: number, signal: AbortSignal): Promise<boolean> {
  for (;;) {
    if (signal.aborted) return false;
    const remaining = due - clock.now();
    if (remaining <= 0) return true;
    await clock.sleep(Math.max(1, Math.floor(remaining)), signal);
  }
}

/** Starts one loop per VU (0 … count − 1) at once; the set holds the loops still running. */
export function startVUs(count: number, loop: (vu: number) => Promise<void>): Set<Promise<void>> {
  const running = new Set<Promise<void>>();
  for (let vu = 0; vu < count; vu++) {
    const p = loop(vu).finally(() => running.delete(p));
    running.add(p);
  }
  return running;
}

/**
 * The end of every scenario: at its duration (or, for one that ends when done, as soon as nothing
 * runs) the in-flight iterations get gracefulStop to finish, then are interrupted.
 */
export async function finishScenario(executor: Executor, running: Set<Promise<void>>, ctx: ExecutorContext): Promise<void> {
  const { scenario } = executor;
  const { clock, stopped } = ctx;
  const endAt = scenario.startMs + executor.durationMs;
  if (executor.endsWhenDone) {
    const idle = new AbortController();
    const done = Promise.allSettled([...running]).then(() => idle.abort());
    await sleepUntil(clock, endAt, AbortSignal.any([stopped, idle.signal]));
    idle.abort();
    await done;
  } else {
    await sleepUntil(clock, endAt, stopped);
  }
  if (running.size === 0) {
    scenario.endedMs = clock.now();
    return;
  }
  const all = Promise.allSettled([...running]);
  const timer = new AbortController();
  const onStop = (): void => timer.abort();
  stopped.addEventListener('abort', onStop, { once: true });
  const graceful = await Promise.race([all.then(() => true), clock.sleep(scenario.gracefulStopMs, timer.signal).then(() => false)]);
  timer.abort();
  stopped.removeEventListener('abort', onStop);
  if (!graceful) scenario.interrupt.abort();
  await all;
  scenario.endedMs = clock.now();
}
