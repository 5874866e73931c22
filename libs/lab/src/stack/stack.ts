import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isServing } from '@checkout-lab/contracts';
import { startEmbeddedPostgres, type RunningPostgres } from '@checkout-lab/embedded';
import { seedBilling } from '../seed';
import type { LabSettings } from '../settings';
import { ServiceProcess } from './service-process';

export interface StackEndpoints {
  cart: string;
  payment: string;
  billingAddress: string;
  stripe: string;
  appDatabase: string;
  billingDatabase: string;
}

/** Every process of a running stack, written to <data dir>/stack.json so tests and users can check nothing is left. */
export interface StackProcesses {
  lab: number;
  services: Record<string, number | undefined>;
  postgres: number[];
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

    const base = { ...process.env };
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
        BILLING_STORE: 'sql',
        BILLING_SQL_PROFILE: settings.sqlProfile,
        BILLING_DATABASE_URL: billingDb,
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
    };
  }

  /** Stops the services (newest first), then the databases. Safe to call twice. */
  async stop(): Promise<void> {
    for (const service of this.processes.splice(0).reverse()) {
      await service.stop().catch(() => undefined);
    }
    for (const server of this.postgres.splice(0).reverse()) {
      await server.stop().catch(() => undefined);
    }
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
    const service = new ServiceProcess({ name, entry, env, ready, logFile: path.join(this.settings.dataDir, 'logs', `${name}.log`) });
    this.processes.push(service);
    await service.start();
  }

  private writeProcesses(): void {
    const processes: StackProcesses = {
      lab: process.pid,
      services: Object.fromEntries(this.processes.map((p) => [p.options.name, p.pid])),
      postgres: this.postgres.map((p) => p.pid).filter((pid): pid is number => pid !== undefined),
    };
    writeFileSync(path.join(this.settings.dataDir, 'stack.json'), `${JSON.stringify(processes, null, 2)}\n`);
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
