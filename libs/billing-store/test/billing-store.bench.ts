/**
 * Benchmark: seeding speed, and lookup latency under the legacy and indexed profiles, on a
 * throw-away embedded PostgreSQL. Prints figures; asserts nothing.
 *
 *   npm run bench:lookup -- [users] [addressesPerUser]
 *
 * Defaults: the lab's seed, 100000 users × 5 = 500k rows. Writes the figures as JSON to
 * .lab/bench/billing-lookup.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, startEmbeddedPostgres } from '@checkout-lab/embedded';
import {
  applySqlProfile,
  migrateBillingSchema,
  PostgresBillingAddressStore,
  seedBillingAddresses,
  SQL_PROFILES,
} from '../src';

const users = Number(process.argv[2] ?? 100_000);
const addressesPerUser = Number(process.argv[3] ?? 5);
const OUT = path.resolve(__dirname, '..', '..', '..', '.lab', 'bench', 'billing-lookup.json');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Stats {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const meanMs = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { count: sorted.length, meanMs, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95), p99Ms: percentile(sorted, 99) };
}

function summary(s: Stats): string {
  return `mean ${s.meanMs.toFixed(2)} ms, p50 ${s.p50Ms.toFixed(2)}, p95 ${s.p95Ms.toFixed(2)}, p99 ${s.p99Ms.toFixed(2)}`;
}

const randomUser = () => `user-${1 + Math.floor(Math.random() * users)}`;

async function main(): Promise<void> {
  const results: Record<string, unknown> = { users, addressesPerUser, cpus: os.cpus().length, node: process.version };
  const root = mkdtempSync(path.join(tmpdir(), 'billing-store-bench-'));
  const server = await startEmbeddedPostgres({ dataDir: path.join(root, 'data'), port: await freePort() });
  try {
    await server.ensureDatabase('billing_bench');
    const url = server.url('billing_bench');
    await migrateBillingSchema(url);

    let started = performance.now();
    const seeded = await seedBillingAddresses(url, { users, addressesPerUser });
    const seedSeconds = (performance.now() - started) / 1000;
    results['seed'] = { rows: seeded.rows, seconds: seedSeconds };
    console.log(`seed: ${seeded.rows} rows in ${seedSeconds.toFixed(2)} s (${Math.round(seeded.rows / seedSeconds)} rows/s, incl. ANALYZE)`);
    started = performance.now();
    const again = await seedBillingAddresses(url, { users, addressesPerUser });
    console.log(`reseed, same size: skipped=${again.skipped} in ${((performance.now() - started) / 1000).toFixed(2)} s`);

    for (const profile of SQL_PROFILES) {
      started = performance.now();
      await applySqlProfile(url, profile);
      console.log(`\nprofile ${profile}: applied in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      const store = new PostgresBillingAddressStore({ connectionString: url, profile, poolMax: 4 });
      for (let i = 0; i < 10; i++) await store.getCurrent(randomUser());

      const sequential: number[] = [];
      for (let i = 0; i < (profile === 'legacy' ? 100 : 1000); i++) {
        const t = performance.now();
        await store.getCurrent(randomUser());
        sequential.push(performance.now() - t);
      }
      const one = stats(sequential);
      console.log(`  sequential lookups (${sequential.length}): ${summary(one)}`);

      const concurrent: number[] = [];
      const until = performance.now() + 5_000;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (performance.now() < until) {
            const t = performance.now();
            await store.getCurrent(randomUser());
            concurrent.push(performance.now() - t);
          }
        }),
      );
      const many = stats(concurrent);
      console.log(`  16 concurrent callers, pool of 4, 5 s: ${Math.round(concurrent.length / 5)} lookups/s, ${summary(many)}`);
      results[profile] = { sequential: one, concurrent16: { ...many, lookupsPerSecond: concurrent.length / 5 } };
      await store.close();
    }
    mkdirSync(path.dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote ${OUT}`);
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
