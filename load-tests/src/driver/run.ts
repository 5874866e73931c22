import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setMaxListeners } from 'node:events';
import { checkoutFlow, type Flow } from '../flow';
import type { EnvLike } from '../scenario-env';
import { judgeGenerator, VALIDITY_BOUNDS, type GeneratorVerdict } from '@checkout-lab/run-record';
import { type Clock, type Executor, type ExecutorContext, scenarioState, systemClock } from './executors/executor';
import { createExecutor } from './executors/registry';
import { Agents } from './http-client';
import { IterationRunner } from './iteration';
import { IntervalHistogramSink, MetricRegistry, TrendSink } from './metrics';
import { type LoadOptions, resolveOptions } from './options';
import { buildSummary, DEFAULT_TREND_STATS, type LoadSummary, runningLine } from './summary';
import { evaluateThresholds, parseThresholds, type Threshold } from './thresholds';
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

/**
 * Runs a k6 options object (scenarios + thresholds) with the built-in open-model driver and
 * returns the summary in k6's handleSummary shape. Thresholds are evaluated; abortOnFail stops
 * the run. The options may still hold ${VAR} placeholders; they are resolved against ctx.env.
 * One executor per scenario (executors/), all side by side on one context.
 */
export async function runScenario(rawOptions: LoadOptions | unknown, ctx: RunScenarioContext = {}): Promise<LoadSummary> {
  // The options, the metrics and the thresholds: refused before any load is sent.
  const env: EnvLike = ctx.env ?? {};
  const options = resolveOptions(rawOptions, env, ctx.scenarioName ?? 'scenario');
  const bounds = { ...DEFAULT_VALIDITY_BOUNDS, ...ctx.validityBounds };
  const trendStats = options.summaryTrendStats ?? DEFAULT_TREND_STATS;
  const registry = new MetricRegistry();
  const eventLoopResolutionMs = 5;
  const eventLoop = monitorEventLoopDelay({ resolution: eventLoopResolutionMs });
  defineMetrics(registry, new IntervalHistogramSink(eventLoop, eventLoopResolutionMs));
  const thresholds = parseThresholds(options.thresholds, registry);
  evaluateThresholds(thresholds, registry, 0); // rejects aggregations that do not fit their metric, before any load

  // The executors and the context they share.
  const executors = Object.entries(options.scenarios).map(([name, config]) => createExecutor(name, config, env));
  const plannedMs = Math.max(...executors.map((e) => e.scenario.startMs + e.durationMs));
  const agents = new Agents(Math.max(1, executors.reduce((n, e) => n + e.maxVUs, 0)));
  const tracer = IterationTracer.create(env, ctx.otlp);
  const iterations = new IterationRunner({ flow: ctx.flow ?? checkoutFlow, baseUrl: ctx.baseUrl ?? env['BASE_URL'] ?? 'http://127.0.0.1:3000', env, scenarioName: ctx.scenarioName, agents, registry, tracer });
  const clock = systemClock();
  const stop = new RunStop(executors, ctx.signal);
  const executorContext: ExecutorContext = { clock, stopped: stop.signal, metrics: registry, runIteration: (scenario, vu) => iterations.run(scenario, vu) };

  // Run them all, with the live figures and abortOnFail alongside.
  const ticker = startTicker({ executors, iterations, registry, thresholds, clock, plannedMs, onProgress: ctx.onProgress, progressEveryMs: ctx.progressIntervalMs ?? 1000, stop: stop.stop });
  eventLoop.enable();
  try {
    await Promise.all(executors.map((e) => e.run(executorContext)));
  } finally {
    clearInterval(ticker);
    eventLoop.disable();
    stop.dispose();
    agents.destroy();
    await tracer.shutdown();
  }

  // The summary.
  const durationMs = clock.now();
  registry.add('vus', 0);
  registry.add('vus_max', allocatedVUs(executors));
  evaluateThresholds(thresholds, registry, durationMs / 1000);
  return buildSummary({
    registry,
    thresholds,
    trendStats,
    durationMs,
    checks: iterations.checks,
    validity: judgeValidity(registry, bounds),
    scenarios: Object.fromEntries(executors.map((e) => [e.scenario.name, scenarioState(e)])),
    ...(stop.reason ? { aborted: stop.reason } : {}),
    isStdOutTTY: ctx.isStdOutTTY ?? false,
    isStdErrTTY: ctx.isStdErrTTY ?? false,
    noColor: ctx.noColor ?? false,
  });
}

/**
 * The run's stop: the caller's signal, or a failed abortOnFail threshold, ends every scenario at
 * once and cuts off their in-flight iterations; the first reason is kept (state.aborted).
 */
class RunStop {
  private readonly controller = new AbortController();
  reason: string | undefined;

  constructor(
    private readonly executors: readonly Executor[],
    private readonly external: AbortSignal | undefined,
  ) {
    setMaxListeners(0, this.controller.signal);
    if (external?.aborted) this.onExternalAbort();
    external?.addEventListener('abort', this.onExternalAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  readonly stop = (reason: string): void => {
    if (this.reason) return;
    this.reason = reason;
    this.controller.abort();
    for (const e of this.executors) e.scenario.interrupt.abort();
  };

  private readonly onExternalAbort = (): void => this.stop('stopped by the caller (signal)');

  dispose(): void {
    this.external?.removeEventListener('abort', this.onExternalAbort);
  }
}

function allocatedVUs(executors: readonly Executor[]): number {
  return executors.reduce((n, e) => n + e.scenario.vus, 0);
}

/**
 * Every 250 ms: the vus / vus_max gauges; a progress report every `progressEveryMs`; the
 * abortOnFail thresholds every 2 s, as k6 evaluates them.
 */
function startTicker(p: {
  executors: readonly Executor[];
  iterations: IterationRunner;
  registry: MetricRegistry;
  thresholds: Threshold[];
  clock: Clock;
  plannedMs: number;
  onProgress: ((progress: LoadProgress) => void) | undefined;
  progressEveryMs: number;
  stop: (reason: string) => void;
}): NodeJS.Timeout {
  const { executors, iterations, registry, thresholds, clock, onProgress } = p;
  const httpDuration = registry.sink('http_req_duration') as TrendSink;
  const sum = (of: (e: Executor) => number): number => executors.reduce((n, e) => n + of(e), 0);
  let lastStarted = 0;
  let lastTick = 0;
  let lastAbortEval = 0;
  return setInterval(() => {
    const t = clock.now();
    const vusBusy = sum((e) => e.scenario.inFlight);
    registry.add('vus', vusBusy);
    registry.add('vus_max', allocatedVUs(executors));
    if (onProgress && t - lastTick >= p.progressEveryMs - 5) {
      const s = sum((e) => e.scenario.started);
      const targets = executors.filter((e) => e.rate && t >= e.scenario.startMs && t < e.scenario.startMs + e.durationMs);
      const httpReqs = iterations.httpReqs;
      onProgress({
        elapsedMs: t,
        plannedMs: p.plannedMs,
        targetRate: targets.length === 0 ? null : targets.reduce((n, e) => n + (e.rate?.at(t - e.scenario.startMs) ?? 0), 0),
        achievedRate: ((s - lastStarted) * 1000) / Math.max(1, t - lastTick),
        inFlight: vusBusy,
        vus: allocatedVUs(executors),
        iterations: registry.sink('iterations')?.samples ?? 0,
        interrupted: iterations.interrupted,
        dropped: sum((e) => e.scenario.dropped),
        httpReqs,
        errorRate: httpReqs === 0 ? 0 : iterations.httpErrors / httpReqs,
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
      if (first) p.stop(`threshold ${first.metric} '${first.source}' failed (abortOnFail)`);
    }
  }, 250);
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

function judgeValidity(registry: MetricRegistry, bounds: { scheduleLagP99Ms: number; eventLoopDelayP99Ms: number }): GeneratorVerdict {
  const lag = registry.sink('schedule_lag') as TrendSink;
  const loop = registry.sink('generator_event_loop_delay') as IntervalHistogramSink;
  return judgeGenerator(
    { scheduleLagP99Ms: lag.percentile(99), eventLoopDelayP99Ms: loop.stat('p(99)') ?? 0 },
    { maxScheduleLagP99Ms: bounds.scheduleLagP99Ms, maxEventLoopDelayP99Ms: bounds.eventLoopDelayP99Ms },
  );
}
