import { z } from 'zod';
import { env, parseEnv } from '@checkout-lab/config';

const schema = z
  .object({
    CART_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    CART_HTTP_PORT: env.port(3000),
    DATABASE_URL: env.postgresUrl(),
    DB_POOL_MAX: env.positiveInt(10),
    DB_STATEMENT_TIMEOUT_MS: env.positiveInt(2000),
    DB_CONNECT_TIMEOUT_MS: env.positiveInt(2000),
    PAYMENT_GRPC_TARGET: env.hostPort('127.0.0.1:50051'),
    PAYMENT_DEADLINE_MS: env.positiveInt(5000),
    BODY_LIMIT_BYTES: env.positiveInt(16 * 1024),
    CHECKOUT_CURRENCY: z
      .string()
      .regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code')
      .default('usd'),
    /** How often cart looks for pending orders to resolve with payment; 0 turns the reconciler off. */
    CART_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(30_000),
    /** How long a pending order must go untouched by any request before the reconciler asks payment about it. */
    CART_RECONCILE_AFTER_MS: env.positiveInt(60_000),
    LOG_LEVEL: env.logLevel(),
    /** Lab calibration only: a fixed delay inside the business `checkout` span, before cart's database work. */
    CART_INJECT_CHECKOUT_DELAY_MS: env.injectedDelayMs(),
  })
  .transform((e) => ({
    http: { host: e.CART_HTTP_HOST, port: e.CART_HTTP_PORT, bodyLimitBytes: e.BODY_LIMIT_BYTES },
    database: {
      url: e.DATABASE_URL,
      poolMax: e.DB_POOL_MAX,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
    },
    payment: {
      target: e.PAYMENT_GRPC_TARGET,
      deadlineMs: e.PAYMENT_DEADLINE_MS,
      // The order lease outlives the payment call's deadline, so two requests never pay at once.
      orderLeaseMs: e.PAYMENT_DEADLINE_MS + 5000,
    },
    reconcile: { intervalMs: e.CART_RECONCILE_INTERVAL_MS, afterMs: e.CART_RECONCILE_AFTER_MS },
    currency: e.CHECKOUT_CURRENCY,
    logLevel: e.LOG_LEVEL,
    inject: { checkoutDelayMs: e.CART_INJECT_CHECKOUT_DELAY_MS },
  }));

export type CartConfig = z.infer<typeof schema>;

/** Every environment variable cart reads (deployment manifests are checked against it). */
export const CONFIG_ENV_VARS: readonly string[] = Object.keys(schema.in.shape);

export function loadConfig(environment: NodeJS.ProcessEnv): CartConfig {
  return parseEnv('cart', schema, environment);
}
