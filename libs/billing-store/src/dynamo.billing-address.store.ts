import { PutCommand, QueryCommand, type DynamoDBDocumentClient, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { BillingAddressStore, validateBillingAddressInput, validateUserId } from './billing-address.store';
import type { BillingAddress, BillingAddressInput } from './billing-address.store';
import { BillingStoreCancelledError, BillingStoreUnavailableError } from './billing-store.errors';
import {
  createDynamoClient,
  fromBillingItem,
  toBillingItem,
  toBillingStoreError,
  type DynamoConnection,
} from './dynamo.billing-table';

/**
 * The `dynamodb` adapter: billing addresses in a DynamoDB table keyed by user id (item shape in
 * dynamo.billing-table.ts). Works unchanged against dynalite, DynamoDB Local and AWS.
 *
 * - getCurrent: one strongly consistent Query on the user's item collection, default addresses
 *   only; the newest `updatedAt` wins (ties: the greater addressId, so every reader agrees).
 * - put: one PutItem of the whole item: concurrent writers of one address leave exactly one of
 *   their versions, never a mix. `updatedAt` is this process's clock, strictly increasing per
 *   store, so a later put always sorts after an earlier one.
 */
export class DynamoBillingAddressStore extends BillingAddressStore {
  readonly kind = 'dynamodb';
  readonly profile = 'dynamodb';
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private lastWriteMs = 0;
  private closed = false;

  constructor(connection: DynamoConnection) {
    super();
    this.table = connection.table;
    this.client = createDynamoClient(connection);
  }

  async getCurrent(userId: string, options: { signal?: AbortSignal } = {}): Promise<BillingAddress | null> {
    validateUserId(userId);
    // A key lookup does not queue on the server; a caller that has already gone gets nothing sent.
    if (options.signal?.aborted) throw new BillingStoreCancelledError('the caller gave up before the lookup started');
    let current: BillingAddress | null = null;
    let start: Record<string, NativeAttributeValue> | undefined;
    do {
      const query = new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'userId = :userId',
        FilterExpression: 'isDefault = :true',
        ExpressionAttributeValues: { ':userId': userId, ':true': true },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      });
      const page = await this.send((client) => client.send(query));
      for (const item of page.Items ?? []) {
        const address = fromBillingItem(item);
        if (current === null || isNewer(address, current)) current = address;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return current;
  }

  async ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (options.signal?.aborted) throw new BillingStoreCancelledError('the caller gave up before the ping started');
    // A key no address has: one cheap read.
    const query = new QueryCommand({ TableName: this.table, KeyConditionExpression: 'userId = :userId', ExpressionAttributeValues: { ':userId': '#readiness-ping' }, Limit: 1 });
    await this.send((client) => client.send(query));
  }

  async put(input: BillingAddressInput): Promise<BillingAddress> {
    const address: BillingAddress = { ...validateBillingAddressInput(input), updatedAt: this.nextTimestamp() };
    await this.send((client) => client.send(new PutCommand({ TableName: this.table, Item: toBillingItem(address) })));
    return address;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.client.destroy();
    }
    return Promise.resolve();
  }

  /** Runs one SDK call; its failures leave as domain errors. */
  private async send<T>(call: (client: DynamoDBDocumentClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new BillingStoreUnavailableError('billing store is closed');
    try {
      return await call(this.client);
    } catch (error) {
      throw toBillingStoreError(error);
    }
  }

  /** Now, or 1 ms after the previous write if the clock has not moved on (or went back). */
  private nextTimestamp(): Date {
    this.lastWriteMs = Math.max(Date.now(), this.lastWriteMs + 1);
    return new Date(this.lastWriteMs);
  }
}

function isNewer(a: BillingAddress, b: BillingAddress): boolean {
  const difference = a.updatedAt.getTime() - b.updatedAt.getTime();
  return difference > 0 || (difference === 0 && a.addressId > b.addressId);
}
