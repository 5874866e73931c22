// Cart's pending orders follow their payment without a client: one pass of the reconciler asks
// payment (a fake over real gRPC) what became of each idle pending order and records it.
import { Pool } from 'pg';
import pino from 'pino';
import { GrpcStatus, grpcError } from '@checkout-lab/contracts';
import { CheckoutReconciler } from '../src/checkout/checkout.reconciler';
import { GrpcPaymentAuthorizer } from '../src/checkout/payment.client';
import { OrdersRepository } from '../src/orders/orders.repository';
import { FakePaymentServer } from './fake-payment.server';
import { startCart, type CartHarness } from './harness';

let h: CartHarness;
let payment: FakePaymentServer;
let authorizer: GrpcPaymentAuthorizer;
let pool: Pool;
let reconciler: CheckoutReconciler;

beforeAll(async () => {
  payment = new FakePaymentServer();
  const target = await payment.start();
  // The service's own reconciler is off: the test drives single passes on the same database.
  h = await startCart({ PAYMENT_GRPC_TARGET: target, CART_RECONCILE_INTERVAL_MS: '0' });
  pool = new Pool({ connectionString: h.databaseUrl, max: 2 });
  authorizer = new GrpcPaymentAuthorizer(target, 2000);
  reconciler = new CheckoutReconciler(new OrdersRepository(pool), authorizer, { intervalMs: 0, afterMs: 60_000, leaseMs: 7000 }, pino({ level: 'silent' }));
});

afterAll(async () => {
  authorizer?.close();
  await pool?.end();
  await h?.close();
  await payment?.stop();
});

beforeEach(() => {
  payment.behaviour = async (r) => ({ paymentId: `pay-${r.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi_fake' });
  payment.resolveBehaviour = async () => ({ status: 'pending' });
});

let seq = 0;
const newKey = () => `reconcile-${process.pid}-${++seq}`;

async function cartWithItem(): Promise<string> {
  const cart = await h.call('POST', '/carts', { userId: 'user-1' });
  await h.call('POST', `/carts/${cart.body['cartId']}/items`, { sku: 'SKU-1', quantity: 1, unitPriceCents: 1500 });
  return cart.body['cartId'] as string;
}

/** A pending order as a killed payment leaves it: its checkout got 503, nobody retried, and it has been idle for an hour. */
async function strandedOrder(): Promise<{ cartId: string; key: string; orderId: string }> {
  const cartId = await cartWithItem();
  const key = newKey();
  payment.behaviour = async () => grpcError(GrpcStatus.UNAVAILABLE, 'payment went away');
  const checkout = await h.call('POST', `/carts/${cartId}/checkout`, {}, { 'idempotency-key': key });
  expect(checkout.status).toBe(503);
  payment.behaviour = async (r) => ({ paymentId: `pay-${r.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi_fake' });
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE orders SET updated_at = now() - interval '1 hour', locked_until = NULL WHERE idempotency_key = $1 AND status = 'pending' RETURNING id`,
    [key],
  );
  const orderId = rows[0]?.id;
  if (!orderId) throw new Error('no pending order');
  return { cartId, key, orderId };
}

const order = async (orderId: string) => (await h.call('GET', `/orders/${orderId}`)).body;

describe('the checkout reconciler', () => {
  it('marks paid, in one pass, a pending order whose payment succeeded; a replay of its key then returns the paid result without calling Authorize', async () => {
    const stranded = await strandedOrder();
    payment.resolveBehaviour = async (r) =>
      r.idempotencyKey === stranded.key ? { status: 'succeeded', paymentId: 'pay-recovered', stripePaymentIntentId: 'pi_recovered' } : { status: 'pending' };

    const counts = await reconciler.runOnce();

    expect(counts.paid).toBe(1);
    expect(payment.resolveRequests.at(-1)).toMatchObject({ orderId: stranded.orderId, idempotencyKey: stranded.key, amountCents: 1500, userId: 'user-1' });
    expect(await order(stranded.orderId)).toMatchObject({ status: 'paid', paymentId: 'pay-recovered' });
    const authorizes = payment.requests.length;
    const replay = await h.call('POST', `/carts/${stranded.cartId}/checkout`, {}, { 'idempotency-key': stranded.key });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ orderId: stranded.orderId, status: 'paid', paymentId: 'pay-recovered' });
    expect(payment.requests.length).toBe(authorizes);
    expect((await h.call('GET', `/carts/${stranded.cartId}`)).body['status']).toBe('checked_out');
  });

  it('fails, in one pass, a pending order whose payment was released; its key replays 422 payment_expired and the cart takes a new checkout', async () => {
    const stranded = await strandedOrder();
    payment.resolveBehaviour = async (r) =>
      r.idempotencyKey === stranded.key ? { status: 'canceled', paymentId: 'pay-released', cancelReason: 'abandoned' } : { status: 'pending' };

    const counts = await reconciler.runOnce();

    expect(counts.failed).toBe(1);
    expect(await order(stranded.orderId)).toMatchObject({ status: 'failed', failureCode: 'payment_expired' });
    const replay = await h.call('POST', `/carts/${stranded.cartId}/checkout`, {}, { 'idempotency-key': stranded.key });
    expect(replay.status).toBe(422);
    expect(replay.body['error']).toMatchObject({ code: 'payment_expired' });
    const again = await h.call('POST', `/carts/${stranded.cartId}/checkout`, {}, { 'idempotency-key': newKey() });
    expect(again.status).toBe(200);
    expect(again.body['status']).toBe('paid');
  });

  it('fails an order payment has never heard of (unknown), freeing its cart', async () => {
    const stranded = await strandedOrder();
    payment.resolveBehaviour = async (r) =>
      r.idempotencyKey === stranded.key ? { status: 'unknown', paymentId: 'pay-tombstone', cancelReason: 'abandoned' } : { status: 'pending' };
    await reconciler.runOnce();
    expect(await order(stranded.orderId)).toMatchObject({ status: 'failed', failureCode: 'payment_expired' });
    expect((await h.call('POST', `/carts/${stranded.cartId}/items`, { sku: 'SKU-2', quantity: 1, unitPriceCents: 100 })).status).toBe(201);
  });

  it('records a decline payment resolved', async () => {
    const stranded = await strandedOrder();
    payment.resolveBehaviour = async (r) =>
      r.idempotencyKey === stranded.key ? { status: 'declined', paymentId: 'pay-declined', declineCode: 'insufficient_funds' } : { status: 'pending' };
    await reconciler.runOnce();
    expect(await order(stranded.orderId)).toMatchObject({ status: 'declined', declineCode: 'insufficient_funds' });
  });

  it('leaves the order pending, with its lease given back, when payment is unreachable or not decided yet', async () => {
    const unreachable = await strandedOrder();
    const undecided = await strandedOrder();
    payment.resolveBehaviour = async (r) =>
      r.idempotencyKey === unreachable.key ? grpcError(GrpcStatus.UNAVAILABLE, 'stripe is down', { failedDependency: 'stripe' }) : { status: 'pending' };
    const counts = await reconciler.runOnce();
    expect(counts).toMatchObject({ unreachable: 1, pending: 1 });
    for (const stranded of [unreachable, undecided]) {
      expect(await order(stranded.orderId)).toMatchObject({ status: 'pending' });
      const { rows } = await pool.query('SELECT locked_until FROM orders WHERE id = $1', [stranded.orderId]);
      expect(rows[0]).toEqual({ locked_until: null });
      // The client's retry can go ahead at once.
      const retry = await h.call('POST', `/carts/${stranded.cartId}/checkout`, {}, { 'idempotency-key': stranded.key });
      expect(retry.body['status']).toBe('paid');
    }
  });

  it('does not touch an order whose lease is held, nor one touched recently', async () => {
    const held = await strandedOrder();
    await pool.query(`UPDATE orders SET locked_until = now() + interval '1 hour' WHERE id = $1`, [held.orderId]);
    const recent = await strandedOrder();
    await pool.query(`UPDATE orders SET updated_at = now() WHERE id = $1`, [recent.orderId]);
    payment.resolveBehaviour = async () => ({ status: 'canceled', paymentId: 'pay-x', cancelReason: 'abandoned' });
    const asked = payment.resolveRequests.length;

    await reconciler.runOnce();

    expect(payment.resolveRequests.slice(asked).map((r) => r.orderId)).not.toContain(held.orderId);
    expect(payment.resolveRequests.slice(asked).map((r) => r.orderId)).not.toContain(recent.orderId);
    expect(await order(held.orderId)).toMatchObject({ status: 'pending' });
    expect(await order(recent.orderId)).toMatchObject({ status: 'pending' });
  });
});

describe('checkout when payment answers payment_expired', () => {
  it('ends the order failed with 422 payment_expired and frees the cart', async () => {
    const cartId = await cartWithItem();
    payment.behaviour = async () => grpcError(GrpcStatus.FAILED_PRECONDITION, 'released', { reason: 'payment_expired', paymentId: 'pay-gone' });
    const key = newKey();
    const checkout = await h.call('POST', `/carts/${cartId}/checkout`, {}, { 'idempotency-key': key });
    expect(checkout.status).toBe(422);
    expect(checkout.body['error']).toMatchObject({ code: 'payment_expired' });
    payment.behaviour = async (r) => ({ paymentId: `pay-${r.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi' });
    expect((await h.call('POST', `/carts/${cartId}/checkout`, {}, { 'idempotency-key': newKey() })).body['status']).toBe('paid');
  });
});
