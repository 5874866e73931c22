import { format, inspect } from 'node:util';
import { setLogger as setGrpcLogger } from '@grpc/grpc-js';
import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';

/** The levels a service's LOG_LEVEL may name. */
export type LogLevel = Level | 'silent';

export interface ServiceLoggerOptions {
  /** The `service` field of every line: cart, payment, billing-address. */
  service: string;
  level: LogLevel;
  /** Where the lines go: stdout by default (synchronously, so no line is lost at exit); tests capture them here. */
  destination?: DestinationStream;
}

/**
 * The services' one logger: pino, one JSON object per line, each with
 * - `level`: pino's number (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal),
 * - `time`: ISO-8601 in UTC (`2026-12-01T22:40:00.123Z`),
 * - `service`, `msg`,
 * - `trace_id`, `span_id`, `trace_flags` on a line logged inside a traced request: added by the
 *   OpenTelemetry pino instrumentation that the telemetry preload installs (sdk.ts).
 * No pid or hostname. Nest's own messages reach it through NestPinoLogger. What is logged must never
 * include a name, an address, an e-mail or a secret: ids, codes and counts only.
 */
export function createServiceLogger({ service, level, destination }: ServiceLoggerOptions): Logger {
  return pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination({ fd: 1, sync: true }));
}

/** A failure as a log line's `err`: its name and message only, no stack; a thrown non-Error as text. */
export function errorFields(error: unknown): { name: string; message: string } | string {
  return error instanceof Error ? { name: error.name, message: error.message } : String(error);
}

/**
 * Nest's LoggerService over a service's pino logger, given to NestFactory (`{ logger }`), so Nest
 * never prints a line of its own. Nest's `log` level is its start-up chatter (modules, routes,
 * "successfully started"): pino's debug. The class name Nest passes becomes `context`.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params, true);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest's calling convention (as its ConsoleLogger reads it): `(message, ...more, context?)`, and for errors `(message, stack?, context?)`. */
  private write(level: Level, message: unknown, params: unknown[], withStack = false): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const rest = [...params];
    const fields: { context?: string; stack?: string; err?: Error } = {};
    if (withStack && rest.length === 1 && isStack(rest[0])) {
      fields.stack = rest.pop() as string;
    } else {
      if (rest.length > 0 && typeof rest.at(-1) === 'string') fields.context = rest.pop() as string;
      if (withStack && rest.length > 0 && (typeof rest.at(-1) === 'string' || rest.at(-1) === undefined)) {
        const stack = rest.pop();
        if (typeof stack === 'string') fields.stack = stack;
      }
    }
    if (message instanceof Error) fields.err = message;
    const text = [message, ...rest].map((part) => (typeof part === 'string' ? part : part instanceof Error ? part.message : inspect(part, { breakLength: Infinity }))).join(' ');
    this.logger[level](fields, text);
  }
}

/**
 * grpc-js's own messages (a failed bind: "No address added out of total 1 resolved"; more with
 * GRPC_VERBOSITY) as lines of `logger`, with `context: "grpc-js"`, instead of plain text on stderr.
 * grpc-js has one logger per process: the service calls this once it has made its own.
 */
export function routeGrpcLogs(logger: Logger): void {
  const to =
    (level: Level) =>
    (message?: unknown, ...rest: unknown[]): void =>
      logger[level]({ context: 'grpc-js' }, format(message, ...rest));
  setGrpcLogger({ error: to('error'), info: to('info'), debug: to('debug') });
}

function isStack(value: unknown): boolean {
  return typeof value === 'string' && /^(.)+\n\s+at .+:\d+:\d+/.test(value);
}
