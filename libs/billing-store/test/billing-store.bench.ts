/**
 * Benchmark: seeding speed, and lookup latency under the legacy and indexed profiles, on a
 * throw-away embedded PostgreSQL. Prints figures; asserts nothing.
 *
 *   node -r @swc-node/register libs/billing-store/test/billing-store.bench.ts [users] [addressesPerUser]
 *
 * (from the repository root, with SWC_NODE_PROJECT=tsconfig.base.json). Defaults: 125000 × 4 = 500k rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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

const users = Number(process.argv[2] ?? 125_000);
const addressesPerUser = Number(process.argv[3] ?? 4);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return `mean ${mean.toFixed(2)} ms, p50 ${percentile(sorted, 50).toFixed(2)}, p95 ${percentile(sorted, 95).toFixed(2)}, p99 ${percentile(sorted, 99).toFixed(2)}`;
}

const randomUser = () => `user-${1 + Math.floor(Math.random() * users)}`;

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'billing-store-bench-'));
  const server = await startEmbeddedPostgres({ dataDir: path.join(root, 'data'), port: await freePort() });
  try {
    await server.ensureDatabase('billing_bench');
    const url = server.url('billing_bench');
    await migrateBillingSchema(url);

    let started = performance.now();
    const seeded = await seedBillingAddresses(url, { users, addressesPerUser });
    const seedSeconds = (performance.now() - started) / 1000;
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
      console.log(`  sequential lookups (${sequential.length}): ${summary(sequential)}`);

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
      console.log(
        `  16 concurrent callers, pool of 4, 5 s: ${Math.round(concurrent.length / 5)} lookups/s, ${summary(concurrent)}`,
      );
      await store.close();
    }
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
