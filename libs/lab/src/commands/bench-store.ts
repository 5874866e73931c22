import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, type Command } from 'commander';
import {
  applySqlProfile,
  DynamoBillingAddressStore,
  migrateBillingSchema,
  PostgresBillingAddressStore,
  seedBillingAddresses,
  type BillingAddressStore,
  type DynamoConnection,
} from '@checkout-lab/billing-store';
import { freePort, startDynalite, startEmbeddedPostgres } from '@checkout-lab/embedded';
import { DYNALITE_CREDENTIALS } from '@checkout-lab/stack';
import { ProgressBar, runBackfill } from '@checkout-lab/backfill';
import { durationSeconds } from './options';
import { loadLabSettings } from '@checkout-lab/stack';

interface BenchOptions {
  sizes: number[];
  concurrency: number;
  durationS: number;
  warmupS: number;
  addressesPerUser: number;
  poolMax: number;
  out?: string;
}

const BACKENDS = ['sql-legacy', 'sql-indexed', 'dynamodb'] as const;
type Backend = (typeof BACKENDS)[number];

interface Measurement {
  backend: Backend;
  addresses: number;
  users: number;
  lookups: number;
  errors: number;
  throughputPerS: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
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
  const results: Measurement[] = [];
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
      let t = performance.now();
      const seeded = await seedBillingAddresses(url, { users, addressesPerUser: options.addressesPerUser, onProgress: (done) => seedBar.update(done) });
      seedBar.done(`${fmt(seeded.rows)} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);

      const connection: DynamoConnection = { table: `billing_bench_${rows}`, endpoint: dynalite.endpoint, credentials: DYNALITE_CREDENTIALS };
      t = performance.now();
      await runBackfill({ sourceUrl: url, target: connection, verify: false, concurrency: 8 });

      for (const backend of BACKENDS) {
        let store: BillingAddressStore;
        switch (backend) {
          case 'sql-legacy':
          case 'sql-indexed': {
            const profile = backend === 'sql-legacy' ? 'legacy' : 'indexed';
            await applySqlProfile(url, profile);
            store = new PostgresBillingAddressStore({ connectionString: url, profile, poolMax: options.poolMax, statementTimeoutMs: 60_000, connectionTimeoutMillis: 60_000 });
            break;
          }
          case 'dynamodb':
            store = new DynamoBillingAddressStore({ ...connection, requestTimeoutMs: 60_000 });
            break;
        }
        try {
          const measurement = await measure(store, { ...options, users, backend, addresses: rows }, say);
          results.push(measurement);
          say(
            `  ${backend.padEnd(12)} ${fmt(Math.round(measurement.throughputPerS)).padStart(7)} lookups/s  ` +
              `p50 ${ms(measurement.p50Ms)}  p95 ${ms(measurement.p95Ms)}  p99 ${ms(measurement.p99Ms)}` +
              (measurement.errors > 0 ? `  (${measurement.errors} errors)` : ''),
          );
        } finally {
          await store.close();
        }
      }
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
  process.stdout.write(`\n${table(results, options)}\n\nwrote ${out}\n`);
}

/** Warm-up, then `concurrency` callers looking up random seeded users for `durationS` seconds. */
async function measure(
  store: BillingAddressStore,
  options: BenchOptions & { users: number; backend: Backend; addresses: number },
  say: (line: string) => void,
): Promise<Measurement> {
  const randomUser = () => `user-${1 + Math.floor(Math.random() * options.users)}`;
  const run = async (seconds: number, samples: number[] | undefined): Promise<number> => {
    let errors = 0;
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < until) {
          const started = performance.now();
          try {
            await store.getCurrent(randomUser());
            samples?.push(performance.now() - started);
          } catch {
            errors++;
          }
        }
      }),
    );
    return errors;
  };
  say(`  ${options.backend}: warm-up ${options.warmupS} s, then ${options.durationS} s at ${options.concurrency} callers …`);
  await run(options.warmupS, undefined);
  const samples: number[] = [];
  const startedAt = performance.now();
  const errors = await run(options.durationS, samples);
  const elapsedS = (performance.now() - startedAt) / 1000;
  samples.sort((a, b) => a - b);
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)] ?? NaN;
  return {
    backend: options.backend,
    addresses: options.addresses,
    users: options.users,
    lookups: samples.length,
    errors,
    throughputPerS: samples.length / elapsedS,
    meanMs: samples.reduce((sum, value) => sum + value, 0) / Math.max(1, samples.length),
    p50Ms: at(50),
    p95Ms: at(95),
    p99Ms: at(99),
    maxMs: samples.at(-1) ?? NaN,
  };
}

function table(results: Measurement[], options: BenchOptions): string {
  const header = `| backend | addresses | lookups/s | p50 | p95 | p99 |\n| --- | ---: | ---: | ---: | ---: | ---: |`;
  const rows = results.map(
    (r) => `| ${r.backend} | ${fmt(r.addresses)} | ${fmt(Math.round(r.throughputPerS))} | ${ms(r.p50Ms)} | ${ms(r.p95Ms)} | ${ms(r.p99Ms)} |`,
  );
  return `${options.concurrency} concurrent callers, ${options.durationS} s each after ${options.warmupS} s warm-up; SQL pool of ${options.poolMax}\n\n${header}\n${rows.join('\n')}`;
}

function ms(value: number): string {
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toString()} ms`;
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
