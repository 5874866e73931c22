import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '@checkout-lab/config';
import { startEmbeddedPostgres } from '@checkout-lab/embedded';
import * as path from 'node:path';
import { seedBilling } from '../seed';
import { loadLabSettings } from '../settings';
import { Stack, type StackEndpoints } from '../stack/stack';

const program = new Command()
  .name('checkout-lab')
  .description('Reproduce a checkout latency incident, fix it, and prove the fix with traces.')
  .showHelpAfterError()
  .exitOverride();

program
  .command('up')
  .description('start the whole stack on this machine (embedded PostgreSQL, Stripe double, three services); Ctrl-C stops it')
  .action(async () => {
    const stack = new Stack(loadLabSettings(process.env));
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\n${signal}: stopping the stack …\n`);
      stack.stop().then(
        () => {
          process.stderr.write('stopped; nothing left running\n');
          process.exit(0);
        },
        () => process.exit(1),
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    try {
      const endpoints = await stack.start();
      if (!stopping) printEndpoints(endpoints);
    } catch (error) {
      await stack.stop();
      throw error;
    }
  });

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

function printEndpoints(e: StackEndpoints): void {
  const lines = [
    '',
    'checkout-lab is up. Endpoints:',
    `  cart HTTP API        ${e.cart}   (try: curl ${e.cart}/healthz)`,
    `  payment gRPC         ${e.payment}`,
    `  billing-address gRPC ${e.billingAddress}`,
    `  Stripe API           ${e.stripe}`,
    `  app PostgreSQL       ${e.appDatabase}`,
    `  billing PostgreSQL   ${e.billingDatabase}`,
    'Logs are in .lab/logs (or $LAB_DATA_DIR/logs). Press Ctrl-C to stop.',
    'ready',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`checkout-lab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

void main();
