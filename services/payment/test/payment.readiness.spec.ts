import { createHealthClient } from '@checkout-lab/contracts';
import { freePort } from '@checkout-lab/embedded';
import { createTestDatabase } from '@checkout-lab/testing';
import { startPaymentService, type RunningPaymentService } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import { HealthServer } from '@checkout-lab/contracts';

/** payment's grpc.health.v1 answer: SERVING, NOT_SERVING, or the call's error. */
function check(address: string): Promise<string> {
  const client = createHealthClient(address);
  return new Promise<string>((resolve) =>
    client.check({ service: '' }, { deadline: Date.now() + 5_000 }, (error, response) => {
      client.close();
      resolve(error ? `error ${error.code}` : (response?.status ?? 'none'));
    }),
  );
}

async function eventually(address: string, wanted: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while ((last = await check(address)) !== wanted) {
    if (Date.now() > deadline) throw new Error(`payment said ${last}, not ${wanted}, for ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('payment readiness (grpc.health.v1)', () => {
  let billing: HealthServer;
  let payment: RunningPaymentService;

  beforeAll(async () => {
    billing = new HealthServer(await freePort());
    await billing.start();
    payment = await startPaymentService(
      loadConfig({
        DATABASE_URL: await createTestDatabase('payment'),
        PAYMENT_GRPC_PORT: String(await freePort()),
        PAYMENT_METRICS_PORT: String(await freePort()),
        BILLING_ADDRESS_GRPC_TARGET: billing.address,
        // Stripe is an outside API: readiness does not check it, so nothing needs to listen here.
        STRIPE_API_BASE: `http://127.0.0.1:${await freePort()}`,
        LOG_LEVEL: 'silent',
      }),
    );
  });

  afterAll(async () => {
    await payment.close();
    billing.stop();
  });

  it('is NOT_SERVING while billing-address cannot be reached, and SERVING again once it is back', async () => {
    await eventually(payment.address, 'SERVING');
    billing.stop();
    await eventually(payment.address, 'NOT_SERVING');
    await billing.start();
    await eventually(payment.address, 'SERVING');
  });

  it('stays SERVING while billing-address is only slow to answer', async () => {
    await eventually(payment.address, 'SERVING');
    billing.mode = 'hang';
    try {
      // Past the cache and the 1 s check timeout, several times over.
      for (let i = 0; i < 3; i++) {
        expect(await check(payment.address)).toBe('SERVING');
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
    } finally {
      billing.mode = 'serving';
    }
  });
});
