import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  ScanCommand,
  type NativeAttributeValue,
} from '@aws-sdk/lib-dynamodb';
import type { BillingAddress } from './billing-address.store';
import {
  BillingStoreError,
  BillingStoreTimeoutError,
  BillingStoreUnavailableError,
  UNREACHABLE_CODES,
} from './billing-store.errors';

/*
 * The DynamoDB billing table (DYNAMODB_TABLE; @checkout-lab/config's DEFAULT_BILLING_TABLE unless set).
 *
 * Key: partition key `userId` (S), sort key `addressId` (S): one item per address, all of a
 * user's addresses in one item collection, so the lookup is one Query on the user id.
 * Item (every field of BillingAddress; empty strings are left out and read back as ''):
 *
 *   { userId: 'user-42', addressId: 'addr-42-1', name: 'Ada Lovelace', email: 'user-42@example.com',
 *     line1: '12 Main Street', line2?: 'Apt 3', city: 'London', state?: '', postalCode: 'SW1A 12',
 *     country: 'GB', isDefault: true, updatedAt: '2024-03-01T12:00:00.123Z' }
 *
 * `updatedAt` is an ISO-8601 UTC string with milliseconds (sorts as it reads). The current address
 * is the default one with the greatest `updatedAt`, as in the SQL store. An addressId is unique
 * within its user (the SQL store makes it unique across users; the lab never moves an address to
 * another user).
 */

/** Where the table is and how to reach it. Region and credentials default to the AWS chain. */
export interface DynamoConnection {
  table: string;
  /** E.g. http://127.0.0.1:8000 for dynalite or DynamoDB Local; absent = AWS's endpoint for the region. */
  endpoint?: string;
  /** Absent = the AWS chain (AWS_REGION, profile); with an endpoint and no region, `us-east-1`. */
  region?: string;
  /** Absent = the AWS default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Per-request timeout (ms). Default 2000. */
  requestTimeoutMs?: number;
  /** SDK attempts per request, retries (with the SDK's backoff) included. Default 3. */
  maxAttempts?: number;
}

/** A DynamoDB document client for `connection`. Call `.destroy()` when done. */
export function createDynamoClient(connection: DynamoConnection): DynamoDBDocumentClient {
  const config: DynamoDBClientConfig = {
    maxAttempts: connection.maxAttempts ?? 3,
    requestHandler: {
      requestTimeout: connection.requestTimeoutMs ?? 2_000,
      connectionTimeout: Math.min(connection.requestTimeoutMs ?? 2_000, 2_000),
    },
  };
  if (connection.endpoint) config.endpoint = connection.endpoint;
  if (connection.region) config.region = connection.region;
  else if (connection.endpoint) config.region = 'us-east-1'; // a local server still needs one for signing
  if (connection.credentials) config.credentials = connection.credentials;
  return DynamoDBDocumentClient.from(new DynamoDBClient(config));
}

/**
 * Creates the billing table unless it exists (on-demand capacity), and waits until it is ACTIVE.
 * Idempotent and safe to race. Fails with BillingStoreUnavailableError naming the endpoint when
 * DynamoDB cannot be reached or the table cannot be created.
 */
export async function ensureBillingTable(connection: DynamoConnection, options: { timeoutMs?: number } = {}): Promise<void> {
  const client = createDynamoClient(connection);
  const where = describeEndpoint(connection);
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    let status = await tableStatus(client, connection.table, where);
    if (status === undefined) {
      try {
        await client.send(
          new CreateTableCommand({
            TableName: connection.table,
            AttributeDefinitions: [
              { AttributeName: 'userId', AttributeType: 'S' },
              { AttributeName: 'addressId', AttributeType: 'S' },
            ],
            KeySchema: [
              { AttributeName: 'userId', KeyType: 'HASH' },
              { AttributeName: 'addressId', KeyType: 'RANGE' },
            ],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } catch (error) {
        // Another starter created it first: that is the outcome we wanted.
        if (errorName(error) !== 'ResourceInUseException') {
          throw withContext(toBillingStoreError(error), `cannot create DynamoDB table ${connection.table} at ${where}`);
        }
      }
      status = await tableStatus(client, connection.table, where);
    }
    while (status !== 'ACTIVE') {
      if (Date.now() > deadline) {
        throw new BillingStoreUnavailableError(`DynamoDB table ${connection.table} at ${where} is not ACTIVE (${status ?? 'missing'})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = await tableStatus(client, connection.table, where);
    }
  } finally {
    client.destroy();
  }
}

/** The table's status, or undefined when it does not exist. */
async function tableStatus(client: DynamoDBDocumentClient, table: string, where: string): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    return Table?.TableStatus ?? 'UNKNOWN';
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw withContext(toBillingStoreError(error), `DynamoDB at ${where}`);
  }
}

/** The item stored for an address (see the table description above). */
export function toBillingItem(address: BillingAddress): Record<string, NativeAttributeValue> {
  const item: Record<string, NativeAttributeValue> = {
    userId: address.userId,
    addressId: address.addressId,
    isDefault: address.isDefault,
    updatedAt: address.updatedAt.toISOString(),
  };
  for (const field of TEXT_FIELDS) {
    if (address[field] !== '') item[field] = address[field];
  }
  return item;
}

/** The address an item holds. */
export function fromBillingItem(item: Record<string, NativeAttributeValue>): BillingAddress {
  const text = (field: string): string => (typeof item[field] === 'string' ? (item[field] as string) : '');
  return {
    addressId: text('addressId'),
    userId: text('userId'),
    name: text('name'),
    email: text('email'),
    line1: text('line1'),
    line2: text('line2'),
    city: text('city'),
    state: text('state'),
    postalCode: text('postalCode'),
    country: text('country'),
    isDefault: item['isDefault'] === true,
    updatedAt: new Date(text('updatedAt')),
  };
}

const TEXT_FIELDS = ['name', 'email', 'line1', 'line2', 'city', 'state', 'postalCode', 'country'] as const;

/** Most items one BatchWriteItem takes. */
export const BATCH_WRITE_MAX = 25;
/** Most keys one BatchGetItem takes. */
export const BATCH_GET_MAX = 100;

/**
 * One BatchWriteItem of at most 25 addresses (their `updatedAt` kept as given). Resolves with the
 * addresses DynamoDB did not process (throttled, to be retried by the caller).
 */
export async function writeBillingBatch(
  client: DynamoDBDocumentClient,
  table: string,
  addresses: readonly BillingAddress[],
): Promise<BillingAddress[]> {
  if (addresses.length === 0) return [];
  if (addresses.length > BATCH_WRITE_MAX) throw new RangeError(`at most ${BATCH_WRITE_MAX} items per batch`);
  try {
    const { UnprocessedItems } = await client.send(
      new BatchWriteCommand({
        RequestItems: { [table]: addresses.map((address) => ({ PutRequest: { Item: toBillingItem(address) } })) },
      }),
    );
    return (UnprocessedItems?.[table] ?? []).flatMap((request) =>
      request.PutRequest?.Item ? [fromBillingItem(request.PutRequest.Item)] : [],
    );
  } catch (error) {
    throw toBillingStoreError(error);
  }
}

/**
 * The stored addresses for up to 100 (userId, addressId) keys, with unprocessed keys retried;
 * keys without an item are absent from the result.
 */
export async function readBillingBatch(
  client: DynamoDBDocumentClient,
  table: string,
  keys: readonly { userId: string; addressId: string }[],
): Promise<BillingAddress[]> {
  if (keys.length > BATCH_GET_MAX) throw new RangeError(`at most ${BATCH_GET_MAX} keys per batch`);
  const found: BillingAddress[] = [];
  let pending: Record<string, NativeAttributeValue>[] = keys.map(({ userId, addressId }) => ({ userId, addressId }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) await sleep(backoffMs(attempt));
    if (attempt > 10) throw new BillingStoreUnavailableError('billing store kept throttling reads (BatchGetItem)');
    try {
      const { Responses, UnprocessedKeys } = await client.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[table] ?? []) found.push(fromBillingItem(item));
      pending = UnprocessedKeys?.[table]?.Keys ?? [];
    } catch (error) {
      throw toBillingStoreError(error);
    }
  }
  return found;
}

/** Number of items in the table (a paginated Scan with Select COUNT). */
export async function countBillingItems(client: DynamoDBDocumentClient, table: string): Promise<number> {
  let count = 0;
  let start: Record<string, NativeAttributeValue> | undefined;
  try {
    do {
      const page = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }));
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
  } catch (error) {
    throw toBillingStoreError(error);
  }
  return count;
}

/** Exponential backoff with full jitter: a random wait in [0, min(cap, base·2^attempt)). */
export function backoffMs(attempt: number, { baseMs = 50, capMs = 5_000 } = {}): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The SDK error names that mean DynamoDB is there but too busy for this request. */
const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

/** True for a DynamoDB throttling error (as thrown by the SDK or translated by toBillingStoreError). */
export function isThrottling(error: unknown): boolean {
  return THROTTLING.has(errorName(error) ?? '') || (error instanceof BillingStoreUnavailableError && error.message.includes('throttled'));
}

/**
 * Translates whatever the AWS SDK threw into a domain error. Messages carry the SDK's error name
 * at most, never its text (a ValidationException can quote item values).
 */
export function toBillingStoreError(error: unknown): BillingStoreError {
  if (error instanceof BillingStoreError) return error;
  const name = errorName(error);
  const code =
    typeof (error as { code?: unknown })?.code === 'string'
      ? (error as { code: string }).code
      : // The SDK's retry step re-wraps a socket error from another realm (a Jest sandbox) as text.
        /\b(E[A-Z]{4,})\b/.exec(error instanceof Error ? error.message : '')?.[1];

  if (name !== undefined && THROTTLING.has(name)) return new BillingStoreUnavailableError(`billing store throttled (${name})`);
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'RequestTimeoutException' || code === 'ETIMEDOUT') {
    return new BillingStoreTimeoutError('billing store did not answer in time');
  }
  if (name === 'AbortError') return new BillingStoreTimeoutError('billing store request was aborted');
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return new BillingStoreUnavailableError(`billing store unreachable (${code})`);
  if (name === 'ResourceNotFoundException') return new BillingStoreUnavailableError('billing store table not found (ResourceNotFoundException)');
  if (
    name === 'InternalServerError' ||
    name === 'ServiceUnavailable' ||
    name === 'ServiceUnavailableException' ||
    name === 'CredentialsProviderError' ||
    name === 'UnrecognizedClientException' ||
    name === 'InvalidSignatureException' ||
    name === 'AccessDeniedException'
  ) {
    return new BillingStoreUnavailableError(`billing store unavailable (${name})`);
  }
  return new BillingStoreError(`billing store request failed${name && name !== 'Error' ? ` (${name})` : ''}`);
}

function errorName(error: unknown): string | undefined {
  return typeof (error as { name?: unknown })?.name === 'string' ? (error as { name: string }).name : undefined;
}

function withContext(error: BillingStoreError, context: string): BillingStoreError {
  const Kind = error.constructor as new (message: string) => BillingStoreError;
  return new Kind(`${context}: ${error.message}`);
}

/** The endpoint as a user would name it. */
export function describeEndpoint(connection: Pick<DynamoConnection, 'endpoint' | 'region'>): string {
  return connection.endpoint ?? `AWS DynamoDB${connection.region ? ` (${connection.region})` : ''}`;
}
