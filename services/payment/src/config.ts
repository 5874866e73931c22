import { z } from 'zod';
import { env, parseEnv } from '@checkout-lab/config';

const schema = z
  .object({
    PAYMENT_GRPC_HOST: z.string().min(1).default('127.0.0.1'),
    PAYMENT_GRPC_PORT: env.port(50051),
    PAYMENT_METRICS_PORT: env.port(9465),
    DATABASE_URL: env.postgresUrl(),
    DB_POOL_MAX: env.positiveInt(10),
    DB_STATEMENT_TIMEOUT_MS: env.positiveInt(2000),
    DB_CONNECT_TIMEOUT_MS: env.positiveInt(2000),
    BILLING_ADDRESS_GRPC_TARGET: env.hostPort('127.0.0.1:50052'),
    BILLING_DEADLINE_MS: env.positiveInt(2000),
    STRIPE_API_BASE: env.url().default('http://127.0.0.1:12111'),
    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_(test|live)_\S+$/, 'must be a Stripe secret key (sk_test_...)')
      .default('sk_test_checkout_lab'),
    STRIPE_TIMEOUT_MS: env.positiveInt(10_000),
    STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(5).default(1),
    LOG_LEVEL: env.logLevel(),
  })
  .transform((e) => ({
    grpc: { host: e.PAYMENT_GRPC_HOST, port: e.PAYMENT_GRPC_PORT },
    metrics: { port: e.PAYMENT_METRICS_PORT },
    database: {
      url: e.DATABASE_URL,
      poolMax: e.DB_POOL_MAX,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
    },
    billingAddress: { target: e.BILLING_ADDRESS_GRPC_TARGET, deadlineMs: e.BILLING_DEADLINE_MS },
    stripe: {
      apiBase: new URL(e.STRIPE_API_BASE),
      secretKey: e.STRIPE_SECRET_KEY,
      timeoutMs: e.STRIPE_TIMEOUT_MS,
      maxNetworkRetries: e.STRIPE_MAX_NETWORK_RETRIES,
    },
    logLevel: e.LOG_LEVEL,
  }));

export type PaymentConfig = z.infer<typeof schema>;

/** Every environment variable payment reads (deployment manifests are checked against it). */
export const CONFIG_ENV_VARS: readonly string[] = Object.keys(schema.in.shape);

export function loadConfig(environment: NodeJS.ProcessEnv): PaymentConfig {
  return parseEnv('payment', schema, environment);
}
