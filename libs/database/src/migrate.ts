import { runner } from 'node-pg-migrate';

export interface MigrateOptions {
  databaseUrl: string;
  /** Folder of `.sql` migration files (`-- Up Migration` / `-- Down Migration` sections). */
  dir: string;
  /** The bookkeeping table; one per service, so services may share a database. */
  table: string;
  log?: (message: string) => void;
}

/**
 * Applies pending migrations with node-pg-migrate. Safe to run from several processes at
 * once: node-pg-migrate holds an advisory lock while it migrates.
 */
export async function migrate(options: MigrateOptions): Promise<void> {
  await runner({
    databaseUrl: options.databaseUrl,
    dir: options.dir,
    migrationsTable: options.table,
    direction: 'up',
    checkOrder: true,
    singleTransaction: true,
    log: options.log ?? (() => undefined),
    noLock: false,
  });
}
