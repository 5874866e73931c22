import { cpSync, existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_BILLING_STORE, DEFAULT_SQL_PROFILE } from '@checkout-lab/config';
import { loadScenario, runScenario, type LoadProgress, type LoadSummary } from '@checkout-lab/load-tests';
import { judgeRun, writeRunRecord, type DatabaseEvidence, type RunMeta } from '@checkout-lab/run-record';
import { Stack, withGeneratorPriority, type LabSettings } from '@checkout-lab/stack';
import { runSpansDir, readRunSpans, type FlatSpan } from '@checkout-lab/telemetry';
import { variantEnvironment, type ResolvedExperiment } from './definition';
import { collectSqlEvidence, HostSampler, resetStatementStats, scrapeSpanCounters } from './evidence';
import type { ExperimentParts, PlannedRun, RunOutcome } from './runner';

/**
 * The run executor: the experiment's parts (see runner.ts) on this machine. One embedded stack
 * whose servers and data are shared by every run, and whose services are restarted with each
 * run's variant settings; each run is warmed up, loaded, and collected into its run directory.
 *
 * The servers keep their data in <LAB_DATA_DIR>/experiment-data/<users>x<addresses>, so a second
 * experiment with the same seed size reuses the seed and the DynamoDB copy.
 */
export class RunExecutor implements ExperimentParts {
  private stack: Stack | undefined;

  constructor(
    private readonly baseSettings: LabSettings,
    private readonly say: (line: string) => void,
    private readonly progress: (line: string | null) => void,
  ) {}

  private settingsFor(experiment: ResolvedExperiment): LabSettings {
    const dataDir = path.join(this.baseSettings.dataDir, 'experiment-data', `${experiment.seed.users}x${experiment.seed.addressesPerUser}`);
    return { ...this.baseSettings, dataDir, seed: experiment.seed };
  }

  async prepare(experiment: ResolvedExperiment): Promise<void> {
    const settings = this.settingsFor(experiment);
    this.stack = new Stack(settings, (line) => this.say(`  ${line}`));
    const dynamodb = experiment.variants.some((v) => v.settings.billingStore === 'dynamodb');
    this.say(`preparing the servers and data (${experiment.seed.users.toLocaleString('en-US')} users × ${experiment.seed.addressesPerUser} addresses${dynamodb ? ', copied to DynamoDB' : ''}) …`);
    await this.stack.startInfrastructure({ dynamodb });
  }

  async execute(run: PlannedRun, experiment: ResolvedExperiment): Promise<RunOutcome> {
    const stack = this.stack;
    if (!stack) throw new Error('prepare() was not called');
    const { variant } = run;
    const billingStore = variant.settings.billingStore ?? DEFAULT_BILLING_STORE;
    const sqlProfile = variant.settings.sqlProfile ?? DEFAULT_SQL_PROFILE;
    const startedAt = new Date();

    // The services start up on every CPU (the legacy server is idle between runs); the isolation
    // then pins the whole tree, before the warm-up and the load.
    this.say(`  restarting the services (${describeSettings(variant.settings)}) …`);
    await stack.prewarmLegacyServer();
    stack.releaseForStartup();
    const endpoints = await stack.startServices({ billingStore, sqlProfile, env: variantEnvironment(variant.settings) });
    let isolation = await stack.isolate({
      ...(variant.settings.legacyCpus !== undefined ? { legacyCpus: variant.settings.legacyCpus } : {}),
      ...(variant.settings.stackCpus !== undefined ? { stackCpus: variant.settings.stackCpus } : {}),
      ...(variant.settings.legacyCpuQuota !== undefined ? { legacyCpuQuota: String(variant.settings.legacyCpuQuota) } : {}),
    });
    // The legacy server's speed, pinned where this run reads it (a DynamoDB run leaves it idle).
    const lookupMs = variant.settings.legacyLookupMs;
    if (billingStore === 'sql' && typeof lookupMs === 'number' && (await stack.pinLegacySpeed(lookupMs))) {
      isolation = stack.appliedIsolation ?? isolation;
    }
    const billingDb = stack.billingDatabaseUrl as string;
    const loadEnv = { ...experiment.load.env, SEED_USERS: String(experiment.seed.users), VARIANT: variant.name };
    try {
      // Warm-up: JIT, connection pools, PostgreSQL's buffers. Its spans carry their own run id and are not analysed.
      this.say(`  warm-up: ${experiment.warmup.rate}/s for ${experiment.warmup.duration / 1000} s`);
      await runScenario(warmupOptions(experiment.warmup), {
        baseUrl: endpoints.cart,
        // No think time: the warm-up exercises the code paths and pools, and ends when its last flow does.
        env: { ...loadEnv, THINK_TIME_MEAN_S: '0', RUN_ID: `${run.runId}-warmup` },
        otlp: endpoints.traces,
        scenarioName: 'warmup',
        isStdOutTTY: false,
        isStdErrTTY: false,
      });
      if (billingStore === 'sql') await resetStatementStats(billingDb);

      const { options, name: scenario } = loadScenario(experiment.load.scenario, loadEnv);
      const host = new HostSampler(() => stack.processTrees());
      const { result: summary, policy: generatorPolicy, cpus: generatorCpus } = await withGeneratorPriority(() =>
        runScenario(options, {
          baseUrl: endpoints.cart,
          env: { ...loadEnv, RUN_ID: run.runId },
          otlp: endpoints.traces,
          scenarioName: scenario,
          onProgress: (p) => this.progress(progressLine(p)),
          isStdOutTTY: false,
          isStdErrTTY: false,
        }),
        stack.generatorPlacement,
      );
      isolation = { ...isolation, generatorPolicy, ...(generatorCpus ? { generatorCpus } : {}) };
      this.progress(null);
      const hostStats = host.finish(stack.servicePids);
      const serviceExits = stack.serviceExits();
      const telemetry = await scrapeSpanCounters(endpoints);
      const database: DatabaseEvidence | undefined =
        billingStore === 'sql' ? await collectSqlEvidence(billingDb, sqlProfile, 'user-1') : undefined;

      await stack.stopServices(); // each service flushes its last spans to the receiver on SIGTERM
      const spans = await this.collectSpans(run);
      const plannedMs = Object.values(summary.state.scenarios ?? {}).reduce((s, x) => Math.max(s, x.durationMs), 0);
      const planned = Object.values(summary.state.scenarios ?? {}).reduce((s, x) => s + x.plannedIterations, 0);
      const durationS = plannedMs / 1000;
      const targetRate = durationS > 0 ? round(planned / durationS) : 0;
      const validity = judgeRun({ summary, targetRate, durationS, telemetry, serviceExits });
      const meta: RunMeta = {
        runId: run.runId,
        experiment: experiment.name,
        variant: variant.name,
        repetition: run.repetition,
        warmup: false,
        startedAt: startedAt.toISOString(),
        endedAt: new Date().toISOString(),
        scenario,
        target: { rate: targetRate, ...(durationS > 0 ? { durationS } : {}) },
        settings: { ...variant.settings, env: variantEnvironment(variant.settings), load: loadEnv },
        isolation,
        serviceExits,
        validity,
      };
      writeRunRecord(run.dir, { meta, summary, host: hostStats, telemetry, database: database ?? dynamoEvidence(spans) });
      if (!validity.valid) this.say(`  INVALID run (left out of every verdict): ${validity.reasons.join('; ')}`);
      return { ...outcome(summary, planned, durationS, spans.length), valid: validity.valid };
    } finally {
      this.progress(null);
      await stack.stopServices();
    }
  }

  async shutdown(): Promise<void> {
    await this.stack?.stop();
  }

  private async collectSpans(run: PlannedRun): Promise<FlatSpan[]> {
    return this.stack ? collectRunSpans(this.stack, run.runId, run.dir) : [];
  }
}

/**
 * Moves a run's span files from the embedded receiver's store into `<runDir>/spans` (its warm-up's
 * are dropped) and returns them. Nothing when spans went to OTEL_EXPORTER_OTLP_ENDPOINT: read
 * them with `checkout-lab report --spans-from jaeger`.
 */
export async function collectRunSpans(stack: Stack, runId: string, runDir: string): Promise<FlatSpan[]> {
  const traceDir = stack.traceDir;
  if (!traceDir) return [];
  await stack.flushTraces();
  const from = runSpansDir(traceDir, runId);
  if (existsSync(from)) cpSync(from, path.join(runDir, 'spans'), { recursive: true });
  const spans = await readRunSpans(traceDir, runId);
  for (const id of [runId, `${runId}-warmup`]) rmSync(path.dirname(runSpansDir(traceDir, id)), { recursive: true, force: true });
  return spans;
}

/** A k6 constant-arrival-rate scenario for the driver: `rate` iterations/s for `durationMs`. */
export function constantArrivalOptions(name: string, rate: number, durationMs: number, gracefulStop = '10s'): unknown {
  return {
    scenarios: {
      [name]: {
        executor: 'constant-arrival-rate',
        rate,
        timeUnit: '1s',
        duration: `${Math.round(durationMs)}ms`,
        preAllocatedVUs: Math.ceil(rate * 2),
        maxVUs: Math.ceil(rate * 20),
        gracefulStop,
      },
    },
  };
}

function warmupOptions(warmup: { duration: number; rate: number }): unknown {
  return constantArrivalOptions('warmup', warmup.rate, warmup.duration);
}

/** DynamoDB's side of the evidence: what each lookup costs, from the traced calls themselves. */
function dynamoEvidence(spans: FlatSpan[]): DatabaseEvidence {
  let reads = 0;
  let calls = 0;
  for (const span of spans) {
    if (span.attributes['rpc.system'] !== 'aws-api' || span.attributes['rpc.service'] !== 'DynamoDB') continue;
    calls++;
    const capacity = span.attributes['aws.dynamodb.consumed_capacity'];
    const units = Array.isArray(capacity) ? capacity.map((c) => parseCapacity(String(c))).reduce((a, b) => a + b, 0) : 0;
    // A strongly consistent read of one item under 4 KB costs 1 read unit when the SDK call did not report it.
    reads += units > 0 ? units : 1;
  }
  return {
    store: 'dynamodb',
    consumedCapacity: { readUnits: reads, writeUnits: 0 },
    plan: `Key lookup: ${calls.toLocaleString('en-US')} Query calls on the partition key userId (no scan); ${reads.toLocaleString('en-US')} read capacity units.`,
  };
}

function parseCapacity(json: string): number {
  try {
    const value = JSON.parse(json) as { CapacityUnits?: number; ReadCapacityUnits?: number };
    return value.ReadCapacityUnits ?? value.CapacityUnits ?? 0;
  } catch {
    return 0;
  }
}

function outcome(
  summary: LoadSummary,
  planned: number,
  durationS: number,
  spans: number,
): Omit<RunOutcome, 'valid'> {
  const metric = (name: string, key: string) => summary.metrics[name]?.values[key] ?? undefined;
  const iterations = metric('iterations', 'count') ?? 0;
  return {
    achievedRate: durationS > 0 ? iterations / durationS : 0,
    targetRate: durationS > 0 ? planned / durationS : 0,
    checkoutP95Ms: metric('http_req_duration{name:checkout}', 'p(95)') ?? undefined,
    failedRate: metric('http_req_failed', 'rate') ?? 0,
    droppedIterations: metric('dropped_iterations', 'count') ?? 0,
    spans,
    scheduleLagP99Ms: metric('schedule_lag', 'p(99)') ?? undefined,
  };
}

function progressLine(p: LoadProgress): string {
  const target = p.targetRate === null ? '' : `/${p.targetRate.toFixed(1)}`;
  return (
    `  load ${Math.round(p.elapsedMs / 1000)}/${Math.round(p.plannedMs / 1000)} s  ${p.achievedRate.toFixed(1)}${target} it/s  ` +
    `in flight ${p.inFlight}  errors ${(p.errorRate * 100).toFixed(1)} %  p95 ${p.p95Ms.toFixed(0)} ms  dropped ${p.dropped}`
  );
}

function describeSettings(settings: Record<string, unknown>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
