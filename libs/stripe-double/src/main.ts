/**
 * Runs the Stripe API double on its own:
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register libs/stripe-double/src/main.ts
 * Configured by STRIPE_DOUBLE_* variables (see config.ts); prints one JSON line when listening.
 */
import { ConfigError } from '@checkout-lab/config';
import { startStripeDouble, stripeDoubleConfigFromEnv, type StripeDoubleOptions } from './index';

async function main(): Promise<void> {
  let options: StripeDoubleOptions;
  try {
    options = stripeDoubleConfigFromEnv(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const double = await startStripeDouble(options);
  process.stdout.write(`${JSON.stringify({ msg: 'stripe double listening', url: double.url })}\n`);

  const stop = (): void => {
    double.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stripe double: error while closing: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`stripe double: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
