/**
 * Loaded with `node -r` before a service's entry file, so the OpenTelemetry SDK patches http,
 * grpc, pg, pino, … before Nest or the drivers load:
 *   node -r @swc-node/register -r ./libs/telemetry/src/preload.ts services/cart/src/main.ts
 * A bad telemetry variable stops the process (exit 2) naming it, like the services' own config,
 * in one JSON log line on stderr; Node's own warnings become JSON lines too (process-warnings.ts).
 */
import { ConfigError, logLine } from '@checkout-lab/config';
import { routeProcessWarnings } from './process-warnings';
import { startTelemetry } from './sdk';
import { serviceIdentity } from './settings';

const service = process.env['OTEL_SERVICE_NAME'] || serviceIdentity(process.argv[1]).name;
routeProcessWarnings(service);
try {
  startTelemetry(process.env, process.argv[1]);
} catch (error) {
  const reason = error instanceof ConfigError ? error.message : `telemetry: failed to start: ${String(error)}`;
  process.stderr.write(logLine('fatal', service, reason, { exit_code: 2 }));
  process.exit(2);
}
