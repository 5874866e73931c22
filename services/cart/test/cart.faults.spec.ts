import { Client } from 'pg';
import { GrpcStatus, grpcError } from '@checkout-lab/contracts';
import { startCart, type CartHarness } from './harness';

let h: CartHarness;
let keySeq = 0;
const newKey = () => `faults-${process.pid}-${++keySeq}`;

beforeAll(async () => {
  h = await startCart({ DB_STATEMENT_TIMEOUT_MS: '500', DB_CONNECT_TIMEOUT_MS: '1000', DB_POOL_MAX: '4' });
});

afterAll(() => h?.close());

beforeEach(() => {
  h.payment.requests.length = 0;
  h.payment.behaviour = async (r) => ({ paymentId: `pay-${r.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi' });
});

async function newCart(items: { sku: string; quantity: number; unitPriceCents: number }[] = [{ sku: 'A', quantity: 2, unitPriceCents: 500 }]) {
  const { body } = await h.call('POST', '/carts', { userId: 'user-1' });
  for (const item of items) expect((await h.call('POST', `/carts/${body.cartId}/items`, item)).status).toBe(201);
  return body.cartId as string;
}

async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: h.databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('cart-db faults', () => {
  it('keeps serving after PostgreSQL terminates its idle pooled connections', async () => {
    // Fill the pool with idle connections.
    await Promise.all(Array.from({ length: 4 }, () => newCart()));
    const dbName = new URL(h.databaseUrl).pathname.slice(1);
    const terminated = await admin(async (c) => {
      const { rows } = await c.query<{ n: string }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity
          WHERE datname = $1 AND state = 'idle' AND application_name = 'cart' AND pid <> pg_backend_pid()`,
        [dbName],
      );
      return Number(rows[0]?.n);
    });
    expect(terminated).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the pool see the closed sockets
    // The process is still here (an unhandled pool 'error' would have ended this test run) and serves.
    const cartId = await newCart();
    const paid = await h.call('POST', `/carts/${cartId}/checkout`, {}, { 'idempotency-key': newKey() });
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('paid');
  });

  it('answers 504 naming cart-db while a table is locked, then recovers', async () => {
    const cartId = await newCart();
    const locker = new Client({ connectionString: h.databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE carts IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const [read, create] = await Promise.all([h.call('GET', `/carts/${cartId}`), h.call('POST', '/carts', { userId: 'user-2' })]);
      const elapsed = Date.now() - started;
      for (const result of [read, create]) {
        expect(result.status).toBe(504);
        expect(result.body.error).toMatchObject({ code: 'dependency_timeout', details: { dependency: 'cart-db' } });
      }
      // Well within the statement timeout plus its backstop, not hanging.
      expect(elapsed).toBeLessThan(5000);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect((await h.call('GET', `/carts/${cartId}`)).status).toBe(200);
  });
});

describe('no stuck carts', () => {
  it('refuses an unknown payment method with 422, records the order failed and lets a fixed request pay', async () => {
    const cartId = await newCart();
    const key = newKey();
    h.payment.behaviour = async () =>
      grpcError(GrpcStatus.FAILED_PRECONDITION, 'no such payment method', { reason: 'payment_method_invalid' });
    const failed = await h.call('POST', `/carts/${cartId}/checkout`, { paymentMethod: 'pm_card_nosuchbrand' }, { 'idempotency-key': key });
    expect(failed.status).toBe(422);
    expect(failed.body.error.code).toBe('payment_method_invalid');

    // The same key replays the failure without calling payment again.
    const replay = await h.call('POST', `/carts/${cartId}/checkout`, { paymentMethod: 'pm_card_nosuchbrand' }, { 'idempotency-key': key });
    expect(replay.status).toBe(422);
    expect(replay.body.error.code).toBe('payment_method_invalid');
    expect(h.payment.requests).toHaveLength(1);

    // The cart is not locked: items can change, and a new key with a good method pays.
    expect((await h.call('POST', `/carts/${cartId}/items`, { sku: 'B', quantity: 1, unitPriceCents: 100 })).status).toBe(201);
    h.payment.behaviour = async (r) => ({ paymentId: `pay-${r.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi' });
    const paid = await h.call('POST', `/carts/${cartId}/checkout`, { paymentMethod: 'pm_card_visa' }, { 'idempotency-key': newKey() });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', amountCents: 1100 });
  });

  it('maps INVALID_ARGUMENT from payment to 422 payment_rejected, not to an outage', async () => {
    const cartId = await newCart();
    h.payment.behaviour = async () => grpcError(GrpcStatus.INVALID_ARGUMENT, 'bad');
    const failed = await h.call('POST', `/carts/${cartId}/checkout`, {}, { 'idempotency-key': newKey() });
    expect(failed.status).toBe(422);
    expect(failed.body.error.code).toBe('payment_rejected');
    const orders = await admin((c) => c.query('SELECT status, failure_code FROM orders WHERE cart_id = $1', [cartId]));
    expect(orders.rows).toEqual([{ status: 'failed', failure_code: 'payment_rejected' }]);
    h.payment.behaviour = async (r) => ({ paymentId: `pay-${r.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi' });
    expect((await h.call('POST', `/carts/${cartId}/checkout`, {}, { 'idempotency-key': newKey() })).status).toBe(200);
  });

  it('limits the summed quantity of one SKU and the cart total, leaving the cart as it was', async () => {
    const cartId = await newCart([{ sku: 'A', quantity: 600, unitPriceCents: 100 }]);
    const more = await h.call('POST', `/carts/${cartId}/items`, { sku: 'A', quantity: 401, unitPriceCents: 100 });
    expect(more.status).toBe(422);
    expect(more.body.error.code).toBe('quantity_too_large');
    const big = await h.call('POST', `/carts/${cartId}/items`, { sku: 'B', quantity: 100, unitPriceCents: 1_000_000 });
    expect(big.status).toBe(422);
    expect(big.body.error.code).toBe('amount_too_large');
    const cart = await h.call('GET', `/carts/${cartId}`);
    expect(cart.body.items).toEqual([{ sku: 'A', quantity: 600, unitPriceCents: 100 }]);
    expect((await h.call('POST', `/carts/${cartId}/items`, { sku: 'A', quantity: 400, unitPriceCents: 100 })).status).toBe(201);
    expect(h.payment.requests).toHaveLength(0);
  });

  it('refuses at checkout a cart whose total is over the provider limit, before payment is called', async () => {
    const cartId = await newCart([{ sku: 'A', quantity: 1, unitPriceCents: 100 }]);
    // A cart from before the add-time limit: written directly.
    await admin((c) => c.query('UPDATE cart_items SET quantity = 1000, unit_price_cents = 1000000 WHERE cart_id = $1', [cartId]));
    const result = await h.call('POST', `/carts/${cartId}/checkout`, {}, { 'idempotency-key': newKey() });
    expect(result.status).toBe(422);
    expect(result.body.error.code).toBe('amount_too_large');
    expect(h.payment.requests).toHaveLength(0);
    const orders = await admin((c) => c.query('SELECT 1 FROM orders WHERE cart_id = $1', [cartId]));
    expect(orders.rowCount).toBe(0);
  });
});
