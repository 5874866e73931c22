import type { Command } from 'commander';
import { loadLabSettings, seedBilling, startBillingPostgres } from '@checkout-lab/stack';

export function registerSeed(program: Command): void {
  program
    .command('seed')
    .description('create the legacy billing schema and load the billing addresses (LAB_SEED_USERS, LAB_SEED_ADDRESSES_PER_USER)')
    .action(async () => {
      const settings = loadLabSettings(process.env);
      if (settings.external.billingDatabaseUrl) {
        await seedBilling(settings.external.billingDatabaseUrl, settings.seed);
        return;
      }
      const billing = await startBillingPostgres(settings);
      try {
        await seedBilling(billing.url, settings.seed);
      } finally {
        await billing.server.stop();
      }
    });
}
