import * as path from 'node:path';
import { z } from 'zod';
import { billingStoreEnv, env, parseEnv } from '@checkout-lab/config';
import { parseIsolationRequest } from './cpu-isolation';
import { parseCpuQuota } from './cpu-quota';
import { REPO_ROOT } from './service-process';

const schema = z
  .object({
    LAB_DATA_DIR: z.string().min(1).default(path.join(REPO_ROOT, '.lab')),
    LAB_SEED_USERS: env.positiveInt(100_000),
    LAB_SEED_ADDRESSES_PER_USER: env.positiveInt(5),
    LAB_APP_PG_PORT: env.port(54320),
    LAB_BILLING_PG_PORT: env.port(54321),
    CART_HTTP_PORT: env.port(3000),
    PAYMENT_GRPC_PORT: env.port(50051),
    BILLING_GRPC_PORT: env.port(50052),
    STRIPE_DOUBLE_PORT: env.port(12111),
    LAB_OTLP_PORT: env.port(4318),
    /** The trace viewer (`traces`, and beside `up` / `experiment`): clear of the stack's ports and of Jaeger's 16685–16687. */
    LAB_TRACE_VIEWER_PORT: env.port(16680),
    PAYMENT_METRICS_PORT: env.port(9465),
    BILLING_METRICS_PORT: env.port(9466),
    OTEL_EXPORTER_OTLP_ENDPOINT: env.url().optional(),
    BILLING_SQL_PROFILE: billingStoreEnv.sqlProfile(),
    BILLING_STORE: billingStoreEnv.kind(),
    LAB_DYNAMODB_PORT: env.port(8000),
    DYNAMODB_ENDPOINT: env.url().optional(),
    DYNAMODB_TABLE: billingStoreEnv.dynamoTable(),
    DATABASE_URL: env.postgresUrl().optional(),
    BILLING_DATABASE_URL: env.postgresUrl().optional(),
    STRIPE_API_BASE: env.url().optional(),
    /** CPU isolation of the legacy billing server (see cpu-isolation.ts): auto, off, or a CPU list. */
    LAB_LEGACY_CPUS: z.string().default('auto'),
    LAB_STACK_CPUS: z.string().optional(),
    /** Where the load generator's main thread runs during a run's load (generator-priority.ts): beside the legacy server, or with the stack. */
    LAB_GENERATOR_CPUS: z.enum(['legacy', 'stack']).default('legacy'),
    /** A CPU quota for the legacy billing PostgreSQL (see cpu-quota.ts): off, or a fraction of one CPU. */
    LAB_LEGACY_CPU_QUOTA: z.string().default('off'),
  })
  .superRefine((e, context) => {
    try {
      parseIsolationRequest(e.LAB_LEGACY_CPUS, e.LAB_STACK_CPUS);
    } catch (error) {
      context.addIssue({ code: 'custom', path: ['LAB_LEGACY_CPUS'], message: error instanceof Error ? error.message : String(error) });
    }
    try {
      parseCpuQuota(e.LAB_LEGACY_CPU_QUOTA);
    } catch (error) {
      context.addIssue({ code: 'custom', path: ['LAB_LEGACY_CPU_QUOTA'], message: error instanceof Error ? error.message : String(error) });
    }
  })
  .transform((e) => ({
    dataDir: path.resolve(e.LAB_DATA_DIR),
    seed: { users: e.LAB_SEED_USERS, addressesPerUser: e.LAB_SEED_ADDRESSES_PER_USER },
    ports: {
      appPostgres: e.LAB_APP_PG_PORT,
      billingPostgres: e.LAB_BILLING_PG_PORT,
      cart: e.CART_HTTP_PORT,
      payment: e.PAYMENT_GRPC_PORT,
      billingAddress: e.BILLING_GRPC_PORT,
      stripeDouble: e.STRIPE_DOUBLE_PORT,
      otlpReceiver: e.LAB_OTLP_PORT,
      traceViewer: e.LAB_TRACE_VIEWER_PORT,
      paymentMetrics: e.PAYMENT_METRICS_PORT,
      billingMetrics: e.BILLING_METRICS_PORT,
      dynamodb: e.LAB_DYNAMODB_PORT,
    },
    /** Which billing store the billing-address service uses; `dynamodb` also starts dynalite and backfills the addresses into it. */
    billingStore: e.BILLING_STORE,
    dynamoTable: e.DYNAMODB_TABLE,
    sqlProfile: e.BILLING_SQL_PROFILE,
    /** Where the legacy billing server and the rest of the stack run (CPU affinity). */
    isolation: {
      legacyCpus: e.LAB_LEGACY_CPUS,
      ...(e.LAB_STACK_CPUS !== undefined ? { stackCpus: e.LAB_STACK_CPUS } : {}),
      legacyCpuQuota: e.LAB_LEGACY_CPU_QUOTA,
      generatorCpus: e.LAB_GENERATOR_CPUS,
    },
    /** Servers the user runs elsewhere; the lab starts its own only where these are unset. */
    external: { dynamoEndpoint: e.DYNAMODB_ENDPOINT, databaseUrl: e.DATABASE_URL, billingDatabaseUrl: e.BILLING_DATABASE_URL, stripeApiBase: e.STRIPE_API_BASE, otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT },
  }));

export type LabSettings = z.infer<typeof schema>;

export function loadLabSettings(environment: NodeJS.ProcessEnv): LabSettings {
  return parseEnv('checkout-lab', schema, environment);
}
