import type { Command } from 'commander';
import { loadLabSettings } from '../settings';
import { Stack, type StackEndpoints } from '../stack/stack';

export function registerUp(program: Command): void {
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
}

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
    `  traces (OTLP/HTTP)   ${e.traces}   (spans kept in $LAB_DATA_DIR/traces/<lab.run_id>/spans)`,
    `  metrics (Prometheus) ${e.metrics.cart}  ${e.metrics.payment}  ${e.metrics['billing-address']}`,
    'Logs are in .lab/logs (or $LAB_DATA_DIR/logs). Press Ctrl-C to stop.',
    'ready',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
