/** pino's level numbers, which every service log line carries (libs/telemetry/src/logging.ts). */
const LEVELS = { warn: 40, error: 50, fatal: 60 } as const;

/**
 * One log line in the services' JSON shape (`level` as pino's number, ISO `time`, `service`, `msg`),
 * for what a process must say before or without its logger: the reason it exits during start-up,
 * a bad setting, a Node.js warning. So a service log has no plain-text line, even on stderr.
 */
export function logLine(level: keyof typeof LEVELS, service: string, msg: string, fields: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ level: LEVELS[level], time: new Date().toISOString(), service, msg, ...fields })}\n`;
}
