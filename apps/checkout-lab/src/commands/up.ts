import type { Command } from 'commander';
import { loadLabSettings, Stack, type StackEndpoints } from '@checkout-lab/stack';
import { startViewerProcess, type ViewerProcess } from './traces';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the whole stack on this machine (embedded PostgreSQL, Stripe double, three services); Ctrl-C stops it')
    .action(async () => {
      const settings = loadLabSettings(process.env);
      const stack = new Stack(settings);
      let viewer: ViewerProcess | undefined;
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`\n${signal}: stopping the stack …\n`);
        Promise.all([stack.stop(), viewer?.stop()]).then(
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
        // The trace viewer over the receiver's store (none when spans go to OTEL_EXPORTER_OTLP_ENDPOINT: look there).
        const traceDir = stack.traceDir;
        if (traceDir && !stopping) {
          viewer = await startViewerProcess(settings, { dirs: [traceDir], receiverUrl: endpoints.traces, say: (line) => process.stderr.write(`${line}\n`) });
          if (stopping) await viewer?.stop();
        }
        const viewerLine = viewer
          ? `${viewer.url}   (every trace the receiver stored, by lab.run_id)`
          : traceDir
            ? `not started (see the WARNING above); npm run lab -- traces ${traceDir} serves the same page`
            : `not started: spans go to ${endpoints.traces}`;
        if (!stopping) printEndpoints(endpoints, viewerLine);
      } catch (error) {
        await Promise.all([stack.stop(), viewer?.stop()]);
        throw error;
      }
    });
}

function printEndpoints(e: StackEndpoints, traceViewer: string): void {
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
    `  trace viewer         ${traceViewer}`,
    `  metrics (Prometheus) ${e.metrics.cart}  ${e.metrics.payment}  ${e.metrics['billing-address']}`,
    'Logs are in .lab/logs (or $LAB_DATA_DIR/logs). Press Ctrl-C to stop.',
    'ready',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
