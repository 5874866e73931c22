import { Pool, type QueryResultRow } from 'pg';
import { classifyDatabaseError } from '@checkout-lab/database';
import { DependencyError } from './errors';

/** Runs a statement on cart's database; an unreachable or timed-out database becomes a DependencyError. */
export async function query<R extends QueryResultRow>(pool: Pool, sql: string, params: unknown[] = []): Promise<R[]> {
  try {
    return (await pool.query<R>(sql, params)).rows;
  } catch (error) {
    switch (classifyDatabaseError(error)) {
      case 'unavailable':
        throw new DependencyError('cart-db', 'unavailable');
      case 'timeout':
        throw new DependencyError('cart-db', 'timeout');
      case 'other':
        throw error;
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a row (and would make PostgreSQL raise). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
