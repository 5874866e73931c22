import { ConfigError } from '@checkout-lab/config';
import { stripeDoubleConfigFromEnv } from './config';

describe('stripeDoubleConfigFromEnv', () => {
  it('applies the defaults', () => {
    expect(stripeDoubleConfigFromEnv({})).toEqual({
      host: '127.0.0.1',
      port: 12111,
      latency: { medianMs: 120, p99Ms: 600 },
      paymentMethodLatencyMs: 0,
      errorRate: 0,
    });
  });

  it('reads every variable', () => {
    const options = stripeDoubleConfigFromEnv({
      STRIPE_DOUBLE_HOST: '0.0.0.0',
      STRIPE_DOUBLE_PORT: '0',
      STRIPE_DOUBLE_LATENCY_MEDIAN_MS: '200',
      STRIPE_DOUBLE_LATENCY_P99_MS: '900',
      STRIPE_DOUBLE_PAYMENT_METHOD_LATENCY_MS: '5',
      STRIPE_DOUBLE_ERROR_RATE: '0.02',
      STRIPE_DOUBLE_SEED: '42',
    });
    expect(options).toEqual({
      host: '0.0.0.0',
      port: 0,
      latency: { medianMs: 200, p99Ms: 900 },
      paymentMethodLatencyMs: 5,
      errorRate: 0.02,
      seed: 42,
    });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('turns latency off with a zero median', () => {
    expect(stripeDoubleConfigFromEnv({ STRIPE_DOUBLE_LATENCY_MEDIAN_MS: '0' }).latency).toBeUndefined();
  });

  it('names every bad variable', () => {
    let error: unknown;
    try {
      stripeDoubleConfigFromEnv({ STRIPE_DOUBLE_PORT: 'http', STRIPE_DOUBLE_ERROR_RATE: '1.5', STRIPE_DOUBLE_SEED: '-1' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['STRIPE_DOUBLE_PORT', 'STRIPE_DOUBLE_ERROR_RATE', 'STRIPE_DOUBLE_SEED']) expect(message).toContain(name);
  });

  it('refuses a p99 below the median', () => {
    expect(() => stripeDoubleConfigFromEnv({ STRIPE_DOUBLE_LATENCY_MEDIAN_MS: '500', STRIPE_DOUBLE_LATENCY_P99_MS: '100' })).toThrow(
      /STRIPE_DOUBLE_LATENCY_P99_MS: must be at least STRIPE_DOUBLE_LATENCY_MEDIAN_MS/,
    );
  });
});
