import { Client } from 'pg';
import type { BillingAddress } from './billing-address.store';
import { BillingStoreUnavailableError } from './billing-store.errors';
import { COLUMNS, toBillingAddress, toBillingStoreError, type BillingAddressRow } from './postgres.billing-address.store';

/**
 * Reads every billing address of the SQL store in address-id order, a page at a time (keyset
 * paging on the unique address_id index: each page costs the same however far in). For the
 * SQL → DynamoDB backfill (libs/backfill) and its verification.
 */
export class PostgresBillingAddressReader {
  private constructor(private readonly client: Client) {}

  /** Connects; fails with BillingStoreUnavailableError naming the server when it cannot. */
  static async open(connectionString: string): Promise<PostgresBillingAddressReader> {
    const client = new Client({ connectionString, connectionTimeoutMillis: 10_000, application_name: 'billing-migrate' });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      const url = URL.canParse(connectionString) ? new URL(connectionString) : undefined;
      const where = url ? `${url.hostname}:${url.port || 5432}${url.pathname}` : '(unparseable database URL)';
      throw new BillingStoreUnavailableError(`${toBillingStoreError(error).message} at ${where}`);
    }
    return new PostgresBillingAddressReader(client);
  }

  /** Addresses in the store (all users, default or not). */
  async count(): Promise<number> {
    const { rows } = await this.query<{ count: string }>('SELECT count(*) AS count FROM billing_addresses', []);
    return Number(rows[0]?.count ?? 0);
  }

  /** Addresses whose id sorts at or before `addressId` (how far a resumed copy already is). */
  async countThrough(addressId: string): Promise<number> {
    const { rows } = await this.query<{ count: string }>('SELECT count(*) AS count FROM billing_addresses WHERE address_id <= $1', [addressId]);
    return Number(rows[0]?.count ?? 0);
  }

  /** The next `limit` addresses after `afterAddressId` (from the start when null), in address-id order. */
  async page(afterAddressId: string | null, limit: number): Promise<BillingAddress[]> {
    const { rows } =
      afterAddressId === null
        ? await this.query<BillingAddressRow>(`SELECT ${COLUMNS} FROM billing_addresses ORDER BY address_id LIMIT $1`, [limit])
        : await this.query<BillingAddressRow>(`SELECT ${COLUMNS} FROM billing_addresses WHERE address_id > $1 ORDER BY address_id LIMIT $2`, [
            afterAddressId,
            limit,
          ]);
    return rows.map(toBillingAddress);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private async query<R extends object>(text: string, values: unknown[]): Promise<{ rows: R[] }> {
    try {
      return await this.client.query<R & Record<string, unknown>>(text, values);
    } catch (error) {
      throw toBillingStoreError(error);
    }
  }
}
