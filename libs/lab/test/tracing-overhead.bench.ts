/**
 * Tracing overhead: the same stack started with tracing on and with OTEL_SDK_DISABLED=true,
 * alternately, on the same machine in the same run; each round drives the same number of
 * concurrent checkout flows (create cart → add item → checkout) through cart's HTTP API.
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register libs/lab/test/tracing-overhead.bench.ts
 * Env: BENCH_FLOWS (default 400), BENCH_CONCURRENCY (16), BENCH_ROUNDS (2).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from '@checkout-lab/embedded';
import { loadLabSettings } from '../src/settings';
import { Stack } from '../src/stack/stack';

const flows = Number(process.env['BENCH_FLOWS'] ?? 400);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 2);

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function drive(cart: string, label: string): Promise<{ throughput: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < flows) {
      const i = next++;
      const { cartId } = await post(`${cart}/carts`, { userId: `user-${(i % 2000) + 1}` });
      await post(`${cart}/carts/${String(cartId)}/items`, { sku: 'TEA-1', quantity: 1, unitPriceCents: 500 });
      const t0 = performance.now();
      await post(`${cart}/carts/${String(cartId)}/checkout`, {}, { 'idempotency-key': `bench-${label}-${Date.now()}-${i}` });
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { throughput: flows / seconds, p50: at(0.5), p99: at(0.99) };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tracing-overhead-'));
  const ports = await Promise.all(Array.from({ length: 9 }, () => freePort()));
  const env = {
    ...process.env,
    LAB_DATA_DIR: dataDir,
    LAB_SEED_USERS: '2000',
    LAB_SEED_ADDRESSES_PER_USER: '2',
    BILLING_SQL_PROFILE: 'indexed',
    STRIPE_DOUBLE_LATENCY_MEDIAN_MS: '0',
    LOG_LEVEL: 'warn',
    CART_HTTP_PORT: String(ports[0]),
    PAYMENT_GRPC_PORT: String(ports[1]),
    BILLING_GRPC_PORT: String(ports[2]),
    STRIPE_DOUBLE_PORT: String(ports[3]),
    LAB_APP_PG_PORT: String(ports[4]),
    LAB_BILLING_PG_PORT: String(ports[5]),
    LAB_OTLP_PORT: String(ports[6]),
    PAYMENT_METRICS_PORT: String(ports[7]),
    BILLING_METRICS_PORT: String(ports[8]),
  };
  const results: Record<string, { throughput: number; p50: number; p99: number }[]> = { on: [], off: [] };
  for (let round = 0; round < rounds; round += 1) {
    for (const tracing of ['on', 'off'] as const) {
      process.env = { ...env, ...(tracing === 'off' ? { OTEL_SDK_DISABLED: 'true' } : {}) };
      const stack = new Stack(loadLabSettings(process.env), () => undefined);
      try {
        const { cart } = await stack.start();
        await drive(cart, `warm-${tracing}-${round}`); // warm-up: JIT, pools, connections
        const result = await drive(cart, `${tracing}-${round}`);
        results[tracing]?.push(result);
        process.stderr.write(`round ${round + 1} tracing ${tracing}: ${result.throughput.toFixed(1)} checkouts/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms\n`);
      } finally {
        await stack.stop();
      }
    }
  }
  const mean = (list: { throughput: number; p50: number; p99: number }[], key: 'throughput' | 'p50' | 'p99') =>
    list.reduce((sum, r) => sum + r[key], 0) / list.length;
  for (const tracing of ['on', 'off'] as const) {
    const list = results[tracing] ?? [];
    process.stdout.write(
      `tracing ${tracing}: ${mean(list, 'throughput').toFixed(1)} flows/s, checkout p50 ${mean(list, 'p50').toFixed(1)} ms, p99 ${mean(list, 'p99').toFixed(1)} ms (${flows} flows × ${rounds} rounds, ${concurrency} concurrent)\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
