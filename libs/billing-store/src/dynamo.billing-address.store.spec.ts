import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { freePort } from '@checkout-lab/embedded';
import { testDynamoEndpoint } from '@checkout-lab/testing';
import { createBillingAddressStore, prepareBillingStore } from './billing-address-store.factory';
import { describeBillingAddressStoreContract } from './billing-address-store.contract';
import type { BillingAddressInput } from './billing-address.store';
import {
  BillingStoreError,
  BillingStoreTimeoutError,
  BillingStoreUnavailableError,
} from './billing-store.errors';
import { DynamoBillingAddressStore } from './dynamo.billing-address.store';
import { createDynamoClient, ensureBillingTable, isThrottling, toBillingStoreError } from './dynamo.billing-table';

const credentials = { accessKeyId: 'lab', secretAccessKey: 'lab' };

function connection(table = `billing_${randomUUID()}`) {
  return { table, endpoint: testDynamoEndpoint(), credentials };
}

describeBillingAddressStoreContract('DynamoBillingAddressStore (dynalite)', async () => {
  const where = connection();
  await ensureBillingTable(where);
  return new DynamoBillingAddressStore(where);
});

const input = (addressId: string, override: Partial<BillingAddressInput> = {}): BillingAddressInput => ({
  addressId,
  userId: 'user-dynamo',
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

describe('DynamoBillingAddressStore', () => {
  it('is chosen by the factory for kind "dynamodb", whose prepare step creates the table', async () => {
    const where = connection();
    await prepareBillingStore({ kind: 'dynamodb', ...where });
    await prepareBillingStore({ kind: 'dynamodb', ...where }); // idempotent
    const store = createBillingAddressStore({ kind: 'dynamodb', ...where });
    expect(store).toBeInstanceOf(DynamoBillingAddressStore);
    expect([store.kind, store.profile]).toEqual(['dynamodb', 'dynamodb']);
    await store.put(input('addr-factory'));
    await expect(store.getCurrent('user-dynamo')).resolves.toMatchObject({ addressId: 'addr-factory' });
    await store.close();
  });

  it('stores one item per address, keyed by user id and address id, in the documented shape', async () => {
    const where = connection();
    await ensureBillingTable(where);
    const store = new DynamoBillingAddressStore(where);
    const stored = await store.put(input('addr-shape', { line2: '', state: '' }));
    await store.close();

    const client = createDynamoClient(where);
    const { Item } = await client.send(new GetCommand({ TableName: where.table, Key: { userId: 'user-dynamo', addressId: 'addr-shape' } }));
    const { Table } = await client.send(new DescribeTableCommand({ TableName: where.table }));
    client.destroy();

    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'userId', KeyType: 'HASH' },
      { AttributeName: 'addressId', KeyType: 'RANGE' },
    ]);
    expect(Item).toEqual({
      userId: 'user-dynamo',
      addressId: 'addr-shape',
      name: 'Grace Hopper',
      email: 'grace@example.com',
      line1: '1 Navy Way',
      city: 'Arlington',
      state: undefined,
      postalCode: '22202',
      country: 'US',
      isDefault: true,
      updatedAt: stored.updatedAt.toISOString(),
    });
  });

  it('creates the table once when several starters race', async () => {
    const where = connection();
    await Promise.all([ensureBillingTable(where), ensureBillingTable(where), ensureBillingTable(where)]);
    const store = new DynamoBillingAddressStore(where);
    await expect(store.getCurrent('nobody')).resolves.toBeNull();
    await store.close();
  });

  it('fails with BillingStoreUnavailableError when DynamoDB is unreachable, naming the endpoint on prepare', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const where = { table: 'billing_addresses', endpoint, credentials, maxAttempts: 1 };
    const store = new DynamoBillingAddressStore(where);

    await expect(store.getCurrent('user-1')).rejects.toBeInstanceOf(BillingStoreUnavailableError);
    await expect(store.put(input('addr-unreachable'))).rejects.toBeInstanceOf(BillingStoreUnavailableError);
    await store.close();

    const error = await ensureBillingTable(where).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BillingStoreUnavailableError);
    expect((error as Error).message).toContain(endpoint);
  });

  it('reports a missing table as BillingStoreUnavailableError, not an SDK error', async () => {
    const where = connection();
    await ensureBillingTable(where);
    const client = createDynamoClient(where);
    await client.send(new DeleteTableCommand({ TableName: where.table }));
    client.destroy();

    const store = new DynamoBillingAddressStore(where);
    const error = await store.getCurrent('user-1').catch((caught: unknown) => caught);
    await store.close();
    expect(error).toBeInstanceOf(BillingStoreUnavailableError);
    expect((error as Error).message).toBe('billing store table not found (ResourceNotFoundException)');
  });

  it('is closed once closed: close twice is fine, calls fail as unavailable', async () => {
    const where = connection();
    await ensureBillingTable(where);
    const store = new DynamoBillingAddressStore(where);
    await store.close();
    await store.close();
    await expect(store.getCurrent('user-1')).rejects.toBeInstanceOf(BillingStoreUnavailableError);
  });
});

describe('toBillingStoreError (DynamoDB)', () => {
  const sdkError = (name: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(`${name}: item {"name":"Ada Lovelace"} is bad`), { name, ...extra });

  it.each([
    ['ThrottlingException', BillingStoreUnavailableError, 'billing store throttled (ThrottlingException)'],
    ['ProvisionedThroughputExceededException', BillingStoreUnavailableError, 'billing store throttled (ProvisionedThroughputExceededException)'],
    ['ResourceNotFoundException', BillingStoreUnavailableError, 'billing store table not found (ResourceNotFoundException)'],
    ['TimeoutError', BillingStoreTimeoutError, 'billing store did not answer in time'],
    ['InternalServerError', BillingStoreUnavailableError, 'billing store unavailable (InternalServerError)'],
    ['ValidationException', BillingStoreError, 'billing store request failed (ValidationException)'],
  ])('maps %s to a domain error that does not quote the SDK message', (name, kind, message) => {
    const translated = toBillingStoreError(sdkError(name));
    expect(translated).toBeInstanceOf(kind);
    expect(translated.message).toBe(message);
    expect(translated.message).not.toContain('Ada');
  });

  it('maps socket errors to BillingStoreUnavailableError and recognises throttling', () => {
    expect(toBillingStoreError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(
      BillingStoreUnavailableError,
    );
    expect(isThrottling(sdkError('ThrottlingException'))).toBe(true);
    expect(isThrottling(toBillingStoreError(sdkError('ProvisionedThroughputExceededException')))).toBe(true);
    expect(isThrottling(sdkError('ValidationException'))).toBe(false);
  });
});
