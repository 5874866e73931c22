import type { BillingAddressStore } from './billing-address.store';
import { PostgresBillingAddressStore, type SqlProfile } from './postgres.billing-address.store';
import { applySqlProfile, migrateBillingSchema } from './postgres.schema';

/** The `sql` store: the legacy PostgreSQL billing database, in one of its profiles. */
export interface SqlBillingStoreConfig {
  kind: 'sql';
  profile: SqlProfile;
  databaseUrl: string;
  /** The store's own small pool. */
  poolMax: number;
  statementTimeoutMs: number;
  /** Also how long a query waits for a free pooled connection. */
  connectTimeoutMs: number;
}

/** Which store to use and how to reach it; one member per adapter, discriminated by `kind`. */
export type BillingStoreConfig = SqlBillingStoreConfig;

/** The one place an adapter is chosen. */
export function createBillingAddressStore(config: BillingStoreConfig): BillingAddressStore {
  switch (config.kind) {
    case 'sql':
      return new PostgresBillingAddressStore({
        connectionString: config.databaseUrl,
        profile: config.profile,
        poolMax: config.poolMax,
        statementTimeoutMs: config.statementTimeoutMs,
        connectionTimeoutMillis: config.connectTimeoutMs,
      });
    default:
      return unknownStore(config.kind);
  }
}

/**
 * Readies the selected store's backend at start-up: for `sql`, migrates the schema and applies the
 * profile. Fails with BillingStoreUnavailableError when the backend cannot be reached.
 */
export async function prepareBillingStore(config: BillingStoreConfig): Promise<void> {
  switch (config.kind) {
    case 'sql':
      await migrateBillingSchema(config.databaseUrl);
      await applySqlProfile(config.databaseUrl, config.profile);
      return;
    default:
      unknownStore(config.kind);
  }
}

/** Compile-time exhaustiveness: adding a store kind without handling it fails to type-check. */
function unknownStore(kind: never): never {
  throw new Error(`unknown billing store kind: ${String(kind)}`);
}
