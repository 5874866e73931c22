import { randomUUID } from 'node:crypto';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  BillingStoreUnavailableError,
  countBillingItems,
  createDynamoClient,
  DynamoBillingAddressStore,
  migrateBillingSchema,
  PostgresBillingAddressStore,
  seedBillingAddresses,
  type DynamoConnection,
} from '@checkout-lab/billing-store';
import { freePort } from '@checkout-lab/embedded';
import { createTestDatabase, testDynamoEndpoint } from '@checkout-lab/testing';
import { backfillBillingToDynamo, BackfillInterruptedError, mismatchReport } from '../src';

const credentials = { accessKeyId: 'lab', secretAccessKey: 'lab' };

async function seededSource(users: number, addressesPerUser: number): Promise<string> {
  const url = await createTestDatabase('backfill');
  await migrateBillingSchema(url);
  await seedBillingAddresses(url, { users, addressesPerUser });
  return url;
}

function target(): DynamoConnection {
  return { table: `billing_${randomUUID()}`, endpoint: testDynamoEndpoint(), credentials };
}

async function itemCount(connection: DynamoConnection): Promise<number> {
  const client = createDynamoClient(connection);
  try {
    return await countBillingItems(client, connection.table);
  } finally {
    client.destroy();
  }
}

describe('backfillBillingToDynamo (SQL → DynamoDB backfill)', () => {
  it('copies every address with its fields and updatedAt, verifies them, and a second run copies nothing and verifies again', async () => {
    const sourceUrl = await seededSource(300, 3);
    const to = target();
    const progress: number[] = [];

    const first = await backfillBillingToDynamo({ sourceUrl, target: to, pageSize: 100, onCopyProgress: (done) => progress.push(done) });
    expect(first).toMatchObject({ total: 900, copied: 900, resumedAt: 0 });
    expect(first.verify).toMatchObject({ ok: true, sourceRows: 900, targetItems: 900, checked: 900, mismatchCount: 0 });
    expect(progress.at(-1)).toBe(900);
    expect(await itemCount(to)).toBe(900);

    // What the service would answer is the same on both sides.
    const sql = new PostgresBillingAddressStore({ connectionString: sourceUrl, profile: 'legacy' });
    const dynamo = new DynamoBillingAddressStore(to);
    for (const user of ['user-1', 'user-150', 'user-300']) {
      expect(await dynamo.getCurrent(user)).toEqual(await sql.getCurrent(user));
    }
    await Promise.all([sql.close(), dynamo.close()]);

    const second = await backfillBillingToDynamo({ sourceUrl, target: to, pageSize: 100 });
    expect(second).toMatchObject({ total: 900, copied: 0, resumedAt: 900 });
    expect(second.verify?.ok).toBe(true);
  });

  it('resumes an interrupted copy from its checkpoint: no address lost, none duplicated', async () => {
    const sourceUrl = await seededSource(1_000, 4);
    const to = target();
    const abort = new AbortController();

    const interrupted = await backfillBillingToDynamo({
      sourceUrl,
      target: to,
      pageSize: 250,
      concurrency: 2,
      signal: abort.signal,
      onCopyProgress: (done) => {
        if (done >= 1_600) abort.abort();
      },
    }).catch((caught: unknown) => caught);
    expect(interrupted).toBeInstanceOf(BackfillInterruptedError);
    const partial = await itemCount(to);
    expect(partial).toBeGreaterThanOrEqual(1_600);
    expect(partial).toBeLessThan(4_000);

    const resumed = await backfillBillingToDynamo({ sourceUrl, target: to, pageSize: 250 });
    expect(resumed.resumedAt).toBeGreaterThan(0);
    expect(resumed.resumedAt).toBeLessThanOrEqual(partial);
    expect(resumed.resumedAt + resumed.copied).toBe(4_000);
    expect(resumed.verify).toMatchObject({ ok: true, sourceRows: 4_000, targetItems: 4_000, mismatchCount: 0 });
    expect(await itemCount(to)).toBe(4_000);
  });

  it('reports a corrupted and a missing item by user id, address id and field', async () => {
    const sourceUrl = await seededSource(50, 2);
    const to = target();
    await backfillBillingToDynamo({ sourceUrl, target: to });

    const client = createDynamoClient(to);
    await client.send(
      new UpdateCommand({
        TableName: to.table,
        Key: { userId: 'user-7', addressId: 'addr-7-1' },
        UpdateExpression: 'SET city = :city, isDefault = :flipped',
        ExpressionAttributeValues: { ':city': 'Atlantis', ':flipped': 'yes' },
      }),
    );
    await client.send(new DeleteCommand({ TableName: to.table, Key: { userId: 'user-12', addressId: 'addr-12-0' } }));
    client.destroy();

    const result = await backfillBillingToDynamo({ sourceUrl, target: to });
    expect(result.copied).toBe(0);
    expect(result.verify).toMatchObject({ ok: false, sourceRows: 100, targetItems: 99, mismatchCount: 2 });
    expect(result.verify?.mismatches).toEqual([
      { userId: 'user-12', addressId: 'addr-12-0', fields: 'missing' },
      { userId: 'user-7', addressId: 'addr-7-1', fields: ['city', 'isDefault'] },
    ]);
    if (!result.verify) throw new Error('expected a verification result');
    const report = mismatchReport(result.verify);
    expect(report).toContain('count differs: SQL has 100 addresses, DynamoDB 99 items');
    expect(report).toContain('user-7  addr-7-1  differs in city, isDefault');
    expect(report).not.toContain('Atlantis');
  });

  it('refuses to start, naming the server, when DynamoDB or SQL is unreachable', async () => {
    const sourceUrl = await seededSource(10, 1);
    const deadEndpoint = `http://127.0.0.1:${await freePort()}`;
    const noDynamo = await backfillBillingToDynamo({ sourceUrl, target: { ...target(), endpoint: deadEndpoint } }).catch(
      (caught: unknown) => caught,
    );
    expect(noDynamo).toBeInstanceOf(BillingStoreUnavailableError);
    expect((noDynamo as Error).message).toContain(deadEndpoint);

    const deadPort = await freePort();
    const noSql = await backfillBillingToDynamo({ sourceUrl: `postgres://lab:lab@127.0.0.1:${deadPort}/billing`, target: target() }).catch(
      (caught: unknown) => caught,
    );
    expect(noSql).toBeInstanceOf(BillingStoreUnavailableError);
    expect((noSql as Error).message).toContain(`127.0.0.1:${deadPort}`);
  });
});
