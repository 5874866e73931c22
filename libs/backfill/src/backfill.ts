import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BATCH_GET_MAX,
  BATCH_WRITE_MAX,
  BillingStoreUnavailableError,
  PostgresBillingAddressReader,
  backoffMs,
  countBillingItems,
  createDynamoClient,
  describeEndpoint,
  ensureBillingTable,
  isThrottling,
  readBillingBatch,
  writeBillingBatch,
  type BillingAddress,
  type DynamoConnection,
} from '@checkout-lab/billing-store';

/**
 * The SQL → DynamoDB backfill of billing addresses.
 *
 * Copy: every address of the SQL store (all users, default or not, `updatedAt` kept), read in
 * address-id order with keyset paging, written with BatchWriteItem (25 items), a few batches in
 * flight; unprocessed items and throttled batches are retried with exponential backoff and full
 * jitter. After each page is fully acknowledged, a checkpoint (the page's last address id) is
 * written to the `<table>_migration` table, next to the data it describes: an interrupted run
 * (Ctrl-C, crash) resumes after the checkpoint. Writes are puts by key, so re-copying the
 * partly-written page after a crash neither loses nor duplicates anything.
 *
 * Verify: the counts on both sides, then every SQL address read back from DynamoDB (BatchGetItem,
 * strongly consistent) and compared field by field.
 */
export interface BackfillOptions {
  /** The SQL store (the legacy billing database). */
  sourceUrl: string;
  target: DynamoConnection;
  /** SQL rows per page (and per checkpoint). Default 1000. */
  pageSize?: number;
  /** BatchWriteItem calls in flight. Default 4. */
  concurrency?: number;
  /** Ignore the checkpoint and copy everything again. */
  restart?: boolean;
  /** Verification pass: always (default), never, or only when this run copied something. */
  verify?: boolean | 'if-copied';
  /** Stops the copy between batches; the run then rejects with BackfillInterruptedError. */
  signal?: AbortSignal;
  onCopyProgress?(done: number, total: number): void;
  onVerifyProgress?(done: number, total: number): void;
}

export interface Mismatch {
  userId: string;
  addressId: string;
  /** The fields that differ, or `missing` when DynamoDB has no item for the address. */
  fields: string[] | 'missing';
}

export interface VerifyResult {
  ok: boolean;
  sourceRows: number;
  targetItems: number;
  checked: number;
  mismatchCount: number;
  /** The first 1000 mismatches. */
  mismatches: Mismatch[];
}

export interface BackfillResult {
  /** Addresses in the SQL store. */
  total: number;
  /** Addresses written by this run. */
  copied: number;
  /** Addresses a previous, interrupted run had already copied (0 for a fresh start). */
  resumedAt: number;
  copySeconds: number;
  verify?: VerifyResult & { seconds: number };
}

/** The copy was stopped through `signal`; the checkpoint holds everything acknowledged so far. */
export class BackfillInterruptedError extends Error {
  constructor(readonly copied: number) {
    super(`migration interrupted after ${copied.toLocaleString('en-US')} addresses; run it again to resume`);
    this.name = 'BackfillInterruptedError';
  }
}

const CHECKPOINT_ID = 'sql-to-dynamodb';
const MAX_ATTEMPTS = 12;

interface Checkpoint {
  lastAddressId: string;
}

/**
 * Copies and verifies. Refuses to start (BillingStoreUnavailableError with a clear message) when
 * either side is unreachable or the table is missing and cannot be created.
 */
export async function backfillBillingToDynamo(options: BackfillOptions): Promise<BackfillResult> {
  const pageSize = options.pageSize ?? 1_000;
  const concurrency = options.concurrency ?? 4;
  const reader = await PostgresBillingAddressReader.open(options.sourceUrl);
  const client = createDynamoClient({ ...options.target, maxAttempts: 1, requestTimeoutMs: options.target.requestTimeoutMs ?? 10_000 });
  try {
    await ensureBillingTable(options.target);
    const checkpoints = checkpointTable(options.target.table);
    await ensureCheckpointTable(client, checkpoints, describeEndpoint(options.target));

    const total = await reader.count();
    const checkpoint = options.restart ? undefined : await readCheckpoint(client, checkpoints);
    let after = checkpoint?.lastAddressId ?? null;
    const resumedAt = after === null ? 0 : await reader.countThrough(after);
    let done = resumedAt;
    let copied = 0;
    const startedAt = Date.now();
    options.onCopyProgress?.(done, total);

    for (;;) {
      const page = await reader.page(after, pageSize);
      if (page.length === 0) break;
      const chunks: BillingAddress[][] = [];
      for (let i = 0; i < page.length; i += BATCH_WRITE_MAX) chunks.push(page.slice(i, i + BATCH_WRITE_MAX));
      await inParallel(chunks, concurrency, async (chunk) => {
        if (options.signal?.aborted) throw new BackfillInterruptedError(done);
        await writeWithRetry(client, options.target.table, chunk);
        done += chunk.length;
        copied += chunk.length;
        options.onCopyProgress?.(done, total);
      });
      after = page.at(-1)?.addressId ?? after;
      // Only now is every item of the page acknowledged by DynamoDB.
      await writeCheckpoint(client, checkpoints, { lastAddressId: after as string });
      if (options.signal?.aborted) throw new BackfillInterruptedError(done);
    }
    const copySeconds = (Date.now() - startedAt) / 1000;

    const result: BackfillResult = { total, copied, resumedAt, copySeconds };
    if (options.verify === true || options.verify === undefined || (options.verify === 'if-copied' && copied > 0)) {
      const verifyStartedAt = Date.now();
      const verify = await verifyBackfill(reader, client, options.target.table, { pageSize, concurrency, onProgress: options.onVerifyProgress });
      result.verify = { ...verify, seconds: (Date.now() - verifyStartedAt) / 1000 };
    }
    return result;
  } finally {
    client.destroy();
    await reader.close();
  }
}

/** One batch, its unprocessed items and throttled attempts retried with backoff and jitter. */
async function writeWithRetry(client: DynamoDBDocumentClient, table: string, batch: BillingAddress[]): Promise<void> {
  let pending = batch;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= MAX_ATTEMPTS) {
      throw new BillingStoreUnavailableError(`DynamoDB kept throttling the migration (${pending.length} items unwritten after ${MAX_ATTEMPTS} attempts)`);
    }
    if (attempt > 0) await sleep(backoffMs(attempt));
    try {
      pending = await writeBillingBatch(client, table, pending);
    } catch (error) {
      if (!isThrottling(error)) throw error;
    }
  }
}

async function verifyBackfill(
  reader: PostgresBillingAddressReader,
  client: DynamoDBDocumentClient,
  table: string,
  { pageSize, concurrency, onProgress }: { pageSize: number; concurrency: number; onProgress?: (done: number, total: number) => void },
): Promise<VerifyResult> {
  const sourceRows = await reader.count();
  const targetItems = await countBillingItems(client, table);
  const mismatches: Mismatch[] = [];
  let mismatchCount = 0;
  let checked = 0;
  let after: string | null = null;
  onProgress?.(0, sourceRows);
  for (;;) {
    const page = await reader.page(after, pageSize);
    if (page.length === 0) break;
    const chunks: BillingAddress[][] = [];
    for (let i = 0; i < page.length; i += BATCH_GET_MAX) chunks.push(page.slice(i, i + BATCH_GET_MAX));
    await inParallel(chunks, concurrency, async (chunk) => {
      const stored = await readBillingBatch(
        client,
        table,
        chunk.map(({ userId, addressId }) => ({ userId, addressId })),
      );
      const byKey = new Map(stored.map((address) => [`${address.userId}\u0000${address.addressId}`, address]));
      for (const expected of chunk) {
        const actual = byKey.get(`${expected.userId}\u0000${expected.addressId}`);
        const fields = actual ? differingFields(expected, actual) : 'missing';
        if (fields === 'missing' || fields.length > 0) {
          mismatchCount++;
          if (mismatches.length < 1_000) mismatches.push({ userId: expected.userId, addressId: expected.addressId, fields });
        }
      }
      checked += chunk.length;
      onProgress?.(checked, sourceRows);
    });
    after = page.at(-1)?.addressId ?? after;
  }
  mismatches.sort((a, b) => a.addressId.localeCompare(b.addressId));
  return { ok: mismatchCount === 0 && sourceRows === targetItems, sourceRows, targetItems, checked, mismatchCount, mismatches };
}

const COMPARED_FIELDS = ['name', 'email', 'line1', 'line2', 'city', 'state', 'postalCode', 'country', 'isDefault'] as const;

function differingFields(expected: BillingAddress, actual: BillingAddress): string[] {
  const fields: string[] = COMPARED_FIELDS.filter((field) => expected[field] !== actual[field]);
  if (expected.updatedAt.getTime() !== actual.updatedAt.getTime()) fields.push('updatedAt');
  return fields;
}

/** The table holding the backfill's checkpoint, next to the billing table (`<table>_migration`: the name `checkout-lab migrate` has always written). */
export function checkpointTable(table: string): string {
  return `${table}_migration`;
}

async function ensureCheckpointTable(client: DynamoDBDocumentClient, table: string, where: string): Promise<void> {
  const status = async () =>
    client
      .send(new DescribeTableCommand({ TableName: table }))
      .then(({ Table }) => Table?.TableStatus)
      .catch((error: unknown) => {
        if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
        throw new BillingStoreUnavailableError(`cannot read DynamoDB table ${table} at ${where} (${(error as { name?: string }).name ?? 'error'})`);
      });
  if ((await status()) === undefined) {
    await client
      .send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      )
      .catch((error: unknown) => {
        if ((error as { name?: string }).name === 'ResourceInUseException') return;
        throw new BillingStoreUnavailableError(`cannot create DynamoDB table ${table} at ${where} (${(error as { name?: string }).name ?? 'error'})`);
      });
  }
  for (let waited = 0; (await status()) !== 'ACTIVE'; waited += 250) {
    if (waited > 120_000) throw new BillingStoreUnavailableError(`DynamoDB table ${table} at ${where} did not become ACTIVE`);
    await sleep(250);
  }
}

async function readCheckpoint(client: DynamoDBDocumentClient, table: string): Promise<Checkpoint | undefined> {
  const { Item } = await client
    .send(new GetCommand({ TableName: table, Key: { id: CHECKPOINT_ID }, ConsistentRead: true }))
    .catch((error: unknown) => {
      throw new BillingStoreUnavailableError(`cannot read the migration checkpoint (${(error as { name?: string }).name ?? 'error'})`);
    });
  return typeof Item?.['lastAddressId'] === 'string' ? { lastAddressId: Item['lastAddressId'] } : undefined;
}

async function writeCheckpoint(client: DynamoDBDocumentClient, table: string, checkpoint: Checkpoint): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.send(
        new PutCommand({ TableName: table, Item: { id: CHECKPOINT_ID, ...checkpoint, writtenAt: new Date().toISOString() } }),
      );
      return;
    } catch (error) {
      if (!isThrottling(error) || attempt >= MAX_ATTEMPTS) {
        throw new BillingStoreUnavailableError(`cannot write the migration checkpoint (${(error as { name?: string }).name ?? 'error'})`);
      }
      await sleep(backoffMs(attempt));
    }
  }
}

/** Runs `work` over `items` with at most `limit` at a time; the first failure rejects (after running ones settle). */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
