import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isServing } from '@checkout-lab/contracts';
import { startEmbeddedPostgres, type RunningDynalite, type RunningPostgres } from '@checkout-lab/embedded';
import { startTraceReceiver, type TraceReceiver } from '@checkout-lab/telemetry';
import { DYNALITE_CREDENTIALS, startLabDynamo } from '../migrate/lab-dynamo';
import { mismatchReport, runMigration } from '../migrate/run-migration';
import { seedBilling } from '../seed';
import type { LabSettings } from '../settings';
import { ServiceProcess, TELEMETRY_PRELOAD } from './service-process';

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
  billingAddress: 'services/billing-address/src/main.ts',
  payment: 'services/payment/src/main.ts',
  cart: 'services/cart/src/main.ts',
} as const;

/**
 * The whole checkout on this machine: two embedded PostgreSQL servers (the app's, and the
 * legacy billing server), the Stripe API double, and the three services, each in its own
 * process. Any server can be replaced by an external one through the settings.
 */
export class Stack {
  private readonly postgres: RunningPostgres[] = [];
  private readonly processes: ServiceProcess[] = [];
  private receiver: TraceReceiver | undefined;
  private dynalite: RunningDynalite | undefined;

  constructor(
    private readonly settings: LabSettings,
    private readonly say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  private infra: Infrastructure | undefined;

  /** Everything: the servers, the data, then the services with the settings' billing store. */
  async start(): Promise<StackEndpoints> {
    await this.startInfrastructure({ dynamodb: this.settings.billingStore === 'dynamodb' });
    return this.startServices({ billingStore: this.settings.billingStore, sqlProfile: this.settings.sqlProfile });
  }

  /**
   * The servers the services need, and the data: both PostgreSQL servers (the billing one with
   * pg_stat_statements loaded), the seed, the trace receiver, and — when `dynamodb` — dynalite
   * with the seeded addresses migrated into it. Started once; services can then be restarted
   * with other settings (the experiment runner does so between variants).
   */
  async startInfrastructure(options: { dynamodb: boolean }): Promise<void> {
    const { settings } = this;
    this.say('starting PostgreSQL (app) …');
    const appDb = settings.external.databaseUrl
      ? { cart: settings.external.databaseUrl, payment: settings.external.databaseUrl }
      : await this.embeddedDatabases('app-pg', settings.ports.appPostgres, ['cart', 'payment']);
    this.say('starting PostgreSQL (legacy billing server) …');
    const billingDb = settings.external.billingDatabaseUrl
      ? settings.external.billingDatabaseUrl
      : (
          await this.embeddedDatabases('billing-pg', settings.ports.billingPostgres, ['billing'], {
            shared_preload_libraries: 'pg_stat_statements',
          })
        ).billing;
    await seedBilling(billingDb, settings.seed);
    const dynamoEnv = options.dynamodb ? await this.prepareDynamo(billingDb) : undefined;
    const traces = settings.external.otlpEndpoint ?? (await this.startTraceReceiver());
    this.infra = { appDb, billingDb, dynamoEnv, traces };
    this.writeProcesses();
  }

  /** The Stripe double (unless STRIPE_API_BASE is set) and the three services, with `env` overriding any of their variables. */
  async startServices(variant: { billingStore: 'sql' | 'dynamodb'; sqlProfile: 'legacy' | 'indexed'; env?: Record<string, string> }): Promise<StackEndpoints> {
    const { settings, infra } = this;
    if (!infra) throw new Error('startServices() needs startInfrastructure() first');
    const overrides = variant.env ?? {};
    const base = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: infra.traces };
    let stripe = settings.external.stripeApiBase;
    if (!stripe) {
      stripe = `http://127.0.0.1:${settings.ports.stripeDouble}`;
      const stripeUrl = stripe;
      await this.run('stripe-double', ENTRIES.stripeDouble, { ...base, STRIPE_DOUBLE_PORT: String(settings.ports.stripeDouble), ...overrides }, () =>
        fetch(`${stripeUrl}/v1/payment_intents`).then(() => true),
      );
    }
    const billingTarget = `127.0.0.1:${settings.ports.billingAddress}`;
    const paymentTarget = `127.0.0.1:${settings.ports.payment}`;
    const cartUrl = `http://127.0.0.1:${settings.ports.cart}`;
    // The three start side by side: none needs another to become ready.
    await Promise.all([
      this.run(
        'billing-address',
        ENTRIES.billingAddress,
        { ...base, BILLING_GRPC_PORT: String(settings.ports.billingAddress), BILLING_METRICS_PORT: String(settings.ports.billingMetrics), ...this.billingStoreEnv(variant), ...overrides },
        () => isServing(billingTarget),
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
      ),
      this.run(
        'cart',
        ENTRIES.cart,
        { ...base, CART_HTTP_PORT: String(settings.ports.cart), DATABASE_URL: infra.appDb.cart, PAYMENT_GRPC_TARGET: paymentTarget, ...overrides },
        () => fetch(`${cartUrl}/readyz`).then((r) => r.ok),
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

  /** Stops the Stripe double and the services (each flushes its spans on SIGTERM); the servers keep running. */
  async stopServices(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((service) => service.stop().catch(() => undefined)));
  }

  /** The billing database's URL (with its password), once the infrastructure is up. */
  get billingDatabaseUrl(): string | undefined {
    return this.infra?.billingDb;
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
    await this.receiver?.stop().catch(() => undefined);
    this.receiver = undefined;
    await this.dynalite?.stop().catch(() => undefined);
    this.dynalite = undefined;
    for (const server of this.postgres.splice(0).reverse()) {
      await server.stop().catch(() => undefined);
    }
  }

  /**
   * Starts dynalite (unless DYNAMODB_ENDPOINT is set) and migrates the seeded SQL addresses into
   * it (resumable; verified when something was copied). Returns billing-address's DynamoDB variables.
   */
  private async prepareDynamo(billingDb: string): Promise<Record<string, string>> {
    const { settings } = this;
    if (!settings.external.dynamoEndpoint) this.say('starting dynalite (DynamoDB) …');
    const dynamo = await startLabDynamo(settings);
    this.dynalite = dynamo.server;
    const result = await runMigration({ sourceUrl: billingDb, target: dynamo.connection, verify: 'if-copied' });
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
  private billingStoreEnv(variant: { billingStore: 'sql' | 'dynamodb'; sqlProfile: 'legacy' | 'indexed' }): Record<string, string> {
    const infra = this.infra as Infrastructure;
    switch (variant.billingStore) {
      case 'sql':
        return { BILLING_STORE: 'sql', BILLING_SQL_PROFILE: variant.sqlProfile, BILLING_DATABASE_URL: infra.billingDb };
      case 'dynamodb':
        if (!infra.dynamoEnv) throw new Error('the DynamoDB store was not prepared: start the infrastructure with dynamodb: true');
        return { BILLING_STORE: 'dynamodb', ...infra.dynamoEnv };
    }
  }

  /** The embedded OTLP receiver; it keeps spans under <data dir>/traces/<lab.run_id>/spans. Undefined when spans go elsewhere. */
  get traceReceiver(): TraceReceiver | undefined {
    return this.receiver;
  }

  private async startTraceReceiver(): Promise<string> {
    this.say('starting the trace receiver …');
    this.receiver = await startTraceReceiver({ dir: path.join(this.settings.dataDir, 'traces'), port: this.settings.ports.otlpReceiver });
    return this.receiver.endpoint;
  }

  private async embeddedDatabases<N extends string>(
    dir: string,
    port: number,
    names: N[],
    settings: Record<string, string> = {},
  ): Promise<Record<N, string>> {
    const server = await startEmbeddedPostgres({ dataDir: path.join(this.settings.dataDir, dir), port, settings });
    this.postgres.push(server);
    const urls = {} as Record<N, string>;
    for (const name of names) {
      await server.ensureDatabase(name);
      urls[name] = server.url(name);
    }
    return urls;
  }

  private async run(name: string, entry: string, env: NodeJS.ProcessEnv, ready: () => Promise<boolean>): Promise<void> {
    this.say(`starting ${name} …`);
    const service = new ServiceProcess({
      name,
      entry,
      env,
      ready,
      logFile: path.join(this.settings.dataDir, 'logs', `${name}.log`),
      // The three services are traced; the Stripe double stands in for an outside API and is not.
      preload: entry.startsWith('services/') ? [TELEMETRY_PRELOAD] : [],
    });
    this.processes.push(service);
    await service.start();
  }

  private writeProcesses(): void {
    const processes: StackProcesses = {
      lab: process.pid,
      services: Object.fromEntries(this.processes.map((p) => [p.options.name, p.pid])),
      postgres: this.postgres.map((p) => p.pid).filter((pid): pid is number => pid !== undefined),
      ...(this.dynalite ? { dynamodb: this.dynalite.pid } : {}),
    };
    writeFileSync(path.join(this.settings.dataDir, 'stack.json'), `${JSON.stringify(processes, null, 2)}\n`);
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
