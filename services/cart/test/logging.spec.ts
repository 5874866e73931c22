import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { freePort, waitUntil } from '@checkout-lab/embedded';
import { createTestDatabase } from '@checkout-lab/testing';
import { FakePaymentServer } from './fake-payment.server';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** cart in its own process, as `checkout-lab up` starts it: the telemetry preload first, output captured. */
function spawnService(env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-r', path.join(REPO_ROOT, 'libs/telemetry/src/preload.ts'), path.join(REPO_ROOT, 'services/cart/src/main.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'], SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.base.json'), OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  // 'close': the process has exited and its output has been read to the end.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code: number | null) => resolve(code)));
  return { child, output, exited };
}

/** Every line of `stdout`, parsed: each one JSON object with the fields every service's lines have. */
function expectJsonLines(stdout: string): Record<string, unknown>[] {
  const records = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
  expect(records.length).toBeGreaterThan(0);
  for (const record of records) {
    expect(record).toEqual(expect.objectContaining({ level: expect.any(Number), time: expect.stringMatching(ISO_8601), service: 'cart', msg: expect.any(String) }));
  }
  return records;
}

/**
 * Every line cart writes is one JSON object with the fields all three services share, Nest's own
 * messages included, and a line logged inside a request carries that request's trace id.
 */
describe('cart logs', () => {
  const traceId = randomBytes(16).toString('hex');
  let service: ReturnType<typeof spawnService>;
  let exitCode: number | null;

  beforeAll(async () => {
    const payment = new FakePaymentServer();
    const target = await payment.start();
    const port = await freePort();
    service = spawnService({
      DATABASE_URL: await createTestDatabase('cart_logging'),
      CART_HTTP_PORT: String(port),
      PAYMENT_GRPC_TARGET: target,
      CART_RECONCILE_INTERVAL_MS: '0',
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitUntil('cart', () => fetch(`${url}/healthz`).then((r) => r.ok), 60_000).catch((error: Error) => {
        throw new Error(`${error.message}:\n${service.output.stderr}${service.output.stdout}`);
      });
      const json = { 'content-type': 'application/json' };
      const cart = (await (await fetch(`${url}/carts`, { method: 'POST', headers: json, body: JSON.stringify({ userId: 'user-1' }) })).json()) as { cartId: string };
      await fetch(`${url}/carts/${cart.cartId}/items`, { method: 'POST', headers: json, body: JSON.stringify({ sku: 'MUG-1', quantity: 1, unitPriceCents: 1500 }) });
      const paid = await fetch(`${url}/carts/${cart.cartId}/checkout`, {
        method: 'POST',
        headers: { ...json, 'idempotency-key': `logging-${traceId}`, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
        body: '{}',
      });
      expect(paid.status).toBe(200);
    } finally {
      service.child.kill('SIGTERM');
      exitCode = await service.exited;
      await payment.stop();
    }
  }, 90_000);

  it('writes only JSON lines, each with level, an ISO-8601 time, service and msg; nothing on stderr', () => {
    expect(exitCode).toBe(0);
    expect(service.output.stderr).toBe('');
    expectJsonLines(service.output.stdout);
  });

  it("routes Nest's own messages through the same logger", () => {
    expect(expectJsonLines(service.output.stdout)).toContainEqual(
      expect.objectContaining({ context: 'NestApplication', msg: 'Nest application successfully started', level: 20 }),
    );
  });

  it('puts the trace id of the request on the lines logged inside it', () => {
    expect(expectJsonLines(service.output.stdout).filter((r) => r['trace_id'] === traceId)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'order paid', span_id: expect.stringMatching(/^[0-9a-f]{16}$/) }),
        expect.objectContaining({ msg: 'request', route: '/carts/:cartId/checkout', status: 200 }),
      ]),
    );
  });
});
