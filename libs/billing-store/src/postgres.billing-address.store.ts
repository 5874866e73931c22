import type { Pool } from 'pg';
import type { SqlProfile } from '@checkout-lab/config';
import { createPool } from '@checkout-lab/database';
import { BillingAddressStore, validateBillingAddressInput, validateUserId } from './billing-address.store';
import type { BillingAddress, BillingAddressInput } from './billing-address.store';
import {
  AddressOwnedByAnotherUserError,
  BillingStoreCancelledError,
  BillingStoreError,
  BillingStoreTimeoutError,
  BillingStoreUnavailableError,
  UNREACHABLE_CODES,
} from './billing-store.errors';

/** The columns every read of billing_addresses selects (and toBillingAddress maps). */
export const COLUMNS =
  'address_id, user_id, name, email, line1, line2, city, state, postal_code, country, is_default, updated_at';

/**
 * The lookup the legacy system ran, verbatim: the user's newest default address. `$1` is the
 * user id. Without the `indexed` profile's index, PostgreSQL answers it with a full scan.
 * Exported so tests and the lab can EXPLAIN exactly what the store runs.
 */
export const BILLING_LOOKUP_SQL = `SELECT ${COLUMNS} FROM billing_addresses WHERE user_id = $1 AND is_default ORDER BY updated_at DESC LIMIT 1`;

/**
 * Creates or replaces by address_id; `updated_at` is the server's clock at the write. An
 * address_id of another user is left alone (no row returned): addresses never move between users.
 */
const UPSERT_SQL = `INSERT INTO billing_addresses (${COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, clock_timestamp())
ON CONFLICT (address_id) DO UPDATE SET
  user_id = EXCLUDED.user_id, name = EXCLUDED.name, email = EXCLUDED.email, line1 = EXCLUDED.line1,
  line2 = EXCLUDED.line2, city = EXCLUDED.city, state = EXCLUDED.state, postal_code = EXCLUDED.postal_code,
  country = EXCLUDED.country, is_default = EXCLUDED.is_default, updated_at = EXCLUDED.updated_at
WHERE billing_addresses.user_id = EXCLUDED.user_id
RETURNING ${COLUMNS}`;

export interface PostgresBillingAddressStoreOptions {
  connectionString: string;
  /** Which profile the database was set up with (see applySqlProfile); reported as `store.profile`. */
  profile: SqlProfile;
  /** The store's own pool: the legacy server is small. Default 4. */
  poolMax?: number;
  /** How long to wait for a new connection, and for a free pooled one. Default 2000. */
  connectionTimeoutMillis?: number;
  /** Server-side `statement_timeout` for every statement. Default 10000. */
  statementTimeoutMs?: number;
  /** `application_name` the server sees (pg_stat_activity). Default `billing-store`. */
  applicationName?: string;
  /** Told when an idle pooled connection fails (the pool replaces it); the message holds a driver code at most. */
  onIdleError?: (info: { code: string | undefined; message: string }) => void;
}

export interface BillingAddressRow {
  address_id: string;
  user_id: string;
  name: string | null;
  email: string | null;
  line1: string | null;
  line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
  is_default: boolean;
  updated_at: Date;
}

/** The `sql` adapter: billing addresses in the legacy PostgreSQL schema, through its own small pg pool. */
export class PostgresBillingAddressStore extends BillingAddressStore {
  readonly kind = 'sql';
  readonly profile: SqlProfile;
  private readonly pool: Pool;
  private closing: Promise<void> | undefined;

  constructor(options: PostgresBillingAddressStoreOptions) {
    super();
    this.profile = options.profile;
    // Through the shared factory: server-side statement timeout with a client-side backstop, a
    // bounded wait for a connection, and an `error` listener so an idle connection the server
    // closes is replaced instead of crashing the process (the next query reports an outage).
    this.pool = createPool({
      connectionString: options.connectionString,
      max: options.poolMax ?? 4,
      connectTimeoutMs: options.connectionTimeoutMillis ?? 2_000,
      statementTimeoutMs: options.statementTimeoutMs ?? 10_000,
      applicationName: options.applicationName ?? 'billing-store',
      ...(options.onIdleError ? { onIdleError: options.onIdleError } : {}),
    });
  }

  async getCurrent(userId: string, options: { signal?: AbortSignal } = {}): Promise<BillingAddress | null> {
    validateUserId(userId);
    const { rows } = await this.query<BillingAddressRow>(BILLING_LOOKUP_SQL, [userId], options.signal);
    return rows[0] ? toBillingAddress(rows[0]) : null;
  }

  async put(input: BillingAddressInput): Promise<BillingAddress> {
    const address = validateBillingAddressInput(input);
    const { rows } = await this.query<BillingAddressRow>(UPSERT_SQL, [
      address.addressId,
      address.userId,
      address.name,
      address.email,
      address.line1,
      address.line2,
      address.city,
      address.state,
      address.postalCode,
      address.country,
      address.isDefault,
    ]);
    if (!rows[0]) throw new AddressOwnedByAnotherUserError();
    return toBillingAddress(rows[0]);
  }

  async ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.query('SELECT 1', [], options.signal);
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }

  private async query<R extends object>(text: string, values: unknown[], signal?: AbortSignal): Promise<{ rows: R[] }> {
    if (this.closing) throw new BillingStoreUnavailableError('billing store is closed');
    try {
      if (!signal) return await this.pool.query<R & Record<string, unknown>>(text, values);
      // With a caller's signal: take a connection, then look again. The wait for a connection is
      // where a slow server's queue builds; a caller that gave up meanwhile gets nothing run.
      if (signal.aborted) throw new BillingStoreCancelledError('the caller gave up before the lookup started');
      const client = await this.pool.connect();
      try {
        if (signal.aborted) throw new BillingStoreCancelledError('the caller gave up while the lookup waited for a connection');
        return await client.query<R & Record<string, unknown>>(text, values);
      } finally {
        client.release();
      }
    } catch (error) {
      throw toBillingStoreError(error);
    }
  }
}

export function toBillingAddress(row: BillingAddressRow): BillingAddress {
  return {
    addressId: row.address_id,
    userId: row.user_id,
    name: row.name ?? '',
    email: row.email ?? '',
    line1: row.line1 ?? '',
    line2: row.line2 ?? '',
    city: row.city ?? '',
    state: row.state ?? '',
    postalCode: row.postal_code ?? '',
    country: row.country ?? '',
    isDefault: row.is_default,
    updatedAt: row.updated_at,
  };
}

/**
 * Translates whatever pg, pg-pool or the socket threw into a domain error. The result quotes at
 * most an error code: pg messages can contain row values (personal data) and must not travel on.
 */
export function toBillingStoreError(error: unknown): BillingStoreError {
  if (error instanceof BillingStoreError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  const message = error instanceof Error ? error.message : '';

  // pg-pool: every pooled connection stayed busy for connectionTimeoutMillis.
  if (message === 'timeout exceeded when trying to connect') {
    return new BillingStoreTimeoutError('billing store timed out waiting for a free connection');
  }
  // pg client: query_timeout passed without an answer.
  if (message === 'Query read timeout') return new BillingStoreTimeoutError('billing store did not answer in time');
  if (code === '57014' || code === '55P03') {
    // query_canceled (statement_timeout) or lock_not_available (lock_timeout)
    return new BillingStoreTimeoutError(`billing store statement timed out (SQLSTATE ${code})`);
  }

  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new BillingStoreUnavailableError(`billing store unreachable (${code})`);
  }
  if (
    code !== undefined &&
    (/^(08|28|53)/.test(code) || ['57P01', '57P02', '57P03', '3D000'].includes(code))
  ) {
    // connection exception, auth failure, out of resources (too many connections), shutdown, no such database
    return new BillingStoreUnavailableError(`billing store unavailable (SQLSTATE ${code})`);
  }
  if (
    message.startsWith('Connection terminated') ||
    message === 'timeout expired' ||
    message.includes('Cannot use a pool after calling end') ||
    message.includes('Client was closed and is not queryable')
  ) {
    return new BillingStoreUnavailableError('billing store unreachable (connection failed)');
  }
  return new BillingStoreError(`billing store query failed${code ? ` (SQLSTATE ${code})` : ''}`);
}
