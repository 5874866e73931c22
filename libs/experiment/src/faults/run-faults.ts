import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_BILLING_STORE } from '@checkout-lab/config';
import { checkoutFlow, runScenario, type Flow, type LoadClient, type LoadSummary } from '@checkout-lab/load-tests';
import { withClient } from '@checkout-lab/database';
import { descendants, Stack, type LabSettings, type ServiceEvent } from '@checkout-lab/stack';
import { variantEnvironment, type StackSettings } from '../definition';
import { collectRunSpans, constantArrivalOptions } from '../run-executor';
import { reconcile, type ReconcileResult } from '../reconcile/reconcile';
import { faultDurationMs, type Fault, type FaultEntry, type FaultsExperiment } from './definition';
import { startFaultProxy, type FaultProxy } from './proxy';
import { recovery, timeline, type FlowStepName, type Recovery, type RequestSample, type TimelineBucket } from './timeline';

/** The Stripe double's key (payment's default); the books are read with it. */
const DEFAULT_STRIPE_KEY = 'sk_test_checkout_lab';

export interface FaultResult {
  name: string;
  description: string;
  fault: Fault;
  settings: StackSettings;
  runId: string;
  /** When the fault started and ended, in seconds from the start of the load. */
  window: { startS: number; endS: number; loadS: number };
  requests: number;
  /** Requests by status code over the whole load ("0": no response). */
  statuses: Record<string, number>;
  checkouts: { attempted: number; ok: number };
  timeline: TimelineBucket[];
  recovery: Recovery;
  /** Service exits and restarts while the fault's stack ran, in seconds from the start of the load. */
  services: (ServiceEvent & { atS: number })[];
  /** Orders still pending when the load ended, and after the reconcilers had `settleTimeout` to resolve them. */
  pending: { atLoadEnd: number; afterSettle: number; settleS: number };
  /** The load's orders by final status ("failed (payment_expired)" names the failure code). */
  orders: Record<string, number>;
  books: ReconcileResult;
  problems: string[];
  passed: boolean;
}

export interface FaultsOutcome {
  results: FaultResult[];
  passed: boolean;
}

/**
 * Runs each fault of the experiment on the lab's stack: fresh services (with the fault's
 * settings), a warm-up, then a steady open-model load with the fault injected at a known time;
 * afterwards the services' reconcilers get time to resolve pending orders, and the orders are
 * compared with Stripe's PaymentIntents. Writes `<outDir>/runs/<fault>/fault.json` (the samples
 * and findings) and the run's spans, and returns every fault's result.
 */
export async function runFaultsExperiment(
  experiment: FaultsExperiment,
  outDir: string,
  options: {
    settings: LabSettings;
    say: (line: string) => void;
    progress: (line: string | null) => void;
    signal?: AbortSignal;
  },
): Promise<FaultsOutcome> {
  const { say } = options;
  const settings: LabSettings = {
    ...options.settings,
    dataDir: path.join(options.settings.dataDir, 'experiment-data', `${experiment.seed.users}x${experiment.seed.addressesPerUser}`),
    seed: experiment.seed,
  };
  const stack = new Stack(settings, (line) => say(`  ${line}`));
  const results: FaultResult[] = [];
  try {
    const dynamodb = experiment.faults.some((f) => ({ ...experiment.settings, ...f.settings }).billingStore === 'dynamodb');
    say(`preparing the servers and data (${experiment.seed.users.toLocaleString('en-US')} users × ${experiment.seed.addressesPerUser} addresses${dynamodb ? ', copied to DynamoDB' : ''}) …`);
    await stack.startInfrastructure({ dynamodb });
    for (const [i, entry] of experiment.faults.entries()) {
      if (options.signal?.aborted) break;
      say(`\nfault ${i + 1}/${experiment.faults.length}: ${entry.name} — ${describeFault(entry.fault)}`);
      const result = await runOneFault(stack, settings, experiment, entry, outDir, options);
      results.push(result);
      say(`  ${result.passed ? 'PASSED' : 'FAILED'}: ${summaryLine(result)}${result.problems.length ? `\n  problems: ${result.problems.join('; ')}` : ''}`);
    }
  } finally {
    options.progress(null);
    await stack.stop();
  }
  return { results, passed: results.length === experiment.faults.length && results.every((r) => r.passed) };
}

async function runOneFault(
  stack: Stack,
  settings: LabSettings,
  experiment: FaultsExperiment,
  entry: FaultEntry,
  outDir: string,
  options: { say: (line: string) => void; progress: (line: string | null) => void; signal?: AbortSignal },
): Promise<FaultResult> {
  const { say, progress } = options;
  const { fault } = entry;
  const stackSettings: StackSettings = { ...experiment.settings, ...entry.settings };
  const runId = `${experiment.name}-${entry.name}-${Date.now().toString(36)}`;
  const runDir = path.join(outDir, 'runs', entry.name);
  mkdirSync(runDir, { recursive: true });

  // The proxy sits in front of the part that fails for this fault only; the other faults talk to it directly.
  let proxy: FaultProxy | undefined;
  const proxyEnv: Record<string, string> = {};
  if (fault.action === 'http-500' || (fault.action === 'kill' && fault.when === 'charge-in-flight')) {
    proxy = await startFaultProxy(hostPort(settings.external.stripeApiBase ?? `http://127.0.0.1:${settings.ports.stripeDouble}`));
    proxyEnv['STRIPE_API_BASE'] = proxy.url;
  } else if (fault.action === 'drop') {
    proxy = await startFaultProxy(hostPort(settings.external.dynamoEndpoint ?? `http://127.0.0.1:${settings.ports.dynamodb}`));
    proxyEnv['DYNAMODB_ENDPOINT'] = proxy.url;
  }

  const loadMs = experiment.load.before + faultDurationMs(fault) + experiment.load.after;
  const loadEnv = { SEED_USERS: String(experiment.seed.users), VARIANT: entry.name, THINK_TIME_MEAN_S: String(experiment.load.thinkTimeMeanS) };
  const stopFault: (() => void)[] = [];
  try {
    say(`  starting the services (${Object.entries(stackSettings).map(([k, v]) => `${k}=${String(v)}`).join(', ')}) …`);
    stack.releaseForStartup();
    const endpoints = await stack.startServices({
      billingStore: stackSettings.billingStore ?? DEFAULT_BILLING_STORE,
      sqlProfile: stackSettings.sqlProfile ?? 'indexed',
      env: { ...variantEnvironment(stackSettings), ...experiment.env, ...proxyEnv },
    });
    await stack.isolate();
    say(`  warm-up: ${experiment.warmup.rate}/s for ${experiment.warmup.duration / 1000} s`);
    await runScenario(constantArrivalOptions('warmup', experiment.warmup.rate, experiment.warmup.duration), {
      baseUrl: endpoints.cart,
      env: { ...loadEnv, THINK_TIME_MEAN_S: '0', RUN_ID: `${runId}-warmup` },
      otlp: endpoints.traces,
      scenarioName: 'warmup',
      isStdOutTTY: false,
      isStdErrTTY: false,
    });

    // Stripe dates PaymentIntents to the second: a pause keeps the warm-up's out of the load's second.
    await sleep(1100);
    const loadStarted = new Date();
    const t0 = Date.now();
    const samples: RequestSample[] = [];
    let faultStartMs = Number.NaN;
    let faultEndMs = Number.NaN;
    let injectionError: string | undefined;
    const injection = (async () => {
      await sleep(experiment.load.before, undefined, options.signal ? { signal: options.signal } : {});
      const { undo, startedMs } = await inject(stack, fault, proxy, () => Date.now() - t0);
      faultStartMs = startedMs;
      stopFault.push(undo);
      if (fault.action !== 'kill') await sleep(fault.duration, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
      undo();
      faultEndMs = fault.action === 'kill' ? faultStartMs : Date.now() - t0;
    })();
    say(`  load: ${experiment.load.rate}/s for ${loadMs / 1000} s; the fault at ${experiment.load.before / 1000} s${faultDurationMs(fault) ? ` for ${faultDurationMs(fault) / 1000} s` : ''}`);
    const summary: LoadSummary = await runScenario(constantArrivalOptions('faults', experiment.load.rate, loadMs, '30s'), {
      baseUrl: endpoints.cart,
      env: { ...loadEnv, RUN_ID: runId },
      otlp: endpoints.traces,
      scenarioName: 'faults',
      flow: recordingFlow(checkoutFlow, samples, t0),
      onProgress: (p) => {
        const now = Date.now() - t0;
        const phase = Number.isNaN(faultStartMs) ? 'before the fault' : Number.isNaN(faultEndMs) ? 'FAULT ACTIVE' : 'after the fault';
        const failed = samples.filter((s) => s.status < 200 || s.status >= 300).length;
        progress(`  ${entry.name}: ${Math.round(now / 1000)}/${Math.round(loadMs / 1000)} s  ${phase}  requests ${samples.length}  failed ${failed}  in flight ${p.inFlight}`);
      },
      ...(options.signal ? { signal: options.signal } : {}),
      isStdOutTTY: false,
      isStdErrTTY: false,
    });
    progress(null);
    await injection.catch((error: unknown) => {
      injectionError = error instanceof Error ? error.message : String(error);
    });
    const loadEndMs = Date.now() - t0;

    // The books: first the reconcilers resolve what the fault left pending (no client retries), then orders vs PaymentIntents.
    const databases = stack.appDatabaseUrls;
    if (!databases) throw new Error('the app databases are not known (the stack has not started)');
    const pendingAtLoadEnd = await pendingOrders(databases.cart, loadStarted);
    const settleStarted = Date.now();
    let pendingAfter = pendingAtLoadEnd;
    if (pendingAtLoadEnd > 0) say(`  ${pendingAtLoadEnd} order(s) pending at the end of the load: waiting for the reconcilers (at most ${experiment.settleTimeout / 1000} s) …`);
    while (pendingAfter > 0 && Date.now() - settleStarted < experiment.settleTimeout && !options.signal?.aborted) {
      await sleep(1000);
      pendingAfter = await pendingOrders(databases.cart, loadStarted);
    }
    const settleS = round((Date.now() - settleStarted) / 1000);
    const books = await reconcile({
      cartDatabaseUrl: databases.cart,
      paymentDatabaseUrl: databases.payment,
      stripeApiBase: settings.external.stripeApiBase ?? `http://127.0.0.1:${settings.ports.stripeDouble}`,
      stripeSecretKey: process.env['STRIPE_SECRET_KEY'] ?? DEFAULT_STRIPE_KEY,
      since: loadStarted,
    });
    const orders = await ordersByStatus(databases.cart, loadStarted);
    const services = stack.serviceEvents().map((e) => ({ ...e, atS: round((Date.parse(e.at) - t0) / 1000) }));

    await stack.stopServices();
    await collectRunSpans(stack, runId, runDir);

    const window = { faultStartMs, faultEndMs, loadEndMs: loadMs };
    const rec = recovery(samples, window);
    const statuses: Record<string, number> = {};
    for (const s of samples) statuses[String(s.status)] = (statuses[String(s.status)] ?? 0) + 1;
    const checkouts = samples.filter((s) => s.step === 'checkout');
    const result: Omit<FaultResult, 'problems' | 'passed'> = {
      name: entry.name,
      description: entry.description,
      fault,
      settings: stackSettings,
      runId,
      window: { startS: round(faultStartMs / 1000), endS: round(faultEndMs / 1000), loadS: round(loadEndMs / 1000) },
      requests: samples.length,
      statuses,
      checkouts: { attempted: checkouts.length, ok: checkouts.filter((s) => s.status >= 200 && s.status < 300).length },
      timeline: timeline(samples, loadEndMs, 1000),
      recovery: rec,
      services,
      pending: { atLoadEnd: pendingAtLoadEnd, afterSettle: pendingAfter, settleS },
      orders,
      books,
    };
    const problems = [...(injectionError ? [`the fault could not be injected: ${injectionError}`] : []), ...judgeFault(result, experiment.recoveryLimit / 1000, summary)];
    const full: FaultResult = { ...result, problems, passed: problems.length === 0 };
    writeFileSync(path.join(runDir, 'fault.json'), `${JSON.stringify({ ...full, samples }, null, 1)}\n`);
    writeFileSync(path.join(runDir, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
    return full;
  } finally {
    for (const undo of stopFault) undo(); // idempotent: a PostgreSQL frozen by an interrupted run is thawed
    progress(null);
    await stack.stopServices();
    await proxy?.close();
  }
}

/** What makes a fault fail: any money out of line, an order left pending, recovery slower than the limit, a service that did not come back. */
export function judgeFault(result: Omit<FaultResult, 'problems' | 'passed'>, limitS: number, summary?: LoadSummary): string[] {
  const problems: string[] = [];
  const { books, recovery: rec, fault } = result;
  if (books.doubleCharges.length) problems.push(`${books.doubleCharges.length} double charge(s)`);
  if (books.chargesWithoutPaidOrder.length) problems.push(`${books.chargesWithoutPaidOrder.length} charge(s) without a paid order`);
  if (books.paidOrdersWithoutCharge.length) problems.push(`${books.paidOrdersWithoutCharge.length} paid order(s) without a charge`);
  if (result.pending.afterSettle) problems.push(`${result.pending.afterSettle} order(s) still pending ${result.pending.settleS} s after the load`);
  if (rec.firstSuccessS === null) problems.push('no checkout succeeded after the fault');
  else if (rec.firstSuccessS > limitS) problems.push(`first success ${rec.firstSuccessS} s after the fault's end (limit ${limitS} s)`);
  if (rec.steadyStateS === null) problems.push('never back to the pre-fault error rate and latency');
  else if (rec.steadyStateS > limitS) problems.push(`steady state ${rec.steadyStateS} s after the fault's end (limit ${limitS} s)`);
  const killed = fault.action === 'kill' ? fault.target : undefined;
  for (const exit of result.services.filter((e) => e.kind === 'exited' && e.service !== killed)) {
    problems.push(`${exit.service} exited (${exit.signal ?? `code ${String(exit.code)}`}) at ${exit.atS} s`);
  }
  if (killed && !result.services.some((e) => e.service === killed && e.kind === 'restarted')) problems.push(`${killed} was not restarted`);
  if (summary?.state.aborted) problems.push(`the load stopped early (${String(summary.state.aborted)})`);
  return problems;
}

export function summaryLine(r: FaultResult): string {
  const s = (x: number | null) => (x === null ? 'never' : `${x} s`);
  return (
    `${r.checkouts.ok}/${r.checkouts.attempted} checkouts ok; first success ${s(r.recovery.firstSuccessS)}, steady ${s(r.recovery.steadyStateS)} after the fault's end; ` +
    `books: ${r.books.doubleCharges.length} double, ${r.books.chargesWithoutPaidOrder.length} charged-not-paid, ${r.books.paidOrdersWithoutCharge.length} paid-not-charged; pending ${r.pending.atLoadEnd} → ${r.pending.afterSettle}`
  );
}

export function describeFault(fault: Fault): string {
  switch (fault.action) {
    case 'kill':
      return fault.when === 'charge-in-flight' ? `kill -9 of ${fault.target} the moment Stripe's answer to a charge reaches it` : `kill -9 of ${fault.target}`;
    case 'freeze':
      return `${fault.target === 'app-postgres' ? 'the app PostgreSQL' : 'the legacy billing PostgreSQL'} frozen (SIGSTOP) for ${fault.duration / 1000} s`;
    case 'http-500':
      return `every Stripe API request answered 500 for ${fault.duration / 1000} s`;
    case 'drop':
      return `every connection to DynamoDB reset for ${fault.duration / 1000} s`;
  }
}

/** Starts the fault; returns when it started (ms from the load's start) and what ends it (safe to call more than once). */
async function inject(stack: Stack, fault: Fault, proxy: FaultProxy | undefined, now: () => number): Promise<{ startedMs: number; undo: () => void }> {
  const started = (undo: () => void) => ({ startedMs: now(), undo });
  switch (fault.action) {
    case 'kill': {
      const kill = () => {
        const pid = stack.pidOf(fault.target);
        if (pid === undefined) throw new Error(`${fault.target} is not running`);
        process.kill(pid, 'SIGKILL');
      };
      if (fault.when === 'scheduled') {
        kill();
        return started(() => undefined);
      }
      if (!proxy) throw new Error('no fault proxy in front of Stripe');
      let startedMs = Number.NaN;
      const fired = proxy.onNextResponse(/^POST \/v1\/payment_intents(\?| )/, () => {
        kill();
        startedMs = now();
      });
      const waited = await Promise.race([fired.then(() => true), sleep(10_000).then(() => false)]);
      if (!waited) throw new Error('no PaymentIntent request went to Stripe within 10 s of the fault time');
      return { startedMs, undo: () => undefined };
    }
    case 'freeze': {
      const name = fault.target === 'app-postgres' ? 'app PostgreSQL' : 'billing PostgreSQL';
      const pid = stack.processTrees()[name];
      if (pid === undefined) throw new Error(`${name} is not embedded here: the lab can only freeze its own servers`);
      // The postmaster first, so it forks no new backend while its children are being stopped.
      const frozen = [pid, ...descendants(pid)];
      for (const p of frozen) signal(p, 'SIGSTOP');
      let thawed = false;
      return started(() => {
        if (thawed) return;
        thawed = true;
        for (const p of [...descendants(pid), ...frozen.reverse()]) signal(p, 'SIGCONT');
      });
    }
    case 'http-500':
    case 'drop': {
      if (!proxy) throw new Error('no fault proxy');
      proxy.setMode(fault.action);
      return started(() => proxy.setMode('pass'));
    }
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // exited meanwhile
  }
}

/** The checkout flow, recording every request it sends (step, start, end, status). */
function recordingFlow(flow: Flow, samples: RequestSample[], t0: number): Flow {
  return (client, input) => {
    const recording: LoadClient = {
      post: async (url, body, params) => {
        const startMs = Date.now() - t0;
        const response = await client.post(url, body, params);
        samples.push({ step: params.tags.name as FlowStepName, startMs, endMs: Date.now() - t0, status: response.status });
        return response;
      },
      sleep: (seconds) => client.sleep(seconds),
      check: (value, checks, tags) => client.check(value, checks, tags),
    };
    return flow(recording, input);
  };
}

async function pendingOrders(cartDatabaseUrl: string, since: Date): Promise<number> {
  return withClient(cartDatabaseUrl, async (client) => {
    const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM orders WHERE status = 'pending' AND created_at >= $1", [since]);
    return Number(rows[0]?.n ?? 0);
  });
}

async function ordersByStatus(cartDatabaseUrl: string, since: Date): Promise<Record<string, number>> {
  return withClient(cartDatabaseUrl, async (client) => {
    const { rows } = await client.query<{ status: string; n: string }>(
      `SELECT status || coalesce(' (' || failure_code || ')', '') AS status, count(*) AS n FROM orders WHERE created_at >= $1 GROUP BY 1`,
      [since],
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  });
}

function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80) };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
