import { Client } from 'pg';
import { createTestDatabase } from '@checkout-lab/testing';
import { PostgresBillingAddressStore } from './postgres.billing-address.store';
import { migrateBillingSchema } from './postgres.schema';
import { seedBillingAddresses } from './postgres.seed';

describe('seedBillingAddresses', () => {
  let url: string;
  let client: Client;

  const one = async <T extends object>(sql: string): Promise<T> => {
    const { rows } = await client.query<T>(sql);
    if (!rows[0]) throw new Error(`no row from ${sql}`);
    return rows[0];
  };
  const rowCount = async () => Number((await one<{ count: string }>('SELECT count(*) FROM billing_addresses')).count);
  /** A fingerprint of the data set's content (not of ids or created_at). */
  const fingerprint = async (db: Client = client) => {
    const { rows } = await db.query<{ md5: string }>(
      `SELECT md5(string_agg(concat_ws('|', address_id, user_id, name, email, line1, line2, city, state, postal_code,
         country, is_default, updated_at), ',' ORDER BY address_id)) AS md5 FROM billing_addresses`,
    );
    return rows[0]?.md5;
  };

  beforeAll(async () => {
    url = await createTestDatabase('billing_seed');
    await migrateBillingSchema(url);
    client = new Client({ connectionString: url });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
  });

  it('loads users user-1 … user-N with several addresses each, reporting progress', async () => {
    const progress: [number, number][] = [];
    const result = await seedBillingAddresses(url, {
      users: 600,
      addressesPerUser: 5,
      onProgress: (done, total) => progress.push([done, total]),
    });

    expect(result).toEqual({ rows: 3000, skipped: false });
    expect(await rowCount()).toBe(3000);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual([3000, 3000]);
    expect(progress.map(([done]) => done)).toEqual([...progress.map(([done]) => done)].sort((a, b) => a - b));

    const users = await one<{ users: string; min: number; max: number }>(
      `SELECT count(DISTINCT user_id) AS users, min(n) AS min, max(n) AS max
       FROM (SELECT user_id, substring(user_id from 6)::int AS n FROM billing_addresses) ids`,
    );
    expect(users).toEqual({ users: '600', min: 1, max: 600 });
  });

  it('makes "latest default wins" meaningful: every user has a default, many have several, and newer non-defaults exist', async () => {
    const stats = await one<{ without_default: string; several_defaults: string; newest_not_default: string }>(
      `WITH per_user AS (
         SELECT user_id,
                count(*) FILTER (WHERE is_default) AS defaults,
                max(updated_at) AS newest,
                max(updated_at) FILTER (WHERE is_default) AS newest_default
         FROM billing_addresses GROUP BY user_id)
       SELECT count(*) FILTER (WHERE defaults = 0) AS without_default,
              count(*) FILTER (WHERE defaults > 1) AS several_defaults,
              count(*) FILTER (WHERE newest > newest_default) AS newest_not_default
       FROM per_user`,
    );
    expect(Number(stats.without_default)).toBe(0);
    expect(Number(stats.several_defaults)).toBeGreaterThan(100);
    expect(Number(stats.newest_not_default)).toBeGreaterThan(100);

    // And the store finds exactly the newest default for a seeded user.
    const expected = await one<{ address_id: string }>(
      "SELECT address_id FROM billing_addresses WHERE user_id = 'user-7' AND is_default ORDER BY updated_at DESC LIMIT 1",
    );
    const store = new PostgresBillingAddressStore({ connectionString: url, profile: 'legacy' });
    const current = await store.getCurrent('user-7');
    await store.close();
    expect(current).toMatchObject({ addressId: expected.address_id, userId: 'user-7', isDefault: true });
  });

  it('is a no-op for the same size and reloads for another size', async () => {
    const original = await fingerprint();
    await client.query(
      "INSERT INTO billing_addresses (address_id, user_id, is_default, updated_at) VALUES ('extra', 'user-1', true, now())",
    );

    await expect(seedBillingAddresses(url, { users: 600, addressesPerUser: 5 })).resolves.toEqual({ rows: 3000, skipped: true });
    expect(await rowCount()).toBe(3001); // untouched, extra row included

    await expect(seedBillingAddresses(url, { users: 100, addressesPerUser: 3 })).resolves.toEqual({ rows: 300, skipped: false });
    expect(await rowCount()).toBe(300);
    expect(await one('SELECT users, addresses_per_user, row_count FROM billing_seed')).toEqual({
      users: 100,
      addresses_per_user: 3,
      row_count: '300',
    });

    // Deterministic: the first size again gives the very same data.
    await seedBillingAddresses(url, { users: 600, addressesPerUser: 5 });
    expect(await fingerprint()).toBe(original);
  });

  it('produces the same data set in another database', async () => {
    const other = await createTestDatabase('billing_seed_other');
    await migrateBillingSchema(other);
    await seedBillingAddresses(other, { users: 600, addressesPerUser: 5 });
    const otherClient = new Client({ connectionString: other });
    await otherClient.connect();
    try {
      expect(await fingerprint(otherClient)).toBe(await fingerprint());
    } finally {
      await otherClient.end();
    }
  });

  it('leaves the previous data in place when a reload fails half-way', async () => {
    const before = await fingerprint();
    const failing = seedBillingAddresses(url, {
      users: 5_000,
      addressesPerUser: 4,
      onProgress: (done, total) => {
        if (done > total / 2 && done < total) throw new Error('interrupted');
      },
    });

    await expect(failing).rejects.toThrow('interrupted');
    expect(await rowCount()).toBe(3000);
    expect(await fingerprint()).toBe(before);
    expect(await one('SELECT users, addresses_per_user FROM billing_seed')).toEqual({ users: 600, addresses_per_user: 5 });
  });

  it('rejects sizes that are not positive integers', async () => {
    await expect(seedBillingAddresses(url, { users: 0, addressesPerUser: 3 })).rejects.toThrow(RangeError);
    await expect(seedBillingAddresses(url, { users: 10, addressesPerUser: 1.5 })).rejects.toThrow(/addressesPerUser/);
  });
});
