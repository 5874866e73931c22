import type { BillingStoreKind, SqlProfile } from '@checkout-lab/config';
import type { BillingAddressStore } from './billing-address.store';
import { DynamoBillingAddressStore } from './dynamo.billing-address.store';
import { ensureBillingTable } from './dynamo.billing-table';
import { PostgresBillingAddressStore } from './postgres.billing-address.store';
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

/** The `dynamodb` store: a DynamoDB table keyed by user id (dynalite, DynamoDB Local or AWS). */
export interface DynamoBillingStoreConfig {
  kind: 'dynamodb';
  table: string;
  /** Absent = AWS's endpoint for the region. */
  endpoint?: string;
  /** Absent = the AWS default chain; `us-east-1` when an endpoint is given. */
  region?: string;
  /** Absent = the AWS default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Per-request timeout. Default 2000. */
  requestTimeoutMs?: number;
}

/** Which store to use and how to reach it; one member per adapter, discriminated by `kind`. */
export type BillingStoreConfig = SqlBillingStoreConfig | DynamoBillingStoreConfig;
/** Compile-time: every store kind of @checkout-lab/config has a member above, and no member names another kind. */
const _everyKindConfigured: [BillingStoreKind, BillingStoreConfig['kind']] extends [BillingStoreConfig['kind'], BillingStoreKind] ? true : never = true;

/** What the store tells its host about (for logging); no data, a driver code at most. */
export interface StoreHooks {
  /** An idle pooled connection failed and was replaced (sql). */
  onIdleError?: (info: { code: string | undefined; message: string }) => void;
}

/** The one place an adapter is chosen. */
export function createBillingAddressStore(config: BillingStoreConfig, hooks: StoreHooks = {}): BillingAddressStore {
  switch (config.kind) {
    case 'sql':
      return new PostgresBillingAddressStore({
        ...hooks,
        connectionString: config.databaseUrl,
        profile: config.profile,
        poolMax: config.poolMax,
        statementTimeoutMs: config.statementTimeoutMs,
        connectionTimeoutMillis: config.connectTimeoutMs,
      });
    case 'dynamodb':
      return new DynamoBillingAddressStore(dynamoConnection(config));
    default:
      return unknownStore(config);
  }
}

/**
 * Readies the selected store's backend at start-up: for `sql`, migrates the schema and applies the
 * profile; for `dynamodb`, creates the table unless it exists. Fails with
 * BillingStoreUnavailableError when the backend cannot be reached.
 */
export async function prepareBillingStore(config: BillingStoreConfig): Promise<void> {
  switch (config.kind) {
    case 'sql':
      await migrateBillingSchema(config.databaseUrl);
      await applySqlProfile(config.databaseUrl, config.profile);
      return;
    case 'dynamodb':
      await ensureBillingTable(dynamoConnection(config));
      return;
    default:
      unknownStore(config);
  }
}

function dynamoConnection(config: DynamoBillingStoreConfig) {
  const { kind: _kind, ...connection } = config;
  return connection;
}

/** Compile-time exhaustiveness: adding a store kind without handling it fails to type-check. */
function unknownStore(config: never): never {
  throw new Error(`unknown billing store kind: ${String((config as { kind?: unknown }).kind)}`);
}
