import { ConfigError } from './env';
import { logLine } from './log-line';

export interface ServiceMain<C> {
  name: string;
  /** Reads the environment; a ConfigError ends the process with exit code 2 and its message. */
  loadConfig: () => C;
  start: (config: C) => Promise<{ close(): Promise<void> }>;
  /** How long a graceful shutdown may take before the process exits anyway. */
  graceMs?: number;
}

/**
 * The life of a service process: parse the config (exit 2 naming bad variables), start
 * (exit 1 with a one-line reason, never a stack trace; both as one JSON log line on stderr), and on SIGTERM/SIGINT close
 * gracefully (exit 0), or exit 1 when that fails or takes longer than the grace period.
 */
export function runService<C>({ name, loadConfig, start, graceMs = 10_000 }: ServiceMain<C>): void {
  const fail = (what: string, error: unknown, code: number): never => {
    process.stderr.write(logLine('fatal', name, `${name}: ${what}: ${error instanceof Error ? error.message : String(error)}`, { exit_code: code }));
    process.exit(code);
  };
  let config: C;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(logLine('fatal', name, error.message, { exit_code: 2 }));
      process.exit(2);
    }
    return fail('failed to read its configuration', error, 2);
  }
  start(config).then(
    (service) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        setTimeout(() => fail('did not stop in time', `${graceMs} ms passed`, 1), graceMs).unref();
        service.close().then(
          () => process.exit(0),
          (error: unknown) => fail('failed to stop cleanly', error, 1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (error: unknown) => fail('failed to start', error, 1),
  );
}
