import { env, parseEnv } from '@checkout-lab/config';
import { z } from 'zod';
import type { StripeDoubleOptions } from './server';

const schema = z
  .object({
    STRIPE_DOUBLE_HOST: z.string().min(1).default('127.0.0.1'),
    STRIPE_DOUBLE_PORT: env.port(12111),
    STRIPE_DOUBLE_LATENCY_MEDIAN_MS: env.nonNegativeNumber(120),
    STRIPE_DOUBLE_LATENCY_P99_MS: env.nonNegativeNumber(600),
    STRIPE_DOUBLE_PAYMENT_METHOD_LATENCY_MS: env.nonNegativeNumber(0),
    STRIPE_DOUBLE_ERROR_RATE: z.coerce.number().min(0).max(1).default(0),
    STRIPE_DOUBLE_SEED: z
      .string()
      .regex(/^\d{1,10}$/, 'must be an integer from 0 to 4294967295')
      .transform(Number)
      .refine((seed) => seed <= 0xffffffff, 'must be an integer from 0 to 4294967295')
      .optional(),
  })
  .superRefine((config, context) => {
    if (config.STRIPE_DOUBLE_LATENCY_P99_MS < config.STRIPE_DOUBLE_LATENCY_MEDIAN_MS) {
      context.addIssue({
        code: 'custom',
        path: ['STRIPE_DOUBLE_LATENCY_P99_MS'],
        message: 'must be at least STRIPE_DOUBLE_LATENCY_MEDIAN_MS',
      });
    }
  });

/**
 * The double's options from environment variables (defaults: 127.0.0.1:12111, authorisation
 * latency median 120 ms / p99 600 ms, no errors, random seed). A median of 0 turns latency off.
 * Throws ConfigError naming every bad variable.
 */
export function stripeDoubleConfigFromEnv(variables: NodeJS.ProcessEnv): StripeDoubleOptions {
  const config = parseEnv('stripe-double', schema, variables);
  const medianMs = config.STRIPE_DOUBLE_LATENCY_MEDIAN_MS;
  return Object.freeze({
    host: config.STRIPE_DOUBLE_HOST,
    port: config.STRIPE_DOUBLE_PORT,
    ...(medianMs > 0 ? { latency: Object.freeze({ medianMs, p99Ms: config.STRIPE_DOUBLE_LATENCY_P99_MS }) } : {}),
    paymentMethodLatencyMs: config.STRIPE_DOUBLE_PAYMENT_METHOD_LATENCY_MS,
    errorRate: config.STRIPE_DOUBLE_ERROR_RATE,
    ...(config.STRIPE_DOUBLE_SEED === undefined ? {} : { seed: config.STRIPE_DOUBLE_SEED }),
  });
}
