import { performance } from 'node:perf_hooks';
import type { BillingAddressStore } from './billing-address.store';
import { DynamoBillingAddressStore } from './dynamo.billing-address.store';
import type { DynamoConnection } from './dynamo.billing-table';
import { PostgresBillingAddressStore } from './postgres.billing-address.store';
import { applySqlProfile } from './postgres.schema';

/**
 * The storage benchmark's measurement (`checkout-lab bench-store` sets up the servers and data):
 * billing lookups of random seeded users through each adapter — what billing-address really
 * executes — at a fixed concurrency, after an unmeasured warm-up.
 */
export const LOOKUP_BENCH_BACKENDS = ['sql-legacy', 'sql-indexed', 'dynamodb'] as const;
export type LookupBenchBackend = (typeof LOOKUP_BENCH_BACKENDS)[number];

export interface LookupBenchOptions {
  /** Concurrent callers. */
  concurrency: number;
  /** Measured time per backend, in seconds. */
  durationS: number;
  /** Unmeasured warm-up before each measurement, in seconds. */
  warmupS: number;
  /** The SQL store's connection pool. */
  poolMax: number;
}

/** The same data on both sides: a seeded SQL store and its copy in DynamoDB. */
export interface LookupBenchData {
  sqlUrl: string;
  dynamo: DynamoConnection;
  /** Seeded users (`user-1` … `user-<users>`). */
  users: number;
  /** Addresses in all. */
  addresses: number;
}

export interface LookupMeasurement {
  backend: LookupBenchBackend;
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

/** Measures each backend in turn over `data` (the SQL profile applied for each SQL backend); one line per backend on `say`. */
export async function benchBillingLookups(data: LookupBenchData, options: LookupBenchOptions, say: (line: string) => void): Promise<LookupMeasurement[]> {
  const results: LookupMeasurement[] = [];
  for (const backend of LOOKUP_BENCH_BACKENDS) {
    let store: BillingAddressStore;
    switch (backend) {
      case 'sql-legacy':
      case 'sql-indexed': {
        const profile = backend === 'sql-legacy' ? 'legacy' : 'indexed';
        await applySqlProfile(data.sqlUrl, profile);
        store = new PostgresBillingAddressStore({ connectionString: data.sqlUrl, profile, poolMax: options.poolMax, statementTimeoutMs: 60_000, connectionTimeoutMillis: 60_000 });
        break;
      }
      case 'dynamodb':
        store = new DynamoBillingAddressStore({ ...data.dynamo, requestTimeoutMs: 60_000 });
        break;
    }
    try {
      const measurement = await measure(store, { ...options, users: data.users, backend, addresses: data.addresses }, say);
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
  return results;
}

/** Warm-up, then `concurrency` callers looking up random seeded users for `durationS` seconds. */
async function measure(
  store: BillingAddressStore,
  options: LookupBenchOptions & { users: number; backend: LookupBenchBackend; addresses: number },
  say: (line: string) => void,
): Promise<LookupMeasurement> {
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

/** The results as a Markdown table, under a line naming the settings. */
export function lookupBenchTable(results: LookupMeasurement[], options: LookupBenchOptions): string {
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
