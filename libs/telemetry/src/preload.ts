/**
 * Loaded with `node -r` before a service's entry file, so the OpenTelemetry SDK patches http,
 * grpc, pg, pino, … before Nest or the drivers load:
 *   node -r @swc-node/register -r ./libs/telemetry/src/preload.ts services/cart/src/main.ts
 * A bad telemetry variable stops the process (exit 2) naming it, like the services' own config.
 */
import { ConfigError } from '@checkout-lab/config';
import { startTelemetry } from './sdk';

try {
  startTelemetry(process.env, process.argv[1]);
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `telemetry: failed to start: ${String(error)}`}\n`);
  process.exit(2);
}
