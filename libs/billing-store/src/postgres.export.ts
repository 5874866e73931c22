import { Client } from 'pg';
import type { BillingAddress } from './billing-address.store';
import { BillingStoreUnavailableError } from './billing-store.errors';
import { toBillingStoreError } from './postgres.billing-address.store';

const COLUMNS =
  'address_id, user_id, name, email, line1, line2, city, state, postal_code, country, is_default, updated_at';

interface Row {
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

/**
 * Reads every billing address of the SQL store in address-id order, a page at a time (keyset
 * paging on the unique address_id index: each page costs the same however far in). For the
 * SQL → DynamoDB migration and its verification.
 */
export class SqlBillingAddressReader {
  private constructor(private readonly client: Client) {}

  /** Connects; fails with BillingStoreUnavailableError naming the server when it cannot. */
  static async open(connectionString: string): Promise<SqlBillingAddressReader> {
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
    return new SqlBillingAddressReader(client);
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
        ? await this.query<Row>(`SELECT ${COLUMNS} FROM billing_addresses ORDER BY address_id LIMIT $1`, [limit])
        : await this.query<Row>(`SELECT ${COLUMNS} FROM billing_addresses WHERE address_id > $1 ORDER BY address_id LIMIT $2`, [
            afterAddressId,
            limit,
          ]);
    return rows.map((row) => ({
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
    }));
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
