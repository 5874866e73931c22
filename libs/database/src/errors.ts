/** How a failed database call should be understood by the caller. */
export type DatabaseFailure = 'unavailable' | 'timeout' | 'other';

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', 'ETIMEDOUT']);

/**
 * Classifies an error thrown by `pg`: the server could not be reached (or went away), a
 * statement or pool-acquire timeout fired, or anything else (a bug or a constraint).
 */
export function classifyDatabaseError(error: unknown): DatabaseFailure {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  if (code === '57014' /* query_canceled: statement_timeout */) return 'timeout';
  if (code === '55P03' /* lock_not_available: lock_timeout */) return 'timeout';
  if (/timeout exceeded when trying to connect|Connection terminated due to connection timeout|^Query read timeout$/i.test(message)) {
    return 'timeout';
  }
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03')) {
    return 'unavailable';
  }
  if (/Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end/i.test(message)) {
    return 'unavailable';
  }
  return 'other';
}

/** True for PostgreSQL's unique_violation, optionally on one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
