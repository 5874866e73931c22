import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { BillingAddressConfig } from './config';

/** DI token of the service's pino logger. */
export const LOGGER = Symbol('billing-address.logger');

/**
 * pino JSON lines on stdout (or `destination`). What is logged must never include a billing
 * address, a name or an e-mail: log ids, codes and counts only.
 */
export function createLogger(level: BillingAddressConfig['logLevel'], destination?: DestinationStream): Logger {
  return pino(
    { level, base: { service: 'billing-address' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** Routes Nest's own messages into the pino logger; Nest's start-up chatter goes to debug. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.logger.debug({ context: context(rest) }, String(message));
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.logger.error({ context: context(rest) }, String(message));
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.logger.warn({ context: context(rest) }, String(message));
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.logger.debug({ context: context(rest) }, String(message));
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.logger.trace({ context: context(rest) }, String(message));
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.logger.fatal({ context: context(rest) }, String(message));
  }
}

/** Nest passes the context (class name) as the last optional argument. */
function context(rest: unknown[]): string | undefined {
  const last = rest.at(-1);
  return typeof last === 'string' ? last : undefined;
}
