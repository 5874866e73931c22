import type { Command } from 'commander';
import { startEmbeddedPostgres } from '@checkout-lab/embedded';
import * as path from 'node:path';
import { seedBilling } from '../seed';
import { loadLabSettings } from '../settings';

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
      const server = await startEmbeddedPostgres({ dataDir: path.join(settings.dataDir, 'billing-pg'), port: settings.ports.billingPostgres });
      try {
        await server.ensureDatabase('billing');
        await seedBilling(server.url('billing'), settings.seed);
      } finally {
        await server.stop();
      }
    });
}
