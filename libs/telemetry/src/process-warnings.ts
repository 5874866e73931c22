import { logLine } from '@checkout-lab/config';

/**
 * Node.js's own warnings (a deprecation, MaxListenersExceeded, the AWS SDK's notice that it will
 * drop Node 20) as JSON log lines of `service` on stderr, instead of Node's plain-text
 * `(node:123) Warning: …`. Node prints them from a 'warning' listener it adds at start-up (unless
 * --no-warnings); this replaces that listener, so it must run before anything else listens: the
 * telemetry preload calls it first. Node still emits every warning; only the printing changes.
 */
export function routeProcessWarnings(service: string, write: (line: string) => void = (line) => process.stderr.write(line)): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    const fields: Record<string, unknown> = { context: 'node', warning: warning.name };
    if (warning.code) fields['code'] = warning.code;
    write(logLine('warn', service, warning.message.replace(/\s*\n\s*/g, ' ').trim(), fields));
  });
}
