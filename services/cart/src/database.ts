import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { classifyDatabaseError } from '@checkout-lab/database';
import { DependencyError } from './errors';

/** Runs a statement on cart's database; an unreachable or timed-out database becomes a DependencyError. */
export async function query<R extends QueryResultRow>(db: Pool | PoolClient, sql: string, params: unknown[] = []): Promise<R[]> {
  try {
    return (await db.query<R>(sql, params)).rows;
  } catch (error) {
    throw toDependencyError(error);
  }
}

/** An unreachable or timed-out database is cart-db's outage; anything else is left as it is. */
function toDependencyError(error: unknown): unknown {
  switch (classifyDatabaseError(error)) {
    case 'unavailable':
      return new DependencyError('cart-db', 'unavailable');
    case 'timeout':
      return new DependencyError('cart-db', 'timeout');
    case 'other':
      return error;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a row (and would make PostgreSQL raise). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
