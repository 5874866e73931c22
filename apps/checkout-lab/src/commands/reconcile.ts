import { Option, type Command } from 'commander';
import { findingCount, formatReconcile, reconcile } from '@checkout-lab/experiment';
import { loadLabSettings } from '@checkout-lab/stack';

/** Exit code of `reconcile` when it finds a double charge, a charge without a paid order or a paid order without a charge. */
export const RECONCILE_FINDINGS_EXIT_CODE = 6;

/** The key payment uses with the Stripe double by default (payment's STRIPE_SECRET_KEY default). */
const DOUBLE_SECRET_KEY = 'sk_test_checkout_lab';

interface ReconcileCommandOptions {
  databaseUrl?: string;
  cartDatabaseUrl?: string;
  paymentDatabaseUrl?: string;
  stripeApiBase?: string;
  stripeSecretKey: string;
  since?: string;
  json?: boolean;
}

export function registerReconcile(program: Command): void {
  program
    .command('reconcile')
    .description(
      `compare cart's orders, payment's payments and Stripe's PaymentIntents: double charges, charges without a paid order, paid orders without a charge (exit ${RECONCILE_FINDINGS_EXIT_CODE} on any finding)`,
    )
    .option('--database-url <url>', "the PostgreSQL holding both cart's and payment's tables (default: DATABASE_URL, else the embedded app PostgreSQL on LAB_APP_PG_PORT)")
    .option('--cart-database-url <url>', "cart's database, when it is not payment's")
    .option('--payment-database-url <url>', "payment's database, when it is not cart's")
    .option('--stripe-api-base <url>', 'the Stripe API (default: STRIPE_API_BASE, else the Stripe double on STRIPE_DOUBLE_PORT)')
    .addOption(new Option('--stripe-secret-key <key>', 'the Stripe secret key').env('STRIPE_SECRET_KEY').default(DOUBLE_SECRET_KEY, 'the double\'s key'))
    .option('--since <time>', 'only orders and PaymentIntents created at or after this ISO 8601 time')
    .option('--json', 'print the result as JSON')
    .action(async (options: ReconcileCommandOptions, command: Command) => {
      const settings = loadLabSettings(process.env);
      const shared = options.databaseUrl ?? settings.external.databaseUrl;
      const embedded = (database: string) => `postgres://lab:lab@127.0.0.1:${settings.ports.appPostgres}/${database}`;
      let since: Date | undefined;
      if (options.since !== undefined) {
        since = new Date(options.since);
        // Usage errors: one line, the hint, exit 2 (see bin/checkout-lab.ts).
        if (Number.isNaN(since.getTime())) command.error(`error: --since ${JSON.stringify(options.since)} is not an ISO 8601 time`, { exitCode: 2 });
      }
      const result = await reconcile({
        cartDatabaseUrl: options.cartDatabaseUrl ?? shared ?? embedded('cart'),
        paymentDatabaseUrl: options.paymentDatabaseUrl ?? shared ?? embedded('payment'),
        stripeApiBase: options.stripeApiBase ?? settings.external.stripeApiBase ?? `http://127.0.0.1:${settings.ports.stripeDouble}`,
        stripeSecretKey: options.stripeSecretKey,
        ...(since ? { since } : {}),
      });
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatReconcile(result));
      if (findingCount(result)) process.exitCode = RECONCILE_FINDINGS_EXIT_CODE;
    });
}
