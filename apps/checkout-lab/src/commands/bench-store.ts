import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, type Command } from 'commander';
import { ProgressBar, runBackfill } from '@checkout-lab/backfill';
import {
  benchBillingLookups,
  lookupBenchTable,
  migrateBillingSchema,
  seedBillingAddresses,
  type DynamoConnection,
  type LookupBenchOptions,
  type LookupMeasurement,
} from '@checkout-lab/billing-store';
import { freePort, startDynalite, startEmbeddedPostgres } from '@checkout-lab/embedded';
import { DYNALITE_CREDENTIALS, loadLabSettings } from '@checkout-lab/stack';
import { durationSeconds } from './options';

interface BenchOptions extends LookupBenchOptions {
  sizes: number[];
  addressesPerUser: number;
  out?: string;
}

export function registerBenchStore(program: Command): void {
  program
    .command('bench-store')
    .description(
      'storage benchmark: billing lookup latency (p50/p95/p99) and throughput through each store adapter ' +
        '(legacy SQL, indexed SQL, DynamoDB on dynalite) at several data sizes; prints a table, writes JSON',
    )
    .option('--sizes <list>', 'data sizes in addresses, comma-separated (k and M suffixes allowed)', sizeList, [10_000, 100_000, 1_000_000])
    .option('--concurrency <n>', 'concurrent callers', positiveInt, 16)
    .option('--duration <duration>', 'measured time per backend and size (10s, 1m; a bare number is seconds)', durationSeconds, 10)
    .option('--warmup <duration>', 'unmeasured warm-up before each measurement (a bare number is seconds)', durationSeconds, 2)
    .option('--addresses-per-user <n>', 'addresses per seeded user', positiveInt, 5)
    .option('--pool <n>', "the SQL store's connection pool (the service's default is 4)", positiveInt, 4)
    .option('--out <file>', 'JSON output (default <LAB_DATA_DIR>/bench/billing-store.json)')
    .action(async (raw: { sizes: number[]; concurrency: number; duration: number; warmup: number; addressesPerUser: number; pool: number; out?: string }) => {
      await benchStores({
        sizes: raw.sizes,
        concurrency: raw.concurrency,
        durationS: raw.duration,
        warmupS: raw.warmup,
        addressesPerUser: raw.addressesPerUser,
        poolMax: raw.pool,
        out: raw.out,
      });
    });
}

/**
 * Throw-away servers; for each data size, SQL seeded with the lab's seed code and DynamoDB loaded
 * with the backfill, then the lookups measured through each adapter (libs/billing-store's
 * benchBillingLookups). Prints a table and writes the JSON.
 */
async function benchStores(options: BenchOptions): Promise<void> {
  const settings = loadLabSettings(process.env);
  const out = path.resolve(options.out ?? path.join(settings.dataDir, 'bench', 'billing-store.json'));
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const root = mkdtempSync(path.join(os.tmpdir(), 'checkout-lab-bench-'));
  if (process.getuid?.() === 0) {
    // As root, PostgreSQL runs as the postgres user, who must reach the data dir.
    const { chmodSync } = await import('node:fs');
    chmodSync(root, 0o755);
  }
  say(`throw-away servers under ${root}`);
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port: await freePort() });
  const dynalite = await startDynalite({ port: await freePort(), dataDir: path.join(root, 'dynamodb') });
  const results: LookupMeasurement[] = [];
  const startedAt = new Date().toISOString();
  try {
    await postgres.ensureDatabase('billing_bench');
    const url = postgres.url('billing_bench');
    await migrateBillingSchema(url);

    for (const addresses of [...options.sizes].sort((a, b) => a - b)) {
      const users = Math.max(1, Math.round(addresses / options.addressesPerUser));
      const rows = users * options.addressesPerUser;
      say(`\n== ${fmt(rows)} addresses (${fmt(users)} users × ${options.addressesPerUser}) ==`);
      const seedBar = new ProgressBar('seeding SQL', rows);
      const t = performance.now();
      const seeded = await seedBillingAddresses(url, { users, addressesPerUser: options.addressesPerUser, onProgress: (done) => seedBar.update(done) });
      seedBar.done(`${fmt(seeded.rows)} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);

      const connection: DynamoConnection = { table: `billing_bench_${rows}`, endpoint: dynalite.endpoint, credentials: DYNALITE_CREDENTIALS };
      await runBackfill({ sourceUrl: url, target: connection, verify: false, concurrency: 8 });

      results.push(...(await benchBillingLookups({ sqlUrl: url, dynamo: connection, users, addresses: rows }, options, say)));
    }
  } finally {
    await dynalite.stop();
    await postgres.stop();
    rmSync(root, { recursive: true, force: true });
  }

  const report = {
    startedAt,
    endedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', totalMemoryBytes: os.totalmem(), platform: `${os.platform()} ${os.release()}` },
    node: process.version,
    settings: { ...options, out: undefined, pathThroughAdapter: true },
    results,
  };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${lookupBenchTable(results, options)}\n\nwrote ${out}\n`);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive integer, got "${value}"`);
  return n;
}

/** "10k,100k,1M" or "10000,100000" → numbers. */
function sizeList(value: string): number[] {
  return value.split(',').map((part) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/.exec(part);
    const n = match ? Number(match[1]) * (match[2]?.toLowerCase() === 'k' ? 1_000 : match[2]?.toLowerCase() === 'm' ? 1_000_000 : 1) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`sizes must be positive integers such as 10k,100k,1M; got "${part}"`);
    return n;
  });
}
