import { Client } from 'pg';
import { SQL_PROFILES } from '@checkout-lab/config';
import { createTestDatabase } from '@checkout-lab/testing';
import { freePort } from '@checkout-lab/embedded';
import { describeBillingAddressStoreContract } from './billing-address-store.contract';
import type { BillingAddressInput } from './billing-address.store';
import {
  BillingStoreCancelledError,
  BillingStoreError,
  BillingStoreTimeoutError,
  BillingStoreUnavailableError,
} from './billing-store.errors';
import { PostgresBillingAddressStore } from './postgres.billing-address.store';
import { applySqlProfile, migrateBillingSchema } from './postgres.schema';

async function migratedDatabase(): Promise<string> {
  const url = await createTestDatabase('billing_store');
  await migrateBillingSchema(url);
  return url;
}

for (const profile of SQL_PROFILES) {
  describeBillingAddressStoreContract(`PostgresBillingAddressStore (${profile})`, async () => {
    const url = await migratedDatabase();
    await applySqlProfile(url, profile);
    return new PostgresBillingAddressStore({ connectionString: url, profile });
  });
}

const input = (addressId: string, override: Partial<BillingAddressInput> = {}): BillingAddressInput => ({
  addressId,
  userId: 'user-sql',
  name: 'Grace Hopper',
  email: 'grace@example.com',
  line1: '1 Navy Way',
  line2: '',
  city: 'Arlington',
  state: 'VA',
  postalCode: '22202',
  country: 'US',
  isDefault: true,
  ...override,
});

describe('PostgresBillingAddressStore', () => {
  let url: string;
  let admin: Client;

  beforeAll(async () => {
    url = await migratedDatabase();
    admin = new Client({ connectionString: url });
    await admin.connect();
  });

  afterAll(async () => {
    await admin.end();
  });

  it('reports its kind and profile', async () => {
    const store = new PostgresBillingAddressStore({ connectionString: url, profile: 'indexed' });
    expect([store.kind, store.profile]).toEqual(['sql', 'indexed']);
    await store.close();
  });

  it('leaves exactly one row after concurrent upserts of one addressId', async () => {
    const store = new PostgresBillingAddressStore({ connectionString: url, profile: 'legacy', poolMax: 4 });
    await Promise.all(Array.from({ length: 16 }, (_, i) => store.put(input('addr-race', { name: `Writer ${i}` }))));
    await store.close();

    const { rows } = await admin.query<{ count: string }>(
      "SELECT count(*) FROM billing_addresses WHERE address_id = 'addr-race'",
    );
    expect(rows[0]?.count).toBe('1');
  });

  it('fails with BillingStoreUnavailableError when the server is unreachable', async () => {
    const closed = `postgres://lab:lab@127.0.0.1:${await freePort()}/nowhere`;
    const store = new PostgresBillingAddressStore({ connectionString: closed, profile: 'legacy', connectionTimeoutMillis: 1000 });

    await expect(store.getCurrent('user-1')).rejects.toBeInstanceOf(BillingStoreUnavailableError);
    await expect(store.put(input('addr-unreachable'))).rejects.toBeInstanceOf(BillingStoreUnavailableError);
    await store.close();
  });

  it('names the unreachable server (without credentials) when migrating', async () => {
    const port = await freePort();
    const error = await migrateBillingSchema(`postgres://lab:s3cret@127.0.0.1:${port}/nowhere`).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(BillingStoreUnavailableError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('fails with BillingStoreTimeoutError when a statement outlives statement_timeout', async () => {
    const store = new PostgresBillingAddressStore({ connectionString: url, profile: 'legacy', statementTimeoutMs: 300 });
    await store.put(input('addr-locked'));
    // Another session holds the table; the lookup waits for it until the statement timeout.
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE billing_addresses IN ACCESS EXCLUSIVE MODE');
    try {
      await expect(store.getCurrent('user-sql')).rejects.toBeInstanceOf(BillingStoreTimeoutError);
    } finally {
      await admin.query('ROLLBACK');
    }
    await expect(store.getCurrent('user-sql')).resolves.toMatchObject({ addressId: 'addr-locked' });
    await store.close();
  });

  it('fails with BillingStoreTimeoutError when no pooled connection comes free in time', async () => {
    const store = new PostgresBillingAddressStore({
      connectionString: url,
      profile: 'legacy',
      poolMax: 1,
      connectionTimeoutMillis: 200,
      statementTimeoutMs: 5000,
    });
    await store.put(input('addr-busy'));
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE billing_addresses IN ACCESS EXCLUSIVE MODE');
    // The first lookup holds the pool's only connection while it waits on the lock...
    const holding = store.getCurrent('user-sql');
    // ...so the second one cannot get a connection at all.
    const starved = await store.getCurrent('user-sql').catch((caught: unknown) => caught);
    await admin.query('ROLLBACK');

    expect(starved).toBeInstanceOf(BillingStoreTimeoutError);
    await expect(holding).resolves.toMatchObject({ addressId: 'addr-busy' });
    await store.close();
  });

  it('drops a lookup whose caller gave up while it waited for a connection, without running it', async () => {
    const store = new PostgresBillingAddressStore({ connectionString: url, profile: 'legacy', poolMax: 1, statementTimeoutMs: 5000 });
    await store.put(input('addr-gone'));
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE billing_addresses IN ACCESS EXCLUSIVE MODE');
    // The first lookup holds the pool's only connection while it waits on the lock...
    const holding = store.getCurrent('user-sql');
    // ...the second waits for that connection, and its caller gives up meanwhile.
    const caller = new AbortController();
    const abandoned = store.getCurrent('user-sql', { signal: caller.signal }).catch((caught: unknown) => caught);
    await new Promise((resolve) => setTimeout(resolve, 100));
    caller.abort();
    await admin.query('ROLLBACK');

    expect(await abandoned).toBeInstanceOf(BillingStoreCancelledError);
    await expect(holding).resolves.toMatchObject({ addressId: 'addr-gone' });
    // A caller that has already gone never takes a connection; a live one is served as before.
    const gone = AbortSignal.abort();
    await expect(store.getCurrent('user-sql', { signal: gone })).rejects.toBeInstanceOf(BillingStoreCancelledError);
    await expect(store.getCurrent('user-sql', { signal: new AbortController().signal })).resolves.toMatchObject({ addressId: 'addr-gone' });
    await store.close();
  });

  it('never passes a driver error on: a missing table becomes a BillingStoreError quoting only the SQLSTATE', async () => {
    const empty = await createTestDatabase('billing_store_empty');
    const store = new PostgresBillingAddressStore({ connectionString: empty, profile: 'legacy' });
    const error = await store.getCurrent('user-1').catch((caught: unknown) => caught);
    await store.close();

    expect(error).toBeInstanceOf(BillingStoreError);
    expect((error as Error).message).toBe('billing store query failed (SQLSTATE 42P01)');
    expect(error).not.toHaveProperty('cause');
  });

  it('is closed once closed: close twice is fine, queries fail as unavailable', async () => {
    const store = new PostgresBillingAddressStore({ connectionString: url, profile: 'legacy' });
    await store.getCurrent('user-sql');
    await store.close();
    await store.close();
    await expect(store.getCurrent('user-sql')).rejects.toBeInstanceOf(BillingStoreUnavailableError);
  });
});
