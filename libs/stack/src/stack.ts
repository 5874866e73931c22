import { renameSync, writeFileSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';
import * as path from 'node:path';
import { mismatchReport, runBackfill } from '@checkout-lab/backfill';
import type { BillingStoreKind, SqlProfile } from '@checkout-lab/config';
import { isServing } from '@checkout-lab/contracts';
import { withClient } from '@checkout-lab/database';
import { isAlive, listenerOn, portInUse, reserveEphemeralPorts, startEmbeddedPostgres, type RunningDynalite, type RunningPostgres } from '@checkout-lab/embedded';
import type { CpuQuota, Isolation, LegacySpeed } from '@checkout-lab/run-record';
import { DYNALITE_CREDENTIALS, startBillingPostgres, startLabDynamo } from './billing-servers';
import { applyIsolation, descendants, expandCpuList, parseIsolationRequest, planIsolation, unpinProcess } from './cpu-isolation';
import { applyCpuQuota, parseCpuQuota, releaseCpuQuota, removeStaleQuotaGroups } from './cpu-quota';
import type { GeneratorPlacement } from './generator-priority';
import { calibrateLegacySpeed } from './legacy-speed';
import { seedBilling } from './seed';
import { lowerPriority, ServiceProcess, TELEMETRY_PRELOAD } from './service-process';
import type { LabSettings } from './settings';
import { Supervisor, type ServiceEvent } from './supervisor';

export type { ServiceEvent } from './supervisor';

/**
 * The nice value of every process of the system under test (services, Stripe double, trace
 * receiver, app PostgreSQL). The load generator runs in the lab process at the normal priority,
 * so when it and the stack want the same CPU at once it goes first and keeps its schedule (an
 * open-model driver that starts iterations late measures a lighter load). Its own CPU use is
 * small, so the services lose little.
 */
export const STACK_NICE = 10;

/** The lab process (the load generator) asks for this nice value; it gets it as root, else stays at 0. */
export const GENERATOR_NICE = -10;

export interface StackEndpoints {
  cart: string;
  payment: string;
  billingAddress: string;
  stripe: string;
  appDatabase: string;
  billingDatabase: string;
  /** Where the services send spans (OTLP/HTTP): the embedded receiver, or OTEL_EXPORTER_OTLP_ENDPOINT. */
  traces: string;
  /** Each service's Prometheus endpoint. */
  metrics: Record<'cart' | 'payment' | 'billing-address', string>;
}

/** Every process of a running stack, written to <data dir>/stack.json so tests and users can check nothing is left. */
export interface StackProcesses {
  lab: number;
  services: Record<string, number | undefined>;
  postgres: number[];
  /** The embedded dynalite, when BILLING_STORE=dynamodb and DYNAMODB_ENDPOINT is unset. */
  dynamodb?: number;
}

interface Infrastructure {
  appDb: { cart: string; payment: string };
  billingDb: string;
  /** billing-address's DynamoDB variables, when dynalite was prepared. */
  dynamoEnv: Record<string, string> | undefined;
  traces: string;
}

const ENTRIES = {
  stripeDouble: 'libs/stripe-double/src/main.ts',
  traceReceiver: 'libs/telemetry/src/receiver/main.ts',
  billingAddress: 'services/billing-address/src/main.ts',
  payment: 'services/payment/src/main.ts',
  cart: 'services/cart/src/main.ts',
} as const;

export interface StackOptions {
  /**
   * Restart a service (or the trace receiver) that exits without being asked, with backoff.
   * Default true. Off, an exit is still reported on `say` and in serviceExits().
   */
  supervise?: boolean;
}

/** A service's unexpected exit, as serviceExits() lists it. */
export interface ServiceExit {
  service: string;
  code: number | null;
  signal: string | null;
  /** ISO time. */
  at: string;
}

/** Another lab holds a port this one needs. */
export class PortsInUseError extends Error {
  override readonly name = 'PortsInUseError';
}

/** BatchWriteItem calls in flight when copying into the embedded dynalite (measured: 4 → 16 is ~1.3× faster). */
const EMBEDDED_BACKFILL_CONCURRENCY = 16;

/**
 * The whole checkout on this machine: two embedded PostgreSQL servers (the app's, and the
 * legacy billing server), the Stripe API double, and the three services, each in its own
 * process. Any server can be replaced by an external one through the settings.
 */
export class Stack {
  private readonly postgres: RunningPostgres[] = [];
  private readonly processes: ServiceProcess[] = [];
  /** The embedded OTLP receiver, in its own process (its decoding must not stall the load generator). */
  private receiver: { process: ServiceProcess; dir: string } | undefined;
  private dynalite: RunningDynalite | undefined;
  /** The embedded legacy billing PostgreSQL (undefined when BILLING_DATABASE_URL points elsewhere). */
  private billingServer: RunningPostgres | undefined;
  /** The embedded app PostgreSQL (undefined when DATABASE_URL points elsewhere). */
  private appServer: RunningPostgres | undefined;

  private readonly supervisor: Supervisor;
  /** The ports each process listens on (with their variables), to wait for before a restart. */
  private readonly ports = new Map<ServiceProcess, [string, number][]>();

  constructor(
    private readonly settings: LabSettings,
    private readonly say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
    options: StackOptions = {},
  ) {
    this.supervisor = new Supervisor({
      say: this.say,
      restart: options.supervise ?? true,
      portsFree: (service) =>
        waitForPorts(this.ports.get(service) ?? [], { listenerMs: 10_000, transientMs: TRANSIENT_PORT_WAIT_MS, say: this.say }, 'still in use'),
      onChange: () => this.writeProcesses(),
    });
  }

  private infra: Infrastructure | undefined;

  /** Everything: the servers, the data, then the services with the settings' billing store. */
  async start(): Promise<StackEndpoints> {
    await this.startInfrastructure({ dynamodb: this.settings.billingStore === 'dynamodb' });
    return this.startServices({ billingStore: this.settings.billingStore, sqlProfile: this.settings.sqlProfile });
  }

  /**
   * The servers the services need, and the data: both PostgreSQL servers (the billing one with
   * pg_stat_statements loaded), the seed, the trace receiver, and — when `dynamodb` — dynalite
   * with the seeded addresses backfilled into it. Started once; services can then be restarted
   * with other settings (the experiment runner does so between variants).
   */
  async startInfrastructure(options: { dynamodb: boolean }): Promise<void> {
    const { settings } = this;
    // The servers start and the data loads on every CPU (the DynamoDB copy runs ~1.6× faster so);
    // the isolation below then pins the whole tree, before any measured load.
    await this.checkPortsFree(options);
    removeStaleQuotaGroups(); // left by a lab that was killed
    this.say('starting PostgreSQL (app) …');
    const appDb = settings.external.databaseUrl
      ? { cart: settings.external.databaseUrl, payment: settings.external.databaseUrl }
      : await this.embeddedDatabases('app-pg', settings.ports.appPostgres, ['cart', 'payment']);
    if (!settings.external.databaseUrl) {
      this.appServer = this.postgres[this.postgres.length - 1];
      // Backends fork from the postmaster and inherit its priority.
      if (this.appServer?.pid !== undefined) lowerPriority(this.appServer.pid, STACK_NICE);
    }
    this.say('starting PostgreSQL (legacy billing server) …');
    let billingDb = settings.external.billingDatabaseUrl;
    if (!billingDb) {
      const billing = await startBillingPostgres(settings);
      this.postgres.push(billing.server);
      this.billingServer = billing.server;
      billingDb = billing.url;
    }
    await seedBilling(billingDb, settings.seed);
    const dynamoEnv = options.dynamodb ? await this.prepareDynamo(billingDb) : undefined;
    const traces = settings.external.otlpEndpoint ?? (await this.startTraceReceiver());
    this.infra = { appDb, billingDb, dynamoEnv, traces };
    if (this.billingServer) await this.settleLegacyServer(billingDb);
    const isolation = await this.isolate();
    this.say(
      isolation.applied
        ? `CPU isolation: the legacy billing server (${isolation.legacyProcesses.join(', ')}) on CPU ${isolation.legacyCpus}, everything else on CPU ${isolation.stackCpus}`
        : `WARNING: CPU isolation not applied (${isolation.reason ?? 'unknown reason'}): the legacy billing server shares the CPUs with the services and the load generator, so its load can slow unrelated steps`,
    );
    this.writeProcesses();
  }

  private isolation: Isolation | undefined;
  /** The cgroup of the legacy server's CPU quota, removed once the server has stopped. */
  private quotaGroup: string | undefined;
  private quotaWarned: string | undefined;

  /**
   * Pins the lab process (the load driver and the trace receiver run in it, and the services it
   * starts inherit its CPUs) to the stack's CPUs, and the legacy billing servers (the billing
   * PostgreSQL, when embedded; dynalite) to their own. `override` is a variant's legacyCpus /
   * stackCpus; without it the lab's settings apply. Returns what was applied, for provenance.
   */
  async isolate(override: { legacyCpus?: string; stackCpus?: string; legacyCpuQuota?: string } = {}): Promise<Isolation> {
    const legacyCpus = override.legacyCpus ?? this.settings.isolation.legacyCpus;
    // A variant that names its legacy CPUs names its stack CPUs with them (or takes the rest).
    const stackCpus = override.legacyCpus !== undefined ? override.stackCpus : this.settings.isolation.stackCpus;
    const plan = planIsolation(parseIsolationRequest(legacyCpus, stackCpus));
    const legacy = [
      ...(this.billingServer ? [{ name: 'billing PostgreSQL', pid: this.billingServer.pid }] : []),
      ...(this.dynalite ? [{ name: 'dynalite', pid: this.dynalite.pid }] : []),
    ];
    const requested = { legacy: legacyCpus, stack: stackCpus ?? (legacyCpus === 'auto' || legacyCpus === 'off' ? legacyCpus : 'the other CPUs') };
    const applied = applyIsolation(plan, legacy, requested);
    const generatorNice = lowerPriority(process.pid, GENERATOR_NICE) ? GENERATOR_NICE : 0;
    // The legacy servers run alone on their CPUs, at the normal priority (not the generator's).
    for (const server of legacy) if (server.pid !== undefined) lowerPriority(server.pid, 0);
    // PostgreSQL's parallel workers only help with CPUs to spare: on a one-CPU legacy server they
    // add overhead, as a DBA sizing that machine would know. One worker per extra CPU.
    let parallelWorkers: number | undefined;
    if (this.billingServer && this.infra) {
      const cpus = applied.applied && applied.legacyCpus ? expandCpuList(applied.legacyCpus).length : osCpus().length;
      parallelWorkers = Math.max(0, Math.min(cpus - 1, 2));
      await withClient(this.infra.billingDb, async (client) => {
        await client.query(`ALTER SYSTEM SET max_parallel_workers_per_gather = ${parallelWorkers}`);
        await client.query('SELECT pg_reload_conf()');
      });
    }
    // The legacy PostgreSQL's CPU quota: the under-provisioned machine (dynalite stands for a managed service and gets none).
    const quotaRequest = parseCpuQuota(override.legacyCpuQuota ?? this.settings.isolation.legacyCpuQuota);
    let legacyCpuQuota: CpuQuota | undefined;
    if (quotaRequest !== 'off' && this.billingServer?.pid !== undefined) {
      const tree = [this.billingServer.pid, ...descendants(this.billingServer.pid)];
      legacyCpuQuota = applyCpuQuota(quotaRequest, tree, { groupName: `checkout-lab-${process.pid}` });
      if (legacyCpuQuota.group) this.quotaGroup = legacyCpuQuota.group;
      if (!legacyCpuQuota.applied && this.quotaWarned !== legacyCpuQuota.reason) {
        this.quotaWarned = legacyCpuQuota.reason;
        this.say(
          `WARNING: the legacy server's CPU quota (${quotaRequest} of a CPU) could not be applied (${legacyCpuQuota.reason}): ` +
            'it runs on a whole CPU, so its lookups are faster than the experiment was tuned for',
        );
      }
    }
    this.isolation = {
      ...applied,
      stackNice: STACK_NICE,
      generatorNice,
      ...(parallelWorkers !== undefined ? { legacyParallelWorkersPerGather: parallelWorkers } : {}),
      ...(legacyCpuQuota ? { legacyCpuQuota } : {}),
    };
    return this.isolation;
  }

  /** The quota each speed target settled on in the last run that pinned it. */
  private readonly pinnedQuota = new Map<number, number>();

  /**
   * Pins the legacy server's speed for the coming run (legacy-speed.ts): scales its CPU quota, as
   * applied by `isolate()`, until one unindexed lookup takes `targetMs`. Call after `isolate()`,
   * with the services up and idle. Undefined when there is no quota to scale (none asked for, or
   * it could not be applied: `isolate()` has warned) or no embedded legacy server.
   */
  async pinLegacySpeed(targetMs: number): Promise<LegacySpeed | undefined> {
    const applied = this.isolation?.legacyCpuQuota;
    const server = this.billingServer;
    if (!applied?.applied || applied.cpus === null || !server?.pid || !this.infra || !this.isolation) return undefined;
    const groupName = `checkout-lab-${process.pid}`;
    const applyQuota = (fraction: number) => {
      const tree = server.pid === undefined ? [] : [server.pid, ...descendants(server.pid)];
      const result = applyCpuQuota(fraction, tree, { groupName });
      if (result.applied && this.isolation) this.isolation = { ...this.isolation, legacyCpuQuota: result };
      return result.applied;
    };
    // The lookups are timed at the quota the last run for this target settled on (near where this
    // one will run), else at the configured one that isolate() has just applied.
    const last = this.pinnedQuota.get(targetMs);
    const startQuota = last !== undefined && applyQuota(last) ? last : applied.cpus;
    const speed = await calibrateLegacySpeed({ billingDb: this.infra.billingDb, targetMs, startQuota, users: this.settings.seed.users, applyQuota });
    if (speed.reached) this.pinnedQuota.set(targetMs, speed.quota);
    const measured = `one lookup ${speed.cpuMs.toFixed(1)} ms of CPU${speed.rounds === 2 ? ' (timed again at the new quota)' : ''}, ${speed.startLookupMs.toFixed(0)} ms at a quota of ${speed.startQuota}`;
    this.say(
      speed.reached
        ? `legacy server's speed: ${measured}; quota ${speed.quota} for ${targetMs} ms per lookup`
        : `WARNING: the legacy server's speed could not be pinned to ${targetMs} ms per lookup (${speed.reason ?? 'unknown'}; ${measured}): this run's legacy lookups follow the host`,
    );
    this.isolation = { ...this.isolation, legacySpeed: speed };
    return speed;
  }

  /**
   * Before starting services between runs: the lab may use every CPU again, so the services it
   * spawns start up on all of them (the legacy server is idle then, and start-up is CPU-bound:
   * ~2 s of CPU each). `isolate()` pins them to the stack's CPUs before any load.
   */
  releaseForStartup(): void {
    if (this.isolation?.applied) unpinProcess(process.pid);
  }

  /**
   * Where the load generator drives a run's load from (generator-priority.ts): the legacy
   * server's CPUs when the isolation applied and LAB_GENERATOR_CPUS is `legacy` (the default);
   * undefined to stay with the stack.
   */
  get generatorPlacement(): GeneratorPlacement | undefined {
    const i = this.isolation;
    if (this.settings.isolation.generatorCpus !== 'legacy' || !i?.applied || !i.legacyCpus || !i.stackCpus) return undefined;
    return { cpus: i.legacyCpus, afterCpus: i.stackCpus };
  }

  /** What CPU isolation was last applied. */
  get appliedIsolation(): Isolation | undefined {
    return this.isolation;
  }

  /** The Stripe double (unless STRIPE_API_BASE is set) and the three services, with `env` overriding any of their variables. */
  async startServices(variant: {
    billingStore: BillingStoreKind;
    sqlProfile: SqlProfile;
    env?: Record<string, string>;
    /** Extra `node` arguments for every process started here (e.g. `--cpu-prof`, which NODE_OPTIONS may not carry). */
    nodeArgs?: string[];
  }): Promise<StackEndpoints> {
    const { settings, infra } = this;
    const nodeArgs = variant.nodeArgs ?? [];
    if (!infra) throw new Error('startServices() needs startInfrastructure() first');
    this.supervisor.clearEvents();
    await this.waitForServicePorts();
    const overrides = variant.env ?? {};
    const base = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: infra.traces };
    let stripe = settings.external.stripeApiBase;
    let stripeStarted: Promise<void> = Promise.resolve();
    if (!stripe) {
      stripe = `http://127.0.0.1:${settings.ports.stripeDouble}`;
      const stripeUrl = stripe;
      // Started alongside the services: payment only calls it once a checkout arrives.
      stripeStarted = this.run(
        'stripe-double',
        ENTRIES.stripeDouble,
        { ...base, STRIPE_DOUBLE_PORT: String(settings.ports.stripeDouble), ...overrides },
        () => fetch(`${stripeUrl}/v1/payment_intents`).then(() => true),
        nodeArgs,
        [['STRIPE_DOUBLE_PORT', settings.ports.stripeDouble]],
      );
    }
    const billingTarget = `127.0.0.1:${settings.ports.billingAddress}`;
    const paymentTarget = `127.0.0.1:${settings.ports.payment}`;
    const cartUrl = `http://127.0.0.1:${settings.ports.cart}`;
    // The Stripe double and the three services start side by side: none needs another to become ready.
    await Promise.all([
      stripeStarted,
      this.run(
        'billing-address',
        ENTRIES.billingAddress,
        { ...base, BILLING_GRPC_PORT: String(settings.ports.billingAddress), BILLING_METRICS_PORT: String(settings.ports.billingMetrics), ...this.billingStoreEnv(variant), ...overrides },
        () => isServing(billingTarget),
        nodeArgs,
        [
          ['BILLING_GRPC_PORT', settings.ports.billingAddress],
          ['BILLING_METRICS_PORT', settings.ports.billingMetrics],
        ],
      ),
      this.run(
        'payment',
        ENTRIES.payment,
        {
          ...base,
          PAYMENT_GRPC_PORT: String(settings.ports.payment),
          PAYMENT_METRICS_PORT: String(settings.ports.paymentMetrics),
          DATABASE_URL: infra.appDb.payment,
          BILLING_ADDRESS_GRPC_TARGET: billingTarget,
          STRIPE_API_BASE: stripe,
          ...overrides,
        },
        () => isServing(paymentTarget),
        nodeArgs,
        [
          ['PAYMENT_GRPC_PORT', settings.ports.payment],
          ['PAYMENT_METRICS_PORT', settings.ports.paymentMetrics],
        ],
      ),
      this.run(
        'cart',
        ENTRIES.cart,
        { ...base, CART_HTTP_PORT: String(settings.ports.cart), DATABASE_URL: infra.appDb.cart, PAYMENT_GRPC_TARGET: paymentTarget, ...overrides },
        () => fetch(`${cartUrl}/readyz`).then((r) => r.ok),
        nodeArgs,
        [['CART_HTTP_PORT', settings.ports.cart]],
      ),
    ]);
    this.writeProcesses();
    return {
      cart: cartUrl,
      payment: paymentTarget,
      billingAddress: billingTarget,
      stripe,
      appDatabase: redact(infra.appDb.cart),
      billingDatabase: redact(infra.billingDb),
      traces: infra.traces,
      metrics: {
        cart: `${cartUrl}/metrics`,
        payment: `http://127.0.0.1:${settings.ports.paymentMetrics}/metrics`,
        'billing-address': `http://127.0.0.1:${settings.ports.billingMetrics}/metrics`,
      },
    };
  }

  /**
   * Stops the Stripe double and the services (each flushes its spans on SIGTERM); the servers
   * keep running. A pending restart is cancelled, and nothing being stopped is restarted.
   */
  async stopServices(): Promise<void> {
    const stopping = this.processes.splice(0);
    for (const service of stopping) this.supervisor.cancel(service);
    await Promise.all(
      stopping.map(async (service) => {
        await service.stop().catch(() => undefined);
        this.ports.delete(service);
      }),
    );
  }

  /** The billing database's URL (with its password), once the infrastructure is up. */
  get billingDatabaseUrl(): string | undefined {
    return this.infra?.billingDb;
  }

  /** cart's and payment's database URLs (with their passwords), once the infrastructure is up. */
  get appDatabaseUrls(): { cart: string; payment: string } | undefined {
    return this.infra?.appDb;
  }

  /**
   * Every exit of a service or the trace receiver that nobody asked for since the last
   * startServices() (crashes, kills from outside), restarted since or not; a run with any is not valid.
   */
  serviceExits(): ServiceExit[] {
    return this.supervisor
      .serviceEvents()
      .filter((event) => event.kind === 'exited')
      .map((event) => ({ service: event.service, code: event.code ?? null, signal: event.signal ?? null, at: event.at }));
  }

  /** Every unexpected exit and every restart (started again and ready) since the last startServices(), oldest first. */
  serviceEvents(): ServiceEvent[] {
    return this.supervisor.serviceEvents();
  }

  /** The current pid of a running service or the trace receiver ('trace-receiver'), by name; undefined while it is down. */
  pidOf(name: string): number | undefined {
    const found = [...this.processes, ...(this.receiver ? [this.receiver.process] : [])].find((p) => p.options.name === name);
    return found?.running ? found.pid : undefined;
  }

  /** Every process of the stack by name (services, receiver, servers, the lab itself), for CPU accounting. */
  processTrees(): Record<string, number | undefined> {
    return {
      lab: process.pid,
      ...Object.fromEntries(this.processes.map((p) => [p.options.name, p.pid])),
      ...(this.receiver ? { 'trace-receiver': this.receiver.process.pid } : {}),
      ...(this.appServer ? { 'app PostgreSQL': this.appServer.pid } : {}),
      ...(this.billingServer ? { 'billing PostgreSQL': this.billingServer.pid } : {}),
      ...(this.dynalite ? { dynalite: this.dynalite.pid } : {}),
    };
  }

  /**
   * Puts the embedded legacy server in the same state before every experiment, whether its data
   * was just seeded or reused: vacuumed (so autovacuum does not start a whole-table pass during a
   * measured run, as it did once after a fresh seed) and its table and indexes in shared buffers
   * (pg_prewarm; a reused data directory otherwise starts cold, and its first run's scans read
   * every page from the OS cache).
   */
  private async settleLegacyServer(billingDb: string): Promise<void> {
    this.say('settling the legacy billing server (VACUUM ANALYZE, pg_prewarm) …');
    await withClient(billingDb, async (client) => {
      await client.query('VACUUM (ANALYZE) billing_addresses');
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
    });
    await this.prewarmLegacyServer();
  }

  /**
   * Loads the legacy table and its indexes into the embedded legacy server's shared buffers. Called
   * before every run too: a sequential scan of a table larger than a quarter of shared_buffers
   * reads through a small ring and never brings evicted pages back, so without it the scans grew
   * slower run after run (measured: 49 → 56 ms of CPU per lookup over one experiment).
   */
  async prewarmLegacyServer(): Promise<void> {
    if (!this.billingServer || !this.infra) return;
    await withClient(this.infra.billingDb, (client) =>
      client.query(
        `SELECT pg_prewarm(c.oid::regclass) FROM pg_class c
          WHERE c.oid = 'billing_addresses'::regclass
             OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'billing_addresses'::regclass)`,
      ),
    );
  }

  /**
   * Refuses to start when a port the lab is about to use is taken: a second lab (an experiment
   * while `up` runs, another clone) would otherwise talk to the first one's servers and corrupt
   * both runs.
   */
  private async checkPortsFree(options: { dynamodb: boolean }): Promise<void> {
    const { ports, external } = this.settings;
    const servers: [string, number, boolean][] = [
      ['LAB_APP_PG_PORT', ports.appPostgres, !external.databaseUrl],
      ['LAB_BILLING_PG_PORT', ports.billingPostgres, !external.billingDatabaseUrl],
      ['LAB_DYNAMODB_PORT', ports.dynamodb, options.dynamodb && !external.dynamoEndpoint],
      ['LAB_OTLP_PORT', ports.otlpReceiver, !external.otlpEndpoint],
    ];
    const wanted = [...servers.filter(([, , used]) => used).map(([name, port]) => [name, port] as [string, number]), ...this.servicePorts()];
    const reserved = reserveEphemeralPorts(wanted.map(([, port]) => port).filter((port) => port >= 1024));
    if (reserved?.length) this.say(`reserved ports ${reserved.join(', ')} from the kernel's ephemeral range (net.ipv4.ip_local_reserved_ports), so no outgoing connection takes one`);
    // A listener is another server: refuse at once. A port held without one (an outgoing
    // connection drew it as its ephemeral port, or sits in TIME_WAIT) frees itself: wait.
    await waitForPorts(wanted, { listenerMs: 0, transientMs: TRANSIENT_PORT_WAIT_MS, say: this.say }, 'already in use');
  }

  /**
   * Before the services start (again): their ports must be free. A service stopped a moment ago
   * can hold its port a little longer (a calibration run once failed on it with EADDRINUSE), so
   * wait up to 10 s, then say which ports are taken.
   */
  private async waitForServicePorts(): Promise<void> {
    await waitForPorts(this.servicePorts(), { listenerMs: 10_000, transientMs: TRANSIENT_PORT_WAIT_MS, say: this.say }, 'still in use');
  }

  /** The ports the Stripe double (when embedded) and the three services listen on, with their variables. */
  private servicePorts(): [string, number][] {
    const { ports, external } = this.settings;
    return [
      ...(external.stripeApiBase ? [] : [['STRIPE_DOUBLE_PORT', ports.stripeDouble] as [string, number]]),
      ['CART_HTTP_PORT', ports.cart],
      ['PAYMENT_GRPC_PORT', ports.payment],
      ['BILLING_GRPC_PORT', ports.billingAddress],
      ['PAYMENT_METRICS_PORT', ports.paymentMetrics],
      ['BILLING_METRICS_PORT', ports.billingMetrics],
    ];
  }

  /** The pids of the running services, for host figures. */
  get servicePids(): number[] {
    return this.processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Stops the services, then the receiver and the servers. Safe to call twice. */
  async stop(): Promise<void> {
    await this.stopServices();
    this.infra = undefined;
    // After the services: they flush their last spans on SIGTERM.
    if (this.receiver) this.supervisor.cancel(this.receiver.process);
    await this.receiver?.process.stop().catch(() => undefined);
    this.receiver = undefined;
    await this.dynalite?.stop().catch(() => undefined);
    this.dynalite = undefined;
    for (const server of this.postgres.splice(0).reverse()) {
      await server.stop().catch(() => undefined);
    }
    this.billingServer = undefined;
    this.appServer = undefined;
    releaseCpuQuota(this.quotaGroup);
    this.quotaGroup = undefined;
  }

  /**
   * Starts dynalite (unless DYNAMODB_ENDPOINT is set) and backfills the seeded SQL addresses into
   * it (resumable; verified when something was copied). Returns billing-address's DynamoDB variables.
   */
  private async prepareDynamo(billingDb: string): Promise<Record<string, string>> {
    const { settings } = this;
    if (!settings.external.dynamoEndpoint) this.say('starting dynalite (DynamoDB) …');
    const dynamo = await startLabDynamo(settings);
    this.dynalite = dynamo.server;
    // 16 batches in flight keep the embedded dynalite (one Node.js thread) busy while the reader pages SQL.
    const result = await runBackfill({
      sourceUrl: billingDb,
      target: dynamo.connection,
      verify: 'if-copied',
      ...(dynamo.server ? { concurrency: EMBEDDED_BACKFILL_CONCURRENCY } : {}),
    });
    if (result.verify && !result.verify.ok) {
      throw new Error(
        `DynamoDB does not match the SQL store:\n${mismatchReport(result.verify, 10)}\n` +
          'run `checkout-lab migrate --restart` (or delete the data dir\'s dynamodb folder) and start again',
      );
    }
    return {
      DYNAMODB_TABLE: dynamo.connection.table,
      ...(dynamo.connection.endpoint ? { DYNAMODB_ENDPOINT: dynamo.connection.endpoint } : {}),
      ...(dynamo.server ? { AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DYNALITE_CREDENTIALS.secretAccessKey } : {}),
    };
  }

  /** The billing-address service's store variables for a store and SQL profile. */
  private billingStoreEnv(variant: { billingStore: BillingStoreKind; sqlProfile: SqlProfile }): Record<string, string> {
    const infra = this.infra as Infrastructure;
    switch (variant.billingStore) {
      case 'sql':
        return { BILLING_STORE: 'sql', BILLING_SQL_PROFILE: variant.sqlProfile, BILLING_DATABASE_URL: infra.billingDb };
      case 'dynamodb':
        if (!infra.dynamoEnv) throw new Error('the DynamoDB store was not prepared: start the infrastructure with dynamodb: true');
        return { BILLING_STORE: 'dynamodb', ...infra.dynamoEnv };
    }
  }

  /**
   * Has the embedded receiver decode what it spooled (it defers decoding while batches arrive), so
   * the run files under traceDir are complete. A no-op when spans go to an outside endpoint.
   */
  async flushTraces(): Promise<void> {
    if (!this.receiver || !this.infra) return;
    const response = await fetch(`${this.infra.traces}/lab/flush`, { method: 'POST', signal: AbortSignal.timeout(300_000) });
    if (!response.ok) throw new Error(`the trace receiver could not decode its spooled spans: HTTP ${response.status}`);
  }

  /** Where the embedded OTLP receiver keeps spans (<data dir>/traces/<lab.run_id>/spans); undefined when spans go elsewhere. */
  get traceDir(): string | undefined {
    return this.receiver?.dir;
  }

  private async startTraceReceiver(): Promise<string> {
    this.say('starting the trace receiver …');
    const dir = path.join(this.settings.dataDir, 'traces');
    const port = this.settings.ports.otlpReceiver;
    const endpoint = `http://127.0.0.1:${port}`;
    const receiver: ServiceProcess = new ServiceProcess({
      name: 'trace-receiver',
      entry: ENTRIES.traceReceiver,
      env: { ...process.env, LAB_TRACES_DIR: dir, LAB_OTLP_PORT: String(port) },
      // Up once it answers: GET is not an export, so 405.
      ready: () => fetch(`${endpoint}/v1/traces`).then((r) => r.status === 405),
      logFile: path.join(this.settings.dataDir, 'logs', 'trace-receiver.log'),
      nice: STACK_NICE,
      onUnexpectedExit: (exit) => this.supervisor.exited(receiver, exit),
    });
    this.ports.set(receiver, [['LAB_OTLP_PORT', port]]);
    await receiver.start();
    this.receiver = { process: receiver, dir };
    this.supervisor.watch(receiver);
    return endpoint;
  }

  private async embeddedDatabases<N extends string>(dir: string, port: number, names: N[]): Promise<Record<N, string>> {
    const server = await startEmbeddedPostgres({ dataDir: path.join(this.settings.dataDir, dir), port });
    this.postgres.push(server);
    const urls = {} as Record<N, string>;
    for (const name of names) {
      await server.ensureDatabase(name);
      urls[name] = server.url(name);
    }
    return urls;
  }

  private async run(
    name: string,
    entry: string,
    env: NodeJS.ProcessEnv,
    ready: () => Promise<boolean>,
    nodeArgs: string[],
    ports: [string, number][],
  ): Promise<void> {
    this.say(`starting ${name} …`);
    const service: ServiceProcess = new ServiceProcess({
      name,
      entry,
      env,
      ready,
      nodeArgs,
      logFile: path.join(this.settings.dataDir, 'logs', `${name}.log`),
      // The three services are traced; the Stripe double stands in for an outside API and is not.
      preload: entry.startsWith('services/') ? [TELEMETRY_PRELOAD] : [],
      nice: STACK_NICE,
      onUnexpectedExit: (exit) => this.supervisor.exited(service, exit),
    });
    this.processes.push(service);
    this.ports.set(service, ports);
    await service.start();
    // Watched once ready: a service that fails to start fails startServices() instead.
    if (this.processes.includes(service)) this.supervisor.watch(service);
  }

  /** <dataDir>/stack.json: the pids running now (a process that is down, e.g. waiting for its restart, is left out). */
  private writeProcesses(): void {
    const processes: StackProcesses = {
      lab: process.pid,
      services: Object.fromEntries(
        [...this.processes, ...(this.receiver ? [this.receiver.process] : [])].filter((p) => p.running).map((p) => [p.options.name, p.pid]),
      ),
      postgres: this.postgres.map((p) => p.pid).filter((pid): pid is number => pid !== undefined && isAlive(pid)),
      ...(this.dynalite && isAlive(this.dynalite.pid) ? { dynamodb: this.dynalite.pid } : {}),
    };
    // Written aside and renamed: a reader (a test, a user's script) never sees half a file.
    const file = path.join(this.settings.dataDir, 'stack.json');
    writeFileSync(`${file}.tmp`, `${JSON.stringify(processes, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

const PORTS_ADVICE = 'is another checkout-lab (up, experiment, a test) running? Stop it, or give this one other ports through those variables.';

/** The ports of `wanted` that something already listens on, as "3000 (CART_HTTP_PORT)". */
/** TIME_WAIT lasts 60 s on Linux; a port held by a closing client connection is free after it. */
const TRANSIENT_PORT_WAIT_MS = 70_000;

/**
 * Waits until every wanted port can be bound: up to `listenerMs` while a listener holds one (a
 * service stopped a moment ago), up to `transientMs` while only a client connection or TIME_WAIT
 * does; then a clear error naming the ports.
 */
async function waitForPorts(
  wanted: [string, number][],
  limits: { listenerMs: number; transientMs: number; say: (line: string) => void },
  verb: string,
): Promise<void> {
  const started = Date.now();
  let told = false;
  for (;;) {
    const taken: { label: string; listener: boolean }[] = [];
    for (const [name, port] of wanted) if (await portInUse(port)) taken.push({ label: `${port} (${name})`, listener: listenerOn(port) !== false });
    if (taken.length === 0) return;
    const waited = Date.now() - started;
    const listeners = taken.filter((t) => t.listener);
    if (listeners.length && waited >= limits.listenerMs) {
      throw new PortsInUseError(`${portsList(listeners.map((t) => t.label))} ${verb} on 127.0.0.1${waited ? ` after ${Math.round(waited / 1000)} s` : ''}: ${PORTS_ADVICE}`);
    }
    if (waited >= limits.transientMs) {
      throw new PortsInUseError(`${portsList(taken.map((t) => t.label))} still held by a closing connection on 127.0.0.1 after ${Math.round(waited / 1000)} s: ${PORTS_ADVICE}`);
    }
    if (!told && !listeners.length) {
      told = true;
      limits.say(`  waiting for ${portsList(taken.map((t) => t.label))}: held by a client connection that drew it as its ephemeral port (frees itself within 60 s)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function portsList(taken: string[]): string {
  return `port${taken.length > 1 ? 's' : ''} ${taken.join(', ')}`;
}
