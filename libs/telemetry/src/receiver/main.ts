import { startTraceReceiver } from './otlp-receiver';

/**
 * The trace receiver as a process of its own (the lab's stack starts it so): decoding and writing
 * spans then never blocks the load generator's event loop. Configured by LAB_TRACES_DIR,
 * LAB_OTLP_HOST (default 127.0.0.1), LAB_OTLP_PORT (default 4318) and LAB_OTLP_DEFER (default
 * true: batches are spooled raw and decoded when the load pauses); stops on SIGTERM / SIGINT after
 * decoding and writing every batch it acknowledged.
 */
async function main(): Promise<void> {
  const dir = process.env['LAB_TRACES_DIR'];
  if (!dir) throw new Error('LAB_TRACES_DIR is not set');
  const port = Number(process.env['LAB_OTLP_PORT'] ?? 4318);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`LAB_OTLP_PORT must be a port number (got ${process.env['LAB_OTLP_PORT']})`);
  // Decoding waits until the load pauses (LAB_OTLP_DEFER=false decodes each batch as it arrives).
  const deferDecoding = process.env['LAB_OTLP_DEFER'] !== 'false';
  const receiver = await startTraceReceiver({ dir, port, host: process.env['LAB_OTLP_HOST'] ?? '127.0.0.1', deferDecoding });
  process.stdout.write(`trace receiver listening on ${receiver.endpoint}, spans in ${dir}\n`);
  const stop = () => {
    receiver.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`trace receiver: stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`trace receiver: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
