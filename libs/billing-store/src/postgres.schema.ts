import * as path from 'node:path';
import type { SqlProfile } from '@checkout-lab/config';
import { migrate } from '@checkout-lab/database';
import { Client, Pool } from 'pg';
import { BillingStoreTimeoutError, BillingStoreUnavailableError } from './billing-store.errors';
import { toBillingStoreError } from './postgres.billing-address.store';

/** The `.sql` migrations (node-pg-migrate's `-- Up Migration` / `-- Down Migration` format). */
const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');
const MIGRATIONS_TABLE = 'billing_migrations';

/** The index the `indexed` profile adds: exactly what the lookup needs (see BILLING_LOOKUP_SQL). */
export const BILLING_LOOKUP_INDEX = 'billing_addresses_user_default_idx';

/**
 * Brings the billing database's schema up to date; returns the names of the migrations it ran
 * (none when already current). Concurrent callers wait for each other. A server that cannot be
 * reached fails with BillingStoreUnavailableError naming host and port.
 */
export async function migrateBillingSchema(
  connectionString: string,
  options: { log?: (message: string) => void } = {},
): Promise<string[]> {
  return withClient(connectionString, (client) =>
    migrate({ database: client, dir: MIGRATIONS_DIR, table: MIGRATIONS_TABLE, log: options.log }),
  );
}

/**
 * Puts the schema into a profile, idempotently: `indexed` creates the index a DBA would add for
 * the lookup, `legacy` drops it. Then refreshes the planner's statistics.
 */
export async function applySqlProfile(db: Pool | string, profile: SqlProfile): Promise<void> {
  const statements: string[] = [];
  switch (profile) {
    case 'indexed':
      statements.push(
        `CREATE INDEX IF NOT EXISTS ${BILLING_LOOKUP_INDEX} ON billing_addresses (user_id, updated_at DESC) WHERE is_default`,
      );
      break;
    case 'legacy':
      statements.push(`DROP INDEX IF EXISTS ${BILLING_LOOKUP_INDEX}`);
      break;
  }
  statements.push('ANALYZE billing_addresses');

  const run = async (query: (sql: string) => Promise<unknown>) => {
    for (const sql of statements) {
      try {
        await query(sql);
      } catch (error) {
        // Two callers creating the index at once: the loser sees it already exists.
        const code = (error as { code?: string }).code;
        if (code === '42P07' || code === '23505') continue;
        throw error;
      }
    }
  };
  if (typeof db === 'string') {
    await withClient(db, (client) => run((sql) => client.query(sql)));
  } else {
    await run((sql) => db.query(sql)).catch(rethrowTranslated);
  }
}

/**
 * Runs `work` on a fresh connection to `connectionString` and closes it. Connection problems
 * become BillingStoreUnavailableError naming the server (never the password).
 */
export async function withClient<T>(connectionString: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString, connectionTimeoutMillis: 10_000, application_name: 'billing-store' });
  client.on('error', () => undefined); // reported by the pending query instead
  try {
    await client.connect();
  } catch (error) {
    const translated = toBillingStoreError(error);
    const reason = translated instanceof BillingStoreUnavailableError ? translated.message : 'billing store unavailable';
    throw new BillingStoreUnavailableError(`${reason} at ${describeServer(connectionString)}`);
  }
  try {
    return await work(client);
  } catch (error) {
    rethrowTranslated(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Connection problems and timeouts become domain errors; anything else (a failing migration, a
 * bad seed size) is for the operator, quotes no user data, and keeps its text.
 */
function rethrowTranslated(error: unknown): never {
  const translated = toBillingStoreError(error);
  if (translated instanceof BillingStoreUnavailableError || translated instanceof BillingStoreTimeoutError) {
    throw translated;
  }
  throw error;
}

/** host:port/database of a connection string, without credentials. */
function describeServer(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return '(unparseable database URL)';
  }
}
