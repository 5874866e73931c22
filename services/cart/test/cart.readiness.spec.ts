import { freePort } from '@checkout-lab/embedded';
import { startCart, type CartHarness } from './harness';
import { HealthServer } from '@checkout-lab/contracts';

describe('cart readiness (GET /readyz)', () => {
  let payment: HealthServer;
  let harness: CartHarness;

  beforeAll(async () => {
    payment = new HealthServer(await freePort());
    await payment.start();
    harness = await startCart({ PAYMENT_GRPC_TARGET: payment.address });
  });

  afterAll(async () => {
    await harness.close();
    payment.stop();
  });

  async function eventually(status: number, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = await harness.call('GET', '/readyz');
      if (reply.status === status) return reply;
      if (Date.now() > deadline) throw new Error(`/readyz was ${reply.status} (${reply.text}), not ${status}, for ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('is 503 naming payment while payment is down, and 200 again once it is back', async () => {
    expect((await eventually(200)).body).toEqual({ status: 'ready', checks: { database: 'ok', payment: 'ok' } });
    payment.stop();
    expect((await eventually(503)).body).toEqual({ status: 'not_ready', checks: { database: 'ok', payment: 'failing' } });
    await payment.start();
    await eventually(200);
  });

  it('stays 200 while payment is only slow to answer its health check', async () => {
    await eventually(200);
    payment.mode = 'hang';
    try {
      for (let i = 0; i < 3; i++) {
        const reply = await harness.call('GET', '/readyz');
        expect(reply.status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
      expect((await harness.call('GET', '/readyz')).body).toMatchObject({ checks: { payment: 'slow' } });
    } finally {
      payment.mode = 'serving';
    }
  });
});
