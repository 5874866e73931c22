import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { runScenario, type LoadSummary } from '@checkout-lab/load-tests';
import { judgeRun, type RunVerdict } from '@checkout-lab/run-record';
import { Stack, type StackEndpoints } from '@checkout-lab/stack';
import { readRunSpans, runSpansDir } from '@checkout-lab/telemetry';
import { HostSampler, scrapeSpanCounters, type SpanCounters } from '../evidence';
import { parseCpuProfile, summariseCpuProfile, type CpuProfileSummary } from './cpu-profile';

/**
 * The stack's capacity: the highest open-model rate of checkout flows (create cart → add items →
 * checkout) it sustains, found by stepping the arrival rate up, for each telemetry configuration in
 * the same run on the same servers and data. A step holds when checkout p99 stays under a limit,
 * fewer than 1 % of requests fail, no iteration is dropped and the run is valid by the driver's rule
 * (so the generator itself kept its schedule). The search multiplies the rate by `growth` until a
 * step fails, then bisects between the last step that held and the first that failed.
 */

/** One way of running the services' telemetry. */
export interface BenchConfig {
  name: string;
  description: string;
  /** Variables for the services (OTEL_*). */
  serviceEnv: Record<string, string>;
  /** Variables for the load driver's own root spans; undefined: the driver exports no spans. */
  driverEnv?: Record<string, string>;
}

/** The four configurations the issue asks for; `ratio` is the sampled one's ratio. */
export function benchConfigs(ratio: number): BenchConfig[] {
  return [
    { name: 'off', description: 'tracing off (OTEL_SDK_DISABLED=true)', serviceEnv: { OTEL_SDK_DISABLED: 'true' } },
    { name: 'on', description: 'tracing on, every span to the embedded receiver', serviceEnv: {}, driverEnv: {} },
    { name: 'no-export', description: 'tracing on, spans exported nowhere (OTEL_TRACES_EXPORTER=none)', serviceEnv: { OTEL_TRACES_EXPORTER: 'none' } },
    {
      name: 'sampled',
      description: `tracing on, ${ratio * 100} % of flows sampled (traceidratio at the root)`,
      serviceEnv: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(ratio) },
      driverEnv: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: String(ratio) },
    },
  ];
}

export interface BenchOptions {
  configs: BenchConfig[];
  /** First rate tried, flows/s. */
  startRate: number;
  /** Rate multiplier between steps until one fails. */
  growth: number;
  /** Stop bisecting once the bracket is narrower than this fraction of its lower end. */
  precision: number;
  maxRate: number;
  stepS: number;
  warmupS: number;
  p99LimitMs: number;
  maxErrorRate: number;
  /** Seeded users the flows draw from. */
  users: number;
  /** Services' variables common to every configuration (Stripe double latency, log level …). */
  env: Record<string, string>;
  /**
   * When set: after the search, one more step per configuration with the services under
   * `node --cpu-prof`, profiles in `dir/<config>`, at `rate` (default: half the lowest sustained rate).
   */
  cpuProfile?: { rate?: number; dir: string };
}

export interface StepResult {
  rate: number;
  held: boolean;
  /** Why the step did not hold (empty when it held). */
  reasons: string[];
  achievedRate: number;
  iterations: number;
  checkoutP50Ms: number | null;
  checkoutP99Ms: number | null;
  errorRate: number;
  dropped: number;
  /** Spans that reached the receiver per iteration (0 when nothing is exported). */
  spansPerFlow: number;
  /** CPU milliseconds per iteration of each process tree (services, receiver, app PostgreSQL, the lab with the driver). */
  cpuMsPerFlow: Record<string, number>;
  /** A service exited during the step. */
  crashed: boolean;
  /** CPU ms per iteration the receiver spent after the step, decoding the batches it spooled during it. */
  receiverDecodeMsPerFlow: number;
  validity: RunVerdict;
}

export interface ConfigResult {
  config: string;
  description: string;
  /** Highest rate that held (0 when none did). */
  sustainedRate: number;
  /** The step at the sustained rate. */
  atSustained: StepResult | undefined;
  steps: StepResult[];
  /** The `--cpu-prof` step, when asked for: where each service's CPU went during it. */
  profiled?: { step: StepResult; dir: string; services: Record<string, CpuProfileSummary> };
}

type Say = (line: string) => void;

/** Runs the whole benchmark on a started stack infrastructure (the servers and the data). */
export async function benchStack(stack: Stack, options: BenchOptions, say: Say): Promise<ConfigResult[]> {
  const results: ConfigResult[] = [];
  for (const config of options.configs) {
    say(`\n== ${config.name}: ${config.description} ==`);
    results.push(await searchCapacity(stack, config, options, say));
  }
  if (options.cpuProfile) {
    const sustained = results.map((r) => r.sustainedRate).filter((r) => r > 0);
    const rate = options.cpuProfile.rate ?? roundRate(Math.max(1, Math.min(...sustained, options.startRate * 2) / 2));
    for (const [i, config] of options.configs.entries()) {
      say(`\n== ${config.name}: CPU profile of the services at ${rate}/s ==`);
      const result = results[i] as ConfigResult;
      result.profiled = await profile(stack, config, options, { rate, dir: path.join(options.cpuProfile.dir, config.name) }, say);
    }
  }
  return results;
}

/** What the search needs to know of a step. */
export interface StepVerdict {
  rate: number;
  held: boolean;
  /** A service exited during the step: the search stops. */
  crashed?: boolean;
}

/**
 * The capacity search: up by `growth` from startRate (the last step at exactly maxRate) until a
 * step fails; if the first fails, down by `growth` until one holds; then bisection between the
 * last rate that held and the first that failed, until the bracket is narrower than `precision`
 * (or than the rates' rounding). Returns the highest step that held and the lowest that failed.
 */
export async function findCapacity<S extends StepVerdict>(
  step: (rate: number) => Promise<S>,
  options: Pick<BenchOptions, 'startRate' | 'maxRate' | 'growth' | 'precision'>,
  say: Say = () => undefined,
): Promise<{ good: S | undefined; bad: S | undefined }> {
  let good: S | undefined;
  let bad: S | undefined;
  // Up by `growth` (the last step at exactly maxRate) until a step fails.
  for (let rate = Math.min(options.startRate, options.maxRate); ; rate = Math.min(options.maxRate, nextRate(rate, options.growth))) {
    const result = await step(rate);
    if (!result.held) {
      bad = result;
      break;
    }
    good = result;
    if (rate >= options.maxRate) {
      say(`  held at --max-rate ${options.maxRate}/s: the capacity is at least that`);
      break;
    }
  }
  // The first step failed: down by `growth` until one holds (or at 1/s).
  while (!good && bad && !bad.crashed && bad.rate > 1) {
    const result = await step(roundRate(Math.max(1, bad.rate / options.growth)));
    if (result.held) good = result;
    else bad = result;
  }
  // Bisect between the last rate that held and the first that failed.
  while (good && bad && !bad.crashed && bad.rate - good.rate > options.precision * good.rate) {
    const mid = roundRate((good.rate + bad.rate) / 2);
    if (mid <= good.rate || mid >= bad.rate) break; // the bracket is as narrow as the rates' rounding
    const result = await step(mid);
    if (result.held) good = result;
    else bad = result;
  }
  if (bad?.crashed) say(`  a service exited during the step at ${bad.rate}/s: the search stopped`);
  return { good, bad };
}

async function searchCapacity(stack: Stack, config: BenchConfig, options: BenchOptions, say: Say): Promise<ConfigResult> {
  const endpoints = await restart(stack, config, options.env, say);
  const runner = new StepRunner(stack, config, options, say);
  await runner.warmUp(endpoints);

  const steps: StepResult[] = [];
  const step = async (rate: number): Promise<StepResult> => {
    const result = await runner.step(endpoints, rate);
    steps.push(result);
    say(describeStep(result));
    return result;
  };

  const { good } = await findCapacity(step, options, say);
  await stack.stopServices();
  return { config: config.name, description: config.description, sustainedRate: good?.rate ?? 0, atSustained: good, steps };
}

/** One step at `rate` with every service under `node --cpu-prof`; each writes its profile as it exits. */
async function profile(
  stack: Stack,
  config: BenchConfig,
  options: BenchOptions,
  target: { rate: number; dir: string },
  say: Say,
): Promise<NonNullable<ConfigResult['profiled']>> {
  const endpoints = await restart(stack, config, options.env, say, ['--cpu-prof', `--cpu-prof-dir=${target.dir}`]);
  const pids = servicePids(stack);
  const runner = new StepRunner(stack, config, options, say);
  await runner.warmUp(endpoints);
  const fromUs = monotonicUs();
  const step = await runner.step(endpoints, target.rate);
  const window = { fromUs, toUs: monotonicUs() };
  say(describeStep(step));
  await stack.stopServices();
  // Node names each profile CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile.
  const services: Record<string, CpuProfileSummary> = {};
  const files = existsSync(target.dir) ? readdirSync(target.dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  for (const [name, pid] of Object.entries(pids)) {
    const file = files.find((f) => f.split('.')[3] === String(pid));
    if (!file || step.iterations === 0) continue;
    const profile = parseCpuProfile(JSON.parse(readFileSync(path.join(target.dir, file), 'utf8')), file);
    services[name] = summariseCpuProfile(profile, { flows: step.iterations, window });
  }
  if (Object.keys(services).length === 0) say(`  WARNING: no CPU profile was written under ${target.dir}`);
  return { step, dir: target.dir, services };
}

/** The monotonic clock in microseconds: the clock V8's CPU profiles are stamped with. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

async function restart(stack: Stack, config: BenchConfig, env: Record<string, string>, say: Say, nodeArgs: string[] = []): Promise<StackEndpoints> {
  say('  starting the services …');
  stack.releaseForStartup();
  const endpoints = await stack.startServices({ billingStore: 'sql', sqlProfile: 'indexed', env: { ...env, ...config.serviceEnv }, nodeArgs });
  await stack.isolate();
  return endpoints;
}

function servicePids(stack: Stack): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const [name, pid] of Object.entries(stack.processTrees())) if (pid !== undefined) pids[name] = pid;
  return pids;
}

/** Runs one step (a fixed arrival rate for stepS) and judges it. */
class StepRunner {
  private counter = 0;

  constructor(
    private readonly stack: Stack,
    private readonly config: BenchConfig,
    private readonly options: BenchOptions,
    private readonly say: Say,
  ) {}

  async warmUp(endpoints: StackEndpoints): Promise<void> {
    this.say(`  warm-up: ${this.options.startRate}/s for ${this.options.warmupS} s`);
    const runId = `bench-${this.config.name}-warmup-${process.pid}`;
    await this.drive(endpoints, this.options.startRate, this.options.warmupS, runId);
    // Decode the warm-up's spooled batches now, so neither their files nor their CPU land on the first step.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await this.stack.flushTraces();
    this.dropSpans(runId);
  }

  async step(endpoints: StackEndpoints, rate: number): Promise<StepResult> {
    const { options } = this;
    const runId = `bench-${this.config.name}-${++this.counter}-${process.pid}`;
    const countersBefore = await scrapeSpanCounters(endpoints, 0);
    const host = new HostSampler(() => this.stack.processTrees());
    const summary = await this.drive(endpoints, rate, options.stepS, runId);
    const cpu = host.finish(this.stack.servicePids).processCpuSeconds ?? {};
    const telemetry = difference(await scrapeSpanCounters(endpoints), countersBefore);
    const iterations = value(summary, 'iterations', 'count') ?? 0;
    const validity = judgeRun({ summary, targetRate: rate, durationS: options.stepS, telemetry, serviceExits: this.stack.serviceExits() });
    // The receiver decodes what it spooled once the load pauses: its CPU for that, after the step.
    const settling = new HostSampler(() => this.stack.processTrees());
    const spans = await this.countSpans(runId);
    const decodeSeconds = settling.finish(this.stack.servicePids).processCpuSeconds?.['trace-receiver'] ?? 0;
    const p99 = value(summary, 'http_req_duration{name:checkout}', 'p(99)');
    const errorRate = value(summary, 'http_req_failed', 'rate') ?? 0;
    const dropped = value(summary, 'dropped_iterations', 'count') ?? 0;
    const reasons = [
      ...(p99 === null ? ['no checkout completed'] : p99 > options.p99LimitMs ? [`checkout p99 ${p99.toFixed(0)} ms > ${options.p99LimitMs} ms`] : []),
      ...(errorRate >= options.maxErrorRate ? [`errors ${(errorRate * 100).toFixed(2)} % ≥ ${options.maxErrorRate * 100} %`] : []),
      ...(dropped > 0 ? [`${dropped} iterations dropped`] : []),
      ...validity.reasons.filter((r) => !r.startsWith('dropped iterations')),
    ];
    const cpuMsPerFlow: Record<string, number> = {};
    for (const [name, seconds] of Object.entries(cpu)) cpuMsPerFlow[name] = iterations > 0 ? round((seconds * 1000) / iterations) : 0;
    return {
      rate,
      held: reasons.length === 0,
      reasons,
      achievedRate: round(iterations / options.stepS),
      iterations,
      checkoutP50Ms: value(summary, 'http_req_duration{name:checkout}', 'med'),
      checkoutP99Ms: p99,
      errorRate,
      dropped,
      spansPerFlow: iterations > 0 ? round(spans / iterations) : 0,
      cpuMsPerFlow,
      receiverDecodeMsPerFlow: iterations > 0 ? round((decodeSeconds * 1000) / iterations) : 0,
      crashed: validity.checks.some((c) => c.name === 'services_stayed_up' && c.ok === false),
      validity,
    };
  }

  private drive(endpoints: StackEndpoints, rate: number, seconds: number, runId: string): Promise<LoadSummary> {
    const { options, config } = this;
    // Enough VUs for every flow in flight when each of its up to 5 requests takes twice the checkout
    // latency limit: past that the step has failed on latency, not on the VU cap.
    const maxVUs = Math.ceil(rate * (options.p99LimitMs / 1000) * 10) + 20;
    return runScenario(
      {
        scenarios: {
          step: {
            executor: 'constant-arrival-rate',
            rate,
            timeUnit: '1s',
            duration: `${seconds}s`,
            preAllocatedVUs: Math.min(maxVUs, Math.ceil(rate) + 10),
            maxVUs,
            gracefulStop: '5s',
          },
        },
      },
      {
        baseUrl: endpoints.cart,
        env: { SEED_USERS: String(options.users), THINK_TIME_MEAN_S: '0', RUN_ID: runId, VARIANT: config.name, ...config.driverEnv },
        ...(config.driverEnv ? { otlp: endpoints.traces } : { otlp: false }),
        scenarioName: `bench-${config.name}`,
        isStdOutTTY: false,
        isStdErrTTY: false,
      },
    );
  }

  /** Spans of the step that reached the receiver (after the batch processors' schedule), then removed. */
  private async countSpans(runId: string): Promise<number> {
    const dir = this.stack.traceDir;
    if (!dir) return 0;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await this.stack.flushTraces();
    const spans = (await readRunSpans(dir, runId)).length;
    this.dropSpans(runId);
    return spans;
  }

  private dropSpans(runId: string): void {
    const dir = this.stack.traceDir;
    if (dir) rmSync(path.dirname(runSpansDir(dir, runId)), { recursive: true, force: true });
  }
}

function difference(after: SpanCounters, before: SpanCounters): SpanCounters {
  const services: SpanCounters['services'] = {};
  for (const [name, a] of Object.entries(after.services)) {
    const b = before.services[name] ?? { exported: 0, dropped: 0 };
    services[name] = { exported: a.exported - b.exported, dropped: a.dropped - b.dropped };
  }
  return { services };
}

function value(summary: LoadSummary, metric: string, key: string): number | null {
  const v = summary.metrics[metric]?.values[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function describeStep(s: StepResult): string {
  const p99 = s.checkoutP99Ms === null ? '–' : `${s.checkoutP99Ms.toFixed(0)} ms`;
  return (
    `  ${String(s.rate).padStart(6)}/s  ${s.held ? 'held  ' : 'FAILED'}  achieved ${s.achievedRate.toFixed(1)}/s  checkout p99 ${p99}` +
    `  errors ${(s.errorRate * 100).toFixed(2)} %  dropped ${s.dropped}  spans/flow ${s.spansPerFlow.toFixed(1)}` +
    (s.reasons.length ? `\n          ${s.reasons.join('; ')}` : '')
  );
}

/** The next rate up: ×growth, and always at least one rounding step higher. */
function nextRate(rate: number, growth: number): number {
  return Math.max(roundRate(rate * growth), roundRate(rate + (rate >= 20 ? 1 : 0.1)));
}

function roundRate(rate: number): number {
  return rate >= 20 ? Math.round(rate) : Math.round(rate * 10) / 10;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
