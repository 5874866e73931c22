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
    /** How often payment looks for pending payments to resolve against Stripe; 0 turns the reconciler off. */
    PAYMENT_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(30_000),
    /** How long a pending payment must be idle, after its last attempt's lease, before "not at Stripe" releases it. */
    PAYMENT_RECONCILE_AFTER_MS: env.positiveInt(60_000),
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
    reconcile: {
      intervalMs: e.PAYMENT_RECONCILE_INTERVAL_MS,
      afterMs: e.PAYMENT_RECONCILE_AFTER_MS,
      leaseMs: authorizeLeaseMs(e),
    },
    logLevel: e.LOG_LEVEL,
  }));

/** The Stripe SDK's longest wait between two retries of one request (its MAX_NETWORK_RETRY_DELAY_SEC). */
const STRIPE_SDK_MAX_RETRY_DELAY_MS = 5_000;
/** Scheduling, event-loop stalls: time an attempt may spend outside the calls bounded below. */
const LEASE_MARGIN_MS = 5_000;

/**
 * The payment-level lease: longer than the longest Authorize can take once it holds it, so the
 * reconciler never acts while an attempt may still send Stripe a request. An attempt makes at
 * most one billing lookup (its deadline), two Stripe requests (PaymentMethod, PaymentIntent),
 * each up to the SDK timeout per try with retries and their back-off, and two database
 * statements (a connection wait plus the statement timeout and the client's 1 s backstop each).
 * With the defaults: 2 000 + 2 × (10 000 × 2 + 5 000) + 2 × (2 000 + 2 000 + 1 000) + 5 000 = 67 000 ms.
 */
function authorizeLeaseMs(e: {
  BILLING_DEADLINE_MS: number;
  STRIPE_TIMEOUT_MS: number;
  STRIPE_MAX_NETWORK_RETRIES: number;
  DB_CONNECT_TIMEOUT_MS: number;
  DB_STATEMENT_TIMEOUT_MS: number;
}): number {
  const stripeRequest = e.STRIPE_TIMEOUT_MS * (e.STRIPE_MAX_NETWORK_RETRIES + 1) + e.STRIPE_MAX_NETWORK_RETRIES * STRIPE_SDK_MAX_RETRY_DELAY_MS;
  const statement = e.DB_CONNECT_TIMEOUT_MS + e.DB_STATEMENT_TIMEOUT_MS + 1_000;
  return e.BILLING_DEADLINE_MS + 2 * stripeRequest + 2 * statement + LEASE_MARGIN_MS;
}

export type PaymentConfig = z.infer<typeof schema>;

/** Every environment variable payment reads (deployment manifests are checked against it). */
export const CONFIG_ENV_VARS: readonly string[] = Object.keys(schema.in.shape);

export function loadConfig(environment: NodeJS.ProcessEnv): PaymentConfig {
  return parseEnv('payment', schema, environment);
}
