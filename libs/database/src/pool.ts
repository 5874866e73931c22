import { Pool, type PoolConfig } from 'pg';

export interface PoolOptions {
  connectionString: string;
  /** Connections in the pool. */
  max: number;
  /** Server-side `statement_timeout` of every statement (also covers waiting for a lock). */
  statementTimeoutMs: number;
  /** How long to wait for a new connection, and for a free pooled one. */
  connectTimeoutMs: number;
  /** `application_name` the server sees (pg_stat_activity). */
  applicationName: string;
  /**
   * Told about a pooled connection that failed while idle (the server terminated it, restarted,
   * or the network dropped it). The pool has already discarded it and opens a new one on demand.
   * Gets a message that carries at most a driver code, never a URL or credentials.
   */
  onIdleError?: (info: { code: string | undefined; message: string }) => void;
}

/**
 * The one place services make a `pg` pool. Every statement has a server-side timeout, with a
 * client-side backstop (`query_timeout`) for a server that stops answering altogether, and a
 * bounded wait for a connection. A pooled connection the server closes while idle makes pg emit
 * `error` on the pool; without a listener that ends the process, so one is always attached.
 */
export function createPool(options: PoolOptions): Pool {
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + 1_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: options.applicationName,
  } satisfies PoolConfig);
  pool.on('error', (error: Error & { code?: unknown }) => {
    const code = typeof error.code === 'string' ? error.code : undefined;
    options.onIdleError?.({ code, message: code ? `idle connection failed (${code})` : 'idle connection failed' });
  });
  return pool;
}
