import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkoutFlow, type Flow } from '../flow';
import type { EnvLike } from '../scenario-env';
import { Agents, IterationInterrupted, NodeLoadClient } from './http-client';
import { IntervalHistogramSink, MetricRegistry, type Tags, TrendSink } from './metrics';
import { type LoadOptions, parseDuration, resolveOptions, type ScenarioConfig } from './options';
import { constantStarts, plannedIterations, rampingStarts, rampValueAt, type RateStage } from './schedule';
import { judgeGenerator, VALIDITY_BOUNDS, type GeneratorVerdict } from '@checkout-lab/run-record';
import { buildSummary, DEFAULT_TREND_STATS, type LoadSummary, runningLine, type ScenarioState } from './summary';
import { evaluateThresholds, parseThresholds } from './thresholds';
import { IterationTracer } from './tracing';

/**
 * A run is marked invalid when the generator's own delays pass these p99 bounds (ms): the
 * generator part of the one validity rule (libs/run-record, validity.ts).
 */
export const DEFAULT_VALIDITY_BOUNDS: { scheduleLagP99Ms: number; eventLoopDelayP99Ms: number } = {
  scheduleLagP99Ms: VALIDITY_BOUNDS.maxScheduleLagP99Ms,
  eventLoopDelayP99Ms: VALIDITY_BOUNDS.maxEventLoopDelayP99Ms,
};

export interface LoadProgress {
  elapsedMs: number;
  plannedMs: number;
  /** iterations/s the plan asks for now (arrival-rate scenarios), null for VU executors only */
  targetRate: number | null;
  /** iterations/s started over the last progress interval */
  achievedRate: number;
  inFlight: number;
  /** VUs allocated now (k6's "02/10 VUs": busy of allocated) */
  vus: number;
  /** iterations that ran to their end (k6's "complete") */
  iterations: number;
  /** iterations cut off by gracefulStop or a stop */
  interrupted: number;
  dropped: number;
  httpReqs: number;
  errorRate: number;
  p95Ms: number;
}

/**
 * One progress line: k6's `running (0m05.0s), 02/10 VUs, 120 complete and 0 interrupted
 * iterations`, then the open model's figures (rate started vs target, drops, failed requests,
 * http_req_duration p(95) so far). Plain text: the CLI prints it as it is off a terminal.
 */
export function formatProgress(p: LoadProgress): string {
  const target = p.targetRate === null ? '' : ` (target ${p.targetRate.toFixed(1)}/s)`;
  return `${runningLine(p.elapsedMs, p.inFlight, p.vus, p.iterations, p.interrupted)}; ${p.achievedRate.toFixed(1)}/s${target}, ${p.dropped} dropped, ${(p.errorRate * 100).toFixed(2)}% failed, p(95)=${p.p95Ms.toFixed(1)}ms`;
}

export interface RunScenarioContext {
  /** the cart API (BASE_URL in k6); default http://127.0.0.1:3000 */
  baseUrl?: string;
  /** the environment the scenario's ${VAR} placeholders and the flow read (RUN_ID, VARIANT, SEED_USERS, …) */
  env?: EnvLike;
  onProgress?: (progress: LoadProgress) => void;
  progressIntervalMs?: number;
  /** stops the run early; the summary still comes back (state.aborted says why) */
  signal?: AbortSignal;
  /** the flow to run; default the checkout flow */
  flow?: Flow;
  /** force OTLP export of the iteration spans (true: OTEL_EXPORTER_OTLP_ENDPOINT or http://127.0.0.1:4318; or an endpoint) */
  otlp?: boolean | string;
  validityBounds?: Partial<typeof DEFAULT_VALIDITY_BOUNDS>;
  /** scenario name, recorded on the iteration spans */
  scenarioName?: string;
  isStdOutTTY?: boolean;
  isStdErrTTY?: boolean;
  /** recorded in the summary's options.noColor (k6's --no-color) */
  noColor?: boolean;
}

interface Runtime {
  name: string;
  config: ScenarioConfig;
  startMs: number;
  durationMs: number;
  gracefulStopMs: number;
  maxVUs: number;
  env: EnvLike;
  tags: Tags;
  abort: AbortController;
  inFlight: number;
  vus: number;
  peakVUs: number;
  planned: number;
  started: number;
  dropped: number;
  targetRate: number | null;
  rateAt: ((t: number) => number) | null;
  /** when the scenario ended (ms on the run's clock); shared-iterations may end before its maxDuration */
  endedMs?: number;
}

/**
 * Runs a k6 options object (scenarios + thresholds) with the built-in open-model driver and
 * returns the summary in k6's handleSummary shape. Thresholds are evaluated; abortOnFail stops
 * the run. The options may still hold ${VAR} placeholders; they are resolved against ctx.env.
 */
export async function runScenario(rawOptions: LoadOptions | unknown, ctx: RunScenarioContext = {}): Promise<LoadSummary> {
  const env: EnvLike = ctx.env ?? {};
  const options = resolveOptions(rawOptions, env, ctx.scenarioName ?? 'scenario');
  const baseUrl = ctx.baseUrl ?? env['BASE_URL'] ?? 'http://127.0.0.1:3000';
  const flow = ctx.flow ?? checkoutFlow;
  const bounds = { ...DEFAULT_VALIDITY_BOUNDS, ...ctx.validityBounds };
  const trendStats = options.summaryTrendStats ?? DEFAULT_TREND_STATS;

  const registry = new MetricRegistry();
  const eventLoopResolutionMs = 5;
  const eventLoop = monitorEventLoopDelay({ resolution: eventLoopResolutionMs });
  defineMetrics(registry, new IntervalHistogramSink(eventLoop, eventLoopResolutionMs));
  const thresholds = parseThresholds(options.thresholds, registry);
  evaluateThresholds(thresholds, registry, 0); // rejects aggregations that do not fit their metric, before any load

  const runtimes = Object.entries(options.scenarios).map(([name, config]) => makeRuntime(name, config, env));
  const plannedMs = Math.max(...runtimes.map((r) => r.startMs + r.durationMs));
  const agents = new Agents(Math.max(1, runtimes.reduce((n, r) => n + r.maxVUs, 0)));
  const tracer = IterationTracer.create(env, ctx.otlp);
  const checks = new Map<string, { passes: number; fails: number }>();
  const httpDuration = registry.sink('http_req_duration') as TrendSink;
  let httpReqs = 0;
  let httpErrors = 0;
  let iterationCounter = 0;
  let interrupted = 0;
  let aborted: string | undefined;

  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const stopAll = new AbortController();
  setMaxListeners(0, stopAll.signal);
  for (const rt of runtimes) setMaxListeners(0, rt.abort.signal); // one listener per in-flight request
  const stop = (reason: string): void => {
    if (aborted) return;
    aborted = reason;
    stopAll.abort();
    for (const rt of runtimes) rt.abort.abort();
  };
  const onExternalAbort = (): void => stop('stopped by the caller (signal)');
  if (ctx.signal?.aborted) onExternalAbort();
  ctx.signal?.addEventListener('abort', onExternalAbort, { once: true });

  const runIteration = async (rt: Runtime, vu: number): Promise<void> => {
    const iteration = iterationCounter++;
    rt.inFlight++;
    const tags: Tags = { scenario: rt.name, ...rt.tags };
    const trace = tracer.start({
      'lab.run_id': env['RUN_ID'] || 'adhoc',
      'lab.variant': env['VARIANT'] || 'default',
      'load.scenario': ctx.scenarioName ?? rt.name,
      'load.iteration': iteration,
      'load.vu': vu,
    });
    let failure: string | undefined;
    const client = new NodeLoadClient(agents, registry, tags, rt.abort.signal, {
      onCheck: (name, ok) => {
        const entry = checks.get(name) ?? { passes: 0, fails: 0 };
        if (ok) entry.passes++;
        else {
          entry.fails++;
          failure ??= `check failed: ${name}`;
        }
        checks.set(name, entry);
      },
      onRequestError: () => {
        httpErrors++;
        failure ??= 'HTTP request failed';
      },
    });
    const started = performance.now();
    let cutOff = false;
    try {
      await flow(client, { baseUrl, env: rt.env, traceparent: trace.traceparent, random: Math.random });
    } catch (error) {
      if (error instanceof IterationInterrupted) cutOff = true;
      else failure = `iteration threw: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      rt.inFlight--;
      httpReqs = (registry.sink('http_reqs')?.samples ?? 0);
    }
    if (!cutOff) {
      registry.add('iterations', 1, tags);
      registry.add('iteration_duration', performance.now() - started, tags);
    } else {
      interrupted++;
    }
    trace.end({ error: cutOff ? 'interrupted' : failure });
  };

  const runArrivalRate = async (rt: Runtime, starts: Generator<number>): Promise<void> => {
    if (rt.config.executor !== 'constant-arrival-rate' && rt.config.executor !== 'ramping-arrival-rate') return;
    let idle = rt.config.preAllocatedVUs;
    rt.vus = idle;
    rt.peakVUs = idle;
    const running = new Set<Promise<void>>();
    let vuSeq = 0;
    for (const offset of starts) {
      if (offset >= rt.durationMs) break;
      const due = rt.startMs + offset;
      if (!(await sleepUntil(due, now, stopAll.signal))) break;
      rt.planned++;
      if (idle > 0) {
        idle--;
        rt.started++;
        registry.add('schedule_lag', Math.max(0, now() - due), { scenario: rt.name });
        const p = runIteration(rt, vuSeq++ % Math.max(1, rt.vus)).finally(() => {
          idle++;
          running.delete(p);
        });
        running.add(p);
      } else {
        // k6: no free VU, so the iteration is dropped; a new VU is added (up to maxVUs) for the next ones.
        rt.dropped++;
        registry.add('dropped_iterations', 1, { scenario: rt.name });
        if (rt.vus < rt.maxVUs) {
          rt.vus++;
          idle++;
          rt.peakVUs = Math.max(rt.peakVUs, rt.vus);
        }
      }
    }
    await finishScenario(rt, running);
  };

  const runVus = async (rt: Runtime): Promise<void> => {
    const config = rt.config;
    if (config.executor !== 'constant-vus' && config.executor !== 'ramping-vus') return;
    const stages = config.executor === 'ramping-vus' ? toStages(config.stages) : [];
    const targetAt = config.executor === 'constant-vus' ? () => config.vus ?? 1 : (t: number) => rampValueAt(config.startVUs ?? 1, stages, t);
    const maxVUs = rt.maxVUs;
    rt.vus = maxVUs;
    const endAt = rt.startMs + rt.durationMs;
    if (!(await sleepUntil(rt.startMs, now, stopAll.signal))) return;
    const running = new Set<Promise<void>>();
    const loop = async (vu: number): Promise<void> => {
      while (!stopAll.signal.aborted && now() < endAt) {
        if (vu >= Math.round(targetAt(now() - rt.startMs))) {
          await sleep(Math.min(20, Math.max(1, endAt - now())));
          continue;
        }
        rt.planned++;
        rt.started++;
        rt.peakVUs = Math.max(rt.peakVUs, rt.inFlight + 1);
        await runIteration(rt, vu);
      }
    };
    for (let vu = 0; vu < maxVUs; vu++) {
      const p = loop(vu).finally(() => running.delete(p));
      running.add(p);
    }
    await finishScenario(rt, running);
  };

  /** k6's shared-iterations: `vus` VUs take the next of `iterations` until none is left or maxDuration is reached. */
  const runShared = async (rt: Runtime): Promise<void> => {
    const config = rt.config;
    if (config.executor !== 'shared-iterations') return;
    const total = config.iterations ?? 1;
    if (!(await sleepUntil(rt.startMs, now, stopAll.signal))) return;
    const endAt = rt.startMs + rt.durationMs;
    const running = new Set<Promise<void>>();
    const loop = async (vu: number): Promise<void> => {
      while (!stopAll.signal.aborted && now() < endAt && rt.started < total) {
        rt.planned++;
        rt.started++;
        rt.peakVUs = Math.max(rt.peakVUs, rt.inFlight + 1);
        await runIteration(rt, vu);
      }
    };
    for (let vu = 0; vu < rt.maxVUs; vu++) {
      const p = loop(vu).finally(() => running.delete(p));
      running.add(p);
    }
    await finishScenario(rt, running, true);
  };

  /** After the scenario's duration: in-flight iterations get gracefulStop to finish, then are interrupted. */
  const finishScenario = async (rt: Runtime, running: Set<Promise<void>>, endWhenDone = false): Promise<void> => {
    const endAt = rt.startMs + rt.durationMs;
    if (endWhenDone) {
      const idle = new AbortController();
      const done = Promise.allSettled([...running]).then(() => idle.abort());
      await sleepUntil(endAt, now, AbortSignal.any([stopAll.signal, idle.signal]));
      idle.abort();
      await done;
    } else {
      await sleepUntil(endAt, now, stopAll.signal);
    }
    if (running.size === 0) {
      rt.endedMs = now();
      return;
    }
    const all = Promise.allSettled([...running]);
    const timer = new AbortController();
    const onStop = (): void => timer.abort();
    stopAll.signal.addEventListener('abort', onStop, { once: true });
    const graceful = await Promise.race([all.then(() => true), sleep(rt.gracefulStopMs, false, { signal: timer.signal }).catch(() => false)]);
    timer.abort();
    stopAll.signal.removeEventListener('abort', onStop);
    if (!graceful) rt.abort.abort();
    await all;
    rt.endedMs = now();
  };

  // Live figures and abortOnFail evaluation (k6 evaluates thresholds every 2 s).
  let lastStarted = 0;
  let lastTick = 0;
  let lastAbortEval = 0;
  const started = (): number => runtimes.reduce((n, r) => n + r.started, 0);
  const progressEvery = ctx.progressIntervalMs ?? 1000;
  const ticker = setInterval(() => {
    const t = now();
    const vusBusy = runtimes.reduce((n, r) => n + r.inFlight, 0);
    registry.add('vus', vusBusy);
    registry.add('vus_max', runtimes.reduce((n, r) => n + r.vus, 0));
    if (ctx.onProgress && t - lastTick >= progressEvery - 5) {
      const s = started();
      const targets = runtimes.filter((r) => r.rateAt && t >= r.startMs && t < r.startMs + r.durationMs);
      ctx.onProgress({
        elapsedMs: t,
        plannedMs,
        targetRate: targets.length === 0 ? null : targets.reduce((n, r) => n + (r.rateAt?.(t - r.startMs) ?? 0), 0),
        achievedRate: ((s - lastStarted) * 1000) / Math.max(1, t - lastTick),
        inFlight: vusBusy,
        vus: runtimes.reduce((n, r) => n + r.vus, 0),
        iterations: registry.sink('iterations')?.samples ?? 0,
        interrupted,
        dropped: runtimes.reduce((n, r) => n + r.dropped, 0),
        httpReqs,
        errorRate: httpReqs === 0 ? 0 : httpErrors / httpReqs,
        p95Ms: httpDuration.percentile(95),
      });
      lastStarted = s;
      lastTick = t;
    }
    const abortable = thresholds.filter((th) => th.abortOnFail && t >= th.delayAbortEvalMs);
    if (abortable.length > 0 && t - lastAbortEval >= 2000) {
      lastAbortEval = t;
      const failed = evaluateThresholds(abortable, registry, t / 1000);
      const first = failed[0];
      if (first) stop(`threshold ${first.metric} '${first.source}' failed (abortOnFail)`);
    }
  }, 250);

  eventLoop.enable();
  try {
    await Promise.all(
      runtimes.map((rt) => {
        switch (rt.config.executor) {
          case 'constant-arrival-rate':
            return runArrivalRate(rt, constantStarts(rt.config.rate, parseDuration(rt.config.timeUnit ?? '1s'), rt.durationMs));
          case 'ramping-arrival-rate':
            return runArrivalRate(rt, rampingStarts(rt.config.startRate ?? 0, parseDuration(rt.config.timeUnit ?? '1s'), toStages(rt.config.stages)));
          case 'constant-vus':
          case 'ramping-vus':
            return runVus(rt);
          case 'shared-iterations':
            return runShared(rt);
        }
      }),
    );
  } finally {
    clearInterval(ticker);
    eventLoop.disable();
    ctx.signal?.removeEventListener('abort', onExternalAbort);
    agents.destroy();
    await tracer.shutdown();
  }

  const durationMs = now();
  registry.add('vus', 0);
  registry.add('vus_max', runtimes.reduce((n, r) => n + r.vus, 0));
  evaluateThresholds(thresholds, registry, durationMs / 1000);
  const validity = judgeValidity(registry, bounds);
  const scenarios: Record<string, ScenarioState> = {};
  for (const rt of runtimes) {
    // shared-iterations ends when its iterations are done, usually well before its maxDuration
    const seconds = (rt.config.executor === 'shared-iterations' && rt.endedMs !== undefined ? rt.endedMs - rt.startMs : rt.durationMs) / 1000;
    scenarios[rt.name] = {
      executor: rt.config.executor,
      durationMs: rt.durationMs,
      plannedIterations: rt.planned,
      startedIterations: rt.started,
      droppedIterations: rt.dropped,
      targetRate: rt.targetRate,
      achievedRate: seconds > 0 ? rt.started / seconds : 0,
      maxVUs: rt.maxVUs,
      peakVUs: rt.peakVUs,
    };
  }
  return buildSummary({
    registry,
    thresholds,
    trendStats,
    durationMs,
    checks,
    validity,
    scenarios,
    ...(aborted ? { aborted } : {}),
    isStdOutTTY: ctx.isStdOutTTY ?? false,
    isStdErrTTY: ctx.isStdErrTTY ?? false,
    noColor: ctx.noColor ?? false,
  });
}

function defineMetrics(registry: MetricRegistry, eventLoopSink: IntervalHistogramSink): void {
  registry.define('checks', 'rate');
  registry.define('data_received', 'counter', 'data');
  registry.define('data_sent', 'counter', 'data');
  registry.define('dropped_iterations', 'counter');
  registry.define('http_req_blocked', 'trend', 'time');
  registry.define('http_req_connecting', 'trend', 'time');
  registry.define('http_req_tls_handshaking', 'trend', 'time');
  registry.define('http_req_sending', 'trend', 'time');
  registry.define('http_req_waiting', 'trend', 'time');
  registry.define('http_req_receiving', 'trend', 'time');
  registry.define('http_req_duration', 'trend', 'time');
  registry.define('http_req_failed', 'rate');
  registry.define('http_reqs', 'counter');
  registry.define('iteration_duration', 'trend', 'time');
  registry.define('iterations', 'counter');
  registry.define('vus', 'gauge');
  registry.define('vus_max', 'gauge');
  registry.define('schedule_lag', 'trend', 'time');
  registry.define('generator_event_loop_delay', 'trend', 'time', eventLoopSink);
  registry.ensure('http_req_duration{expected_response:true}');
}

function makeRuntime(name: string, config: ScenarioConfig, env: EnvLike): Runtime {
  const base = {
    name,
    config,
    startMs: config.startTime === undefined ? 0 : parseDuration(config.startTime),
    gracefulStopMs: config.gracefulStop === undefined ? 30_000 : parseDuration(config.gracefulStop),
    env: { ...env, ...config.env },
    tags: config.tags ?? {},
    abort: new AbortController(),
    inFlight: 0,
    vus: 0,
    peakVUs: 0,
    planned: 0,
    started: 0,
    dropped: 0,
  };
  switch (config.executor) {
    case 'constant-arrival-rate': {
      const unit = parseDuration(config.timeUnit ?? '1s');
      const perS = (config.rate * 1000) / unit;
      return { ...base, durationMs: parseDuration(config.duration), maxVUs: config.maxVUs ?? config.preAllocatedVUs, targetRate: perS, rateAt: () => perS };
    }
    case 'ramping-arrival-rate': {
      const unit = parseDuration(config.timeUnit ?? '1s');
      const stages = toStages(config.stages);
      const durationMs = stages.reduce((n, s) => n + s.durationMs, 0);
      const total = plannedIterations(config.startRate ?? 0, unit, stages);
      return {
        ...base,
        durationMs,
        maxVUs: config.maxVUs ?? config.preAllocatedVUs,
        targetRate: durationMs > 0 ? (total * 1000) / durationMs : 0,
        rateAt: (t) => (rampValueAt(config.startRate ?? 0, stages, t) * 1000) / unit,
      };
    }
    case 'constant-vus':
      return { ...base, durationMs: parseDuration(config.duration), maxVUs: config.vus ?? 1, targetRate: null, rateAt: null };
    case 'ramping-vus': {
      const stages = toStages(config.stages);
      return {
        ...base,
        durationMs: stages.reduce((n, s) => n + s.durationMs, 0),
        maxVUs: Math.max(config.startVUs ?? 1, ...stages.map((s) => s.target)),
        targetRate: null,
        rateAt: null,
      };
    }
    case 'shared-iterations': {
      const vus = config.vus ?? 1;
      return { ...base, durationMs: parseDuration(config.maxDuration ?? '10m'), maxVUs: vus, vus, targetRate: null, rateAt: null };
    }
  }
}

function toStages(stages: { duration: string | number; target: number }[]): RateStage[] {
  return stages.map((s) => ({ durationMs: parseDuration(s.duration), target: s.target }));
}

/**
 * Waits until `due` (ms on the run's monotonic clock) with timers only: never early, typically
 * under 1–2 ms late (the lateness is recorded as schedule_lag). No busy-waiting, so the driver's
 * CPU goes to requests. False if stopped.
 */
async function sleepUntil(due: number, now: () => number, signal: AbortSignal): Promise<boolean> {
  for (;;) {
    if (signal.aborted) return false;
    const remaining = due - now();
    if (remaining <= 0) return true;
    await sleep(Math.max(1, Math.floor(remaining)), undefined, { signal }).catch(() => undefined);
  }
}

function judgeValidity(registry: MetricRegistry, bounds: { scheduleLagP99Ms: number; eventLoopDelayP99Ms: number }): GeneratorVerdict {
  const lag = registry.sink('schedule_lag') as TrendSink;
  const loop = registry.sink('generator_event_loop_delay') as IntervalHistogramSink;
  return judgeGenerator(
    { scheduleLagP99Ms: lag.percentile(99), eventLoopDelayP99Ms: loop.stat('p(99)') ?? 0 },
    { maxScheduleLagP99Ms: bounds.scheduleLagP99Ms, maxEventLoopDelayP99Ms: bounds.eventLoopDelayP99Ms },
  );
}
