import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, isAlive } from '@checkout-lab/embedded';
import { REPO_ROOT } from '../src/stack/service-process';
import type { StackProcesses } from '../src/stack/stack';

describe('checkout-lab up', () => {
  it('starts the stack, serves a checkout, and stops cleanly leaving no process behind', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'checkout-lab-up-'));
    chmodSync(root, 0o755); // as root, PostgreSQL runs as the postgres user, who must reach the data dir
    const dataDir = path.join(root, 'lab');
    const [cartPort, paymentPort, billingPort, stripePort, appPg, billingPg, otlpPort, paymentMetrics, billingMetrics] = await Promise.all(
      Array.from({ length: 9 }, () => freePort()),
    );
    const lab = spawn(process.execPath, ['-r', '@swc-node/register', 'libs/lab/src/bin/checkout-lab.ts', 'up'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'],
        SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.base.json'),
        LAB_DATA_DIR: dataDir,
        LAB_SEED_USERS: '300',
        LAB_SEED_ADDRESSES_PER_USER: '2',
        CART_HTTP_PORT: String(cartPort),
        PAYMENT_GRPC_PORT: String(paymentPort),
        BILLING_GRPC_PORT: String(billingPort),
        STRIPE_DOUBLE_PORT: String(stripePort),
        LAB_APP_PG_PORT: String(appPg),
        LAB_BILLING_PG_PORT: String(billingPg),
        LAB_OTLP_PORT: String(otlpPort),
        PAYMENT_METRICS_PORT: String(paymentMetrics),
        BILLING_METRICS_PORT: String(billingMetrics),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    lab.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    lab.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => lab.once('exit', (code) => resolve(code)));

    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output}`)), 100_000);
        const check = () => {
          if (/^ready$/m.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        };
        lab.stdout.on('data', check);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`lab exited (${code}) before ready:\n${output}`));
        });
      });
      expect(output).toContain(`http://127.0.0.1:${cartPort}`);

      const base = `http://127.0.0.1:${cartPort}`;
      const created = (await (
        await fetch(`${base}/carts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"userId":"user-42"}' })
      ).json()) as { cartId: string };
      await fetch(`${base}/carts/${created.cartId}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'MUG-1', quantity: 1, unitPriceCents: 1500 }),
      });
      const paid = await fetch(`${base}/carts/${created.cartId}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'lab-up-test' },
        body: '{}',
      });
      expect(paid.status).toBe(200);
      expect(await paid.json()).toMatchObject({ status: 'paid' });
    } finally {
      lab.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const processes = JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackProcesses;
    const pids = [...Object.values(processes.services), ...processes.postgres].filter((p): p is number => typeof p === 'number');
    expect(pids.length).toBe(6); // stripe double, 3 services, 2 PostgreSQL servers
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
