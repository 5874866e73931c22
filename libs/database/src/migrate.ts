import { runner } from 'node-pg-migrate';
import { Client } from 'pg';

export interface MigrateOptions {
  /** Where to migrate: a URL (a connection is opened and closed), or a connected client. */
  database: string | Client;
  /** Folder of `.sql` migration files (`-- Up Migration` / `-- Down Migration` sections). */
  dir: string;
  /** The bookkeeping table; one per service, so services may share a database. */
  table: string;
  log?: (message: string) => void;
}

/**
 * Applies pending migrations with node-pg-migrate and returns the names of those it ran.
 * Concurrent callers (two replicas starting at once) wait for each other on an advisory lock
 * keyed by the table, where node-pg-migrate's own lock would fail the second one.
 */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const client = typeof options.database === 'string' ? new Client({ connectionString: options.database }) : options.database;
  const ownClient = client !== options.database;
  if (ownClient) await client.connect();
  const log = options.log ?? (() => undefined);
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [options.table]);
    try {
      const applied = await runner({
        dbClient: client,
        dir: options.dir,
        migrationsTable: options.table,
        direction: 'up',
        checkOrder: true,
        singleTransaction: true,
        noLock: true,
        logger: { debug: log, info: log, warn: log, error: log },
      });
      return applied.map((migration) => migration.name);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [options.table]);
    }
  } finally {
    if (ownClient) await client.end();
  }
}
