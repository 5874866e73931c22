import { z } from 'zod';
import { env, parseEnv } from '@checkout-lab/config';
import { SQL_PROFILES, type BillingStoreConfig } from '@checkout-lab/billing-store';

/** billing-address's configuration: typed, nested, frozen. Built from the environment by loadConfig. */
export interface BillingAddressConfig {
  grpc: { host: string; port: number };
  store: BillingStoreConfig;
  logLevel: z.infer<ReturnType<typeof env.logLevel>>;
}

const serviceVariables = z.object({
  BILLING_GRPC_HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  BILLING_GRPC_PORT: env.port(50052).refine((port) => port > 0, 'must be a port number from 1 to 65535'),
  LOG_LEVEL: env.logLevel(),
});

/** One member per store; only the selected store's variables are required. */
const storeVariables = z.discriminatedUnion(
  'BILLING_STORE',
  [
    z.object({
      BILLING_STORE: z.literal('sql').default('sql'),
      BILLING_SQL_PROFILE: z.enum(SQL_PROFILES).default('legacy'),
      BILLING_DATABASE_URL: env.postgresUrl(),
      BILLING_DB_POOL_MAX: env.positiveInt(4),
      BILLING_DB_STATEMENT_TIMEOUT_MS: env.positiveInt(10_000),
      BILLING_DB_CONNECT_TIMEOUT_MS: env.positiveInt(2_000),
    }),
  ],
  { error: 'must be one of: sql' },
);

const schema = z.intersection(serviceVariables, storeVariables).transform(
  (vars): BillingAddressConfig => ({
    grpc: { host: vars.BILLING_GRPC_HOST, port: vars.BILLING_GRPC_PORT },
    store: toStoreConfig(vars),
    logLevel: vars.LOG_LEVEL,
  }),
);

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
  }
}

/**
 * Reads billing-address's variables (see README / DESIGN.md); throws ConfigError naming every bad
 * one. The only place the service reads the environment.
 */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): BillingAddressConfig {
  return parseEnv('billing-address', schema, environment);
}
