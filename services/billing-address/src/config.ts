import { z } from 'zod';
import { BILLING_STORE_PROBLEM, billingStoreEnv, DEFAULT_BILLING_STORE, env, parseEnv, type BillingStoreKind } from '@checkout-lab/config';
// Types only: the telemetry preload loads this file (see telemetry-resource.ts) before the store's drivers may load.
import type { BillingStoreConfig } from '@checkout-lab/billing-store';

/** billing-address's configuration: typed, nested, frozen. Built from the environment by loadConfig. */
export interface BillingAddressConfig {
  grpc: { host: string; port: number };
  /** Prometheus /metrics, served on the gRPC host. */
  metrics: { port: number };
  store: BillingStoreConfig;
  logLevel: z.infer<ReturnType<typeof env.logLevel>>;
  /** Known delays injected for calibration (ms, 0 = none). */
  inject: { lookupDelayMs: number };
}

const serviceVariables = z.object({
  BILLING_GRPC_HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  BILLING_GRPC_PORT: env.port(50052).refine((port) => port > 0, 'must be a port number from 1 to 65535'),
  LOG_LEVEL: env.logLevel(),
  BILLING_METRICS_PORT: env.port(9466),
  /** Lab calibration only: a fixed delay inside the business `billing.lookup` span, before the store is asked. */
  BILLING_INJECT_LOOKUP_DELAY_MS: env.injectedDelayMs(),
});

/** One member per store kind (@checkout-lab/config); only the selected store's variables are required. */
const storeVariables = z.discriminatedUnion(
  'BILLING_STORE',
  [
    z.object({
      BILLING_STORE: z.literal('sql').default(DEFAULT_BILLING_STORE),
      BILLING_SQL_PROFILE: billingStoreEnv.sqlProfile(),
      BILLING_DATABASE_URL: env.postgresUrl(),
      BILLING_DB_POOL_MAX: env.positiveInt(4),
      BILLING_DB_STATEMENT_TIMEOUT_MS: env.positiveInt(10_000),
      BILLING_DB_CONNECT_TIMEOUT_MS: env.positiveInt(2_000),
    }),
    z.object({
      BILLING_STORE: z.literal('dynamodb'),
      DYNAMODB_TABLE: billingStoreEnv.dynamoTable(),
      DYNAMODB_ENDPOINT: env.url().optional(),
      AWS_REGION: z.string().regex(/^[a-z0-9-]+$/, 'must be an AWS region, e.g. us-east-1').optional(),
      DYNAMODB_REQUEST_TIMEOUT_MS: env.positiveInt(2_000),
    }),
  ],
  { error: BILLING_STORE_PROBLEM },
);
/** Compile-time: a member above for every store kind, and none for another. */
const _everyKindConfigured: [BillingStoreKind, z.infer<typeof storeVariables>['BILLING_STORE']] extends [z.infer<typeof storeVariables>['BILLING_STORE'], BillingStoreKind]
  ? true
  : never = true;

const schema = z.intersection(serviceVariables, storeVariables).transform(
  (vars): BillingAddressConfig => ({
    grpc: { host: vars.BILLING_GRPC_HOST, port: vars.BILLING_GRPC_PORT },
    metrics: { port: vars.BILLING_METRICS_PORT },
    store: toStoreConfig(vars),
    logLevel: vars.LOG_LEVEL,
    inject: { lookupDelayMs: vars.BILLING_INJECT_LOOKUP_DELAY_MS },
  }),
);

/** Every environment variable billing-address reads, whichever store (deployment manifests are checked against it). */
export const CONFIG_ENV_VARS: readonly string[] = [
  ...Object.keys(serviceVariables.shape),
  ...new Set(storeVariables.options.flatMap((option) => Object.keys(option.shape))),
];

function toStoreConfig(vars: z.infer<typeof storeVariables>): BillingStoreConfig {
  switch (vars.BILLING_STORE) {
    case 'sql':
      return {
        kind: 'sql',
        profile: vars.BILLING_SQL_PROFILE,
        databaseUrl: vars.BILLING_DATABASE_URL,
        poolMax: vars.BILLING_DB_POOL_MAX,
        statementTimeoutMs: vars.BILLING_DB_STATEMENT_TIMEOUT_MS,
        connectTimeoutMs: vars.BILLING_DB_CONNECT_TIMEOUT_MS,
      };
    case 'dynamodb':
      // Credentials (and, without AWS_REGION, the region) come from the AWS default chain.
      return {
        kind: 'dynamodb',
        table: vars.DYNAMODB_TABLE,
        ...(vars.DYNAMODB_ENDPOINT ? { endpoint: vars.DYNAMODB_ENDPOINT } : {}),
        ...(vars.AWS_REGION ? { region: vars.AWS_REGION } : vars.DYNAMODB_ENDPOINT ? { region: 'us-east-1' } : {}),
        requestTimeoutMs: vars.DYNAMODB_REQUEST_TIMEOUT_MS,
      };
  }
}

/**
 * Reads billing-address's variables (the README's configuration table lists them); throws ConfigError naming every bad
 * one. The only place the service reads the environment.
 */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): BillingAddressConfig {
  return parseEnv('billing-address', schema, environment);
}
