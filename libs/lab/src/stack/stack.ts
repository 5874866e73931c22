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
}

/** Every process of a running stack, written to <data dir>/stack.json so tests and users can check nothing is left. */
export interface StackProcesses {
  lab: number;
  services: Record<string, number | undefined>;
  postgres: number[];
  /** The embedded dynalite, when BILLING_STORE=dynamodb and DYNAMODB_ENDPOINT is unset. */
  dynamodb?: number;
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

  async start(): Promise<StackEndpoints> {
    const { settings } = this;

    this.say('starting PostgreSQL (app) …');
    const appDb = settings.external.databaseUrl
      ? { cart: settings.external.databaseUrl, payment: settings.external.databaseUrl }
      : await this.embeddedDatabases('app-pg', settings.ports.appPostgres, ['cart', 'payment']);
    this.say('starting PostgreSQL (legacy billing server) …');
    const billingDb = settings.external.billingDatabaseUrl
      ? settings.external.billingDatabaseUrl
      : (await this.embeddedDatabases('billing-pg', settings.ports.billingPostgres, ['billing'])).billing;
    await seedBilling(billingDb, settings.seed);
    const billingStoreEnv = await this.prepareBillingStore(billingDb);

    const traces = settings.external.otlpEndpoint ?? (await this.startTraceReceiver());
    const base = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: traces };
    let stripe = settings.external.stripeApiBase;
    if (!stripe) {
      stripe = `http://127.0.0.1:${settings.ports.stripeDouble}`;
      const stripeUrl = stripe;
      await this.run('stripe-double', ENTRIES.stripeDouble, { ...base, STRIPE_DOUBLE_PORT: String(settings.ports.stripeDouble) }, () =>
        fetch(`${stripeUrl}/v1/payment_intents`).then(() => true),
      );
    }
    const billingTarget = `127.0.0.1:${settings.ports.billingAddress}`;
    await this.run(
      'billing-address',
      ENTRIES.billingAddress,
      {
        ...base,
        BILLING_GRPC_PORT: String(settings.ports.billingAddress),
        ...billingStoreEnv,
      },
      () => isServing(billingTarget),
    );
    const paymentTarget = `127.0.0.1:${settings.ports.payment}`;
    await this.run(
      'payment',
      ENTRIES.payment,
      {
        ...base,
        PAYMENT_GRPC_PORT: String(settings.ports.payment),
        DATABASE_URL: appDb.payment,
        BILLING_ADDRESS_GRPC_TARGET: billingTarget,
        STRIPE_API_BASE: stripe,
      },
      () => isServing(paymentTarget),
    );
    const cartUrl = `http://127.0.0.1:${settings.ports.cart}`;
    await this.run(
      'cart',
      ENTRIES.cart,
      { ...base, CART_HTTP_PORT: String(settings.ports.cart), DATABASE_URL: appDb.cart, PAYMENT_GRPC_TARGET: paymentTarget },
      () => fetch(`${cartUrl}/readyz`).then((r) => r.ok),
    );
    this.writeProcesses();
    return {
      cart: cartUrl,
      payment: paymentTarget,
      billingAddress: billingTarget,
      stripe,
      appDatabase: redact(appDb.cart),
      billingDatabase: redact(billingDb),
      traces,
    };
  }

  /** Stops the services (newest first), then the databases. Safe to call twice. */
  async stop(): Promise<void> {
    for (const service of this.processes.splice(0).reverse()) {
      await service.stop().catch(() => undefined);
    }
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
   * The billing-address service's store variables. For `dynamodb`: starts dynalite (unless
   * DYNAMODB_ENDPOINT is set), migrates the seeded SQL addresses into it (resumable; verified
   * when something was copied) and points the service at it.
   */
  private async prepareBillingStore(billingDb: string): Promise<NodeJS.ProcessEnv> {
    const { settings } = this;
    switch (settings.billingStore) {
      case 'sql':
        return { BILLING_STORE: 'sql', BILLING_SQL_PROFILE: settings.sqlProfile, BILLING_DATABASE_URL: billingDb };
      case 'dynamodb': {
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
          BILLING_STORE: 'dynamodb',
          DYNAMODB_TABLE: dynamo.connection.table,
          ...(dynamo.connection.endpoint ? { DYNAMODB_ENDPOINT: dynamo.connection.endpoint } : {}),
          ...(dynamo.server
            ? { AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DYNALITE_CREDENTIALS.secretAccessKey }
            : {}),
        };
      }
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
