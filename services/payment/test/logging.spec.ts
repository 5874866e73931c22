import { randomBytes } from 'node:crypto';
import { createPaymentClient, Metadata } from '@checkout-lab/contracts';
import { freePort, waitUntil } from '@checkout-lab/embedded';
import { startStripeDouble } from '@checkout-lab/stripe-double';
import { createTestDatabase, serviceLogLines, spawnService, type SpawnedService } from '@checkout-lab/testing';
import { FakeBillingServer, address } from './fake-billing.server';

/**
 * Every line payment writes is one JSON object with the fields all three services share, Nest's own
 * messages included, and a line logged inside a call carries that call's trace id.
 */
describe('payment logs', () => {
  const traceId = randomBytes(16).toString('hex');
  let service: SpawnedService;
  let exitCode: number | null;

  beforeAll(async () => {
    const stripe = await startStripeDouble();
    const billing = new FakeBillingServer();
    billing.addresses.set('user-1', address('user-1'));
    const billingTarget = await billing.start();
    const [port, metricsPort] = [await freePort(), await freePort()];
    service = spawnService('services/payment/src/main.ts', {
      DATABASE_URL: await createTestDatabase('payment_logging'),
      PAYMENT_GRPC_PORT: String(port),
      PAYMENT_METRICS_PORT: String(metricsPort),
      BILLING_ADDRESS_GRPC_TARGET: billingTarget,
      STRIPE_API_BASE: stripe.url,
      PAYMENT_RECONCILE_INTERVAL_MS: '0',
    });
    try {
      const target = `127.0.0.1:${port}`;
      // Listening, not SERVING: readiness needs billing-address's health service, which the fake has not.
      await waitUntil('payment', () => Promise.resolve(service.output.stdout.includes('"msg":"payment listening"')), 60_000).catch((error: Error) => {
        throw new Error(`${error.message}:\n${service.output.stderr}${service.output.stdout}`);
      });
      const client = createPaymentClient(target);
      const metadata = new Metadata();
      metadata.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
      const request = { orderId: `order-${traceId}`, userId: 'user-1', amountCents: 1500, currency: 'usd', paymentMethod: 'pm_card_visa', idempotencyKey: `logging-${traceId}` };
      await new Promise<void>((resolve, reject) =>
        client.authorize(request, metadata, { deadline: Date.now() + 10_000 }, (error) => (error ? reject(error) : resolve())),
      );
      client.close();
    } finally {
      service.child.kill('SIGTERM');
      exitCode = await service.exited;
      await billing.stop();
      await stripe.close();
    }
  }, 90_000);

  it('writes only JSON lines, each with level, an ISO-8601 time, service and msg; nothing on stderr', () => {
    expect(exitCode).toBe(0);
    expect(service.output.stderr).toBe('');
    serviceLogLines(service.output.stdout, 'payment');
  });

  it("routes Nest's own messages through the same logger", () => {
    expect(serviceLogLines(service.output.stdout, 'payment')).toContainEqual(
      expect.objectContaining({ context: 'NestMicroservice', msg: 'Nest microservice successfully started', level: 20 }),
    );
  });

  it('puts the trace id of the call on the lines logged inside it', () => {
    expect(serviceLogLines(service.output.stdout, 'payment').filter((r) => r['trace_id'] === traceId)).toContainEqual(
      expect.objectContaining({ msg: 'payment succeeded', span_id: expect.stringMatching(/^[0-9a-f]{16}$/) }),
    );
  });
});
