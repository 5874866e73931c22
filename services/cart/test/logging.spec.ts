import { randomBytes } from 'node:crypto';
import { freePort, waitUntil } from '@checkout-lab/embedded';
import { createTestDatabase, serviceLogLines, spawnService, type SpawnedService } from '@checkout-lab/testing';
import { FakePaymentServer } from './fake-payment.server';

/**
 * Every line cart writes is one JSON object with the fields all three services share, Nest's own
 * messages included, and a line logged inside a request carries that request's trace id.
 */
describe('cart logs', () => {
  const traceId = randomBytes(16).toString('hex');
  let service: SpawnedService;
  let exitCode: number | null;

  beforeAll(async () => {
    const payment = new FakePaymentServer();
    const target = await payment.start();
    const port = await freePort();
    service = spawnService('services/cart/src/main.ts', {
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
    serviceLogLines(service.output.stdout, 'cart');
  });

  it("routes Nest's own messages through the same logger", () => {
    expect(serviceLogLines(service.output.stdout, 'cart')).toContainEqual(
      expect.objectContaining({ context: 'NestApplication', msg: 'Nest application successfully started', level: 20 }),
    );
  });

  it('puts the trace id of the request on the lines logged inside it', () => {
    expect(serviceLogLines(service.output.stdout, 'cart').filter((r) => r['trace_id'] === traceId)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'order paid', span_id: expect.stringMatching(/^[0-9a-f]{16}$/) }),
        expect.objectContaining({ msg: 'request', route: '/carts/:cartId/checkout', status: 200 }),
      ]),
    );
  });

  it('says why it will not start as one JSON line on stderr: a bad setting (exit 2) and a bad telemetry setting (exit 2)', async () => {
    for (const [env, variable] of [
      [{ CART_HTTP_PORT: 'eighty' }, 'CART_HTTP_PORT'],
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    ] as const) {
      const bad = spawnService('services/cart/src/main.ts', { DATABASE_URL: 'postgres://127.0.0.1:1/none', PAYMENT_GRPC_TARGET: '127.0.0.1:1', ...env });
      expect(await bad.exited).toBe(2);
      expect(bad.output.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(serviceLogLines(bad.output.stderr, 'cart')).toEqual([expect.objectContaining({ level: 60, exit_code: 2, msg: expect.stringContaining(variable) })]);
    }
  }, 60_000);
});
