import { GrpcStatus, grpcError } from '@checkout-lab/contracts';
import { createTestDatabase } from '@checkout-lab/testing';
import { startCartService, type RunningCartService } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import { FakePaymentServer } from './fake-payment.server';

let cart: RunningCartService;
let payment: FakePaymentServer;
let keySeq = 0;
const newKey = () => `test-key-${process.pid}-${++keySeq}`;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${cart.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

async function cartWithItems(userId = 'user-1'): Promise<string> {
  const { body } = await call('POST', '/carts', { userId });
  await call('POST', `/carts/${body.cartId}/items`, { sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 });
  await call('POST', `/carts/${body.cartId}/items`, { sku: 'SKU-2', quantity: 1, unitPriceCents: 500 });
  return body.cartId as string;
}

const checkout = (cartId: string, key?: string, body: unknown = {}) =>
  call('POST', `/carts/${cartId}/checkout`, body, key === undefined ? {} : { 'idempotency-key': key });

beforeAll(async () => {
  payment = new FakePaymentServer();
  const target = await payment.start();
  cart = await startCartService(
    loadConfig({
      DATABASE_URL: await createTestDatabase('cart'),
      CART_HTTP_PORT: '0',
      PAYMENT_GRPC_TARGET: target,
      PAYMENT_DEADLINE_MS: '300',
      BODY_LIMIT_BYTES: '1024',
      LOG_LEVEL: 'silent',
    }),
  );
});

afterAll(async () => {
  await cart?.close();
  await payment?.stop();
});

beforeEach(() => {
  payment.requests.length = 0;
  payment.behaviour = async (request) => ({ paymentId: `pay-${request.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi_fake' });
});

describe('carts', () => {
  it('creates a cart, adds items (same SKU adds up) and totals them', async () => {
    const { status, body } = await call('POST', '/carts', { userId: 'user-7' });
    expect(status).toBe(201);
    await call('POST', `/carts/${body.cartId}/items`, { sku: 'A', quantity: 1, unitPriceCents: 300 });
    const added = await call('POST', `/carts/${body.cartId}/items`, { sku: 'A', quantity: 2, unitPriceCents: 300 });
    expect(added.status).toBe(201);
    const got = await call('GET', `/carts/${body.cartId}`);
    expect(got).toEqual({
      status: 200,
      body: { cartId: body.cartId, userId: 'user-7', status: 'open', items: [{ sku: 'A', quantity: 3, unitPriceCents: 300 }], totalCents: 900 },
    });
  });
});

describe('checkout', () => {
  it('pays the order through payment and reports it', async () => {
    const cartId = await cartWithItems();
    const key = newKey();
    const { status, body } = await checkout(cartId, key);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'paid', paymentId: `pay-${key}`, amountCents: 3000, currency: 'usd' });
    expect(payment.requests).toHaveLength(1);
    expect(payment.requests[0]).toMatchObject({ userId: 'user-1', amountCents: 3000, paymentMethod: 'pm_card_visa', idempotencyKey: key });
    const order = await call('GET', `/orders/${body.orderId}`);
    expect(order.body).toMatchObject({ orderId: body.orderId, status: 'paid', cartId, amountCents: 3000 });
    expect((await call('GET', `/carts/${cartId}`)).body.status).toBe('checked_out');
  });

  it('replays the same key without calling payment again', async () => {
    const cartId = await cartWithItems();
    const key = newKey();
    const first = await checkout(cartId, key);
    const second = await checkout(cartId, key);
    expect(second).toEqual(first);
    expect(payment.requests).toHaveLength(1);
  });

  it('lets concurrent requests with one key charge once', async () => {
    const cartId = await cartWithItems();
    const key = newKey();
    payment.behaviour = async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { paymentId: `pay-${request.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi_fake' };
    };
    const results = await Promise.all([checkout(cartId, key), checkout(cartId, key), checkout(cartId, key)]);
    expect(payment.requests).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'checkout_in_progress')).toBe(true);
    expect((await checkout(cartId, key)).body.status).toBe('paid');
  });

  it('refuses the same key with a different request', async () => {
    const cartId = await cartWithItems();
    const key = newKey();
    await checkout(cartId, key);
    const other = await checkout(cartId, key, { paymentMethod: 'pm_card_mastercard' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(payment.requests).toHaveLength(1);
  });

  it('records a decline and keeps the cart open for another attempt', async () => {
    const cartId = await cartWithItems();
    payment.behaviour = async () =>
      grpcError(GrpcStatus.FAILED_PRECONDITION, 'card declined', { reason: 'card_declined', paymentId: 'pay-d', declineCode: 'insufficient_funds' });
    const declined = await checkout(cartId, newKey(), { paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' });
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ status: 'declined', paymentId: 'pay-d', declineCode: 'insufficient_funds' });
    expect((await call('GET', `/orders/${declined.body.orderId}`)).body.status).toBe('declined');
    payment.behaviour = async (r) => ({ paymentId: `pay-${r.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi' });
    expect((await checkout(cartId, newKey())).body.status).toBe('paid');
  });

  it('answers 503 naming billing-address when payment reports it unavailable, and a retry with the key succeeds', async () => {
    const cartId = await cartWithItems();
    const key = newKey();
    payment.behaviour = async () => grpcError(GrpcStatus.UNAVAILABLE, 'billing-address is unavailable', { failedDependency: 'billing-address' });
    const failed = await checkout(cartId, key);
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatchObject({ code: 'dependency_unavailable', details: { dependency: 'billing-address' } });
    expect(failed.body.error.message).toContain('billing-address');
    const order = await call('GET', `/orders/${(await call('GET', `/carts/${cartId}`)).body.cartId}`);
    expect(order.status).toBe(404); // a cart id is not an order id: nothing leaks across
    payment.behaviour = async (r) => ({ paymentId: `pay-${r.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi' });
    const retried = await checkout(cartId, key);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('paid');
  });

  it('answers 504 naming payment when payment is slower than its deadline', async () => {
    const cartId = await cartWithItems();
    payment.behaviour = async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 600));
      return { paymentId: `pay-${r.idempotencyKey}`, status: 'succeeded', stripePaymentIntentId: 'pi' };
    };
    const slow = await checkout(cartId, newKey());
    expect(slow.status).toBe(504);
    expect(slow.body.error).toMatchObject({ code: 'dependency_timeout', details: { dependency: 'payment' } });
  });

  it('blocks a second key while the first checkout of the cart is unfinished', async () => {
    const cartId = await cartWithItems();
    payment.behaviour = async () => grpcError(GrpcStatus.UNAVAILABLE, 'stripe is unavailable', { failedDependency: 'stripe' });
    const first = await checkout(cartId, newKey());
    expect(first.body.error.details.dependency).toBe('stripe');
    const second = await checkout(cartId, newKey());
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('checkout_in_progress');
  });

  it('explains a missing billing address without recording a payment', async () => {
    const cartId = await cartWithItems('user-without-address');
    payment.behaviour = async () =>
      grpcError(GrpcStatus.FAILED_PRECONDITION, 'no address', { reason: 'billing_address_missing' });
    const result = await checkout(cartId, newKey());
    expect(result.status).toBe(422);
    expect(result.body.error.code).toBe('billing_address_missing');
  });

  it('refuses items once the cart is paid', async () => {
    const cartId = await cartWithItems();
    await checkout(cartId, newKey());
    const late = await call('POST', `/carts/${cartId}/items`, { sku: 'LATE', quantity: 1, unitPriceCents: 100 });
    expect(late.status).toBe(409);
    expect((await checkout(cartId, newKey())).body.error.code).toBe('cart_checked_out');
  });

  it('never lets concurrent adds of one SKU pass the quantity limit together', async () => {
    const { body } = await call('POST', '/carts', { userId: 'user-3' });
    const add = () => call('POST', `/carts/${body.cartId}/items`, { sku: 'BULK', quantity: 300, unitPriceCents: 100 });
    // 8 × 300 would be 2400; the cart holds at most 1000 of one SKU, so exactly 3 adds fit.
    const results = await Promise.all(Array.from({ length: 8 }, add));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'quantity_too_large')).toBe(true);
    const view = await call('GET', `/carts/${body.cartId}`);
    expect(view.body.items).toEqual([{ sku: 'BULK', quantity: 900, unitPriceCents: 100 }]);
  });

  it('answers an add with the whole cart as it now is, in the order items were added', async () => {
    const { body } = await call('POST', '/carts', { userId: 'user-4' });
    await call('POST', `/carts/${body.cartId}/items`, { sku: 'B', quantity: 1, unitPriceCents: 200 });
    const added = await call('POST', `/carts/${body.cartId}/items`, { sku: 'A', quantity: 2, unitPriceCents: 100 });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      cartId: body.cartId,
      userId: 'user-4',
      status: 'open',
      items: [
        { sku: 'B', quantity: 1, unitPriceCents: 200 },
        { sku: 'A', quantity: 2, unitPriceCents: 100 },
      ],
      totalCents: 400,
    });
    expect((await call('GET', `/carts/${body.cartId}`)).body).toEqual(added.body);
  });
});

describe('bad input gets a clear answer and changes nothing', () => {
  it.each([
    ['malformed JSON', 'POST', '/carts', '{"userId": ', 400, 'malformed_json'],
    ['wrong type', 'POST', '/carts', { userId: 42 }, 400, 'invalid_request'],
    ['unknown field', 'POST', '/carts', { userId: 'u', admin: true }, 400, 'invalid_request'],
    ['unknown route', 'GET', '/nope', undefined, 404, 'not_found'],
    ['unknown cart (uuid)', 'GET', '/carts/00000000-0000-4000-8000-000000000000', undefined, 404, 'cart_not_found'],
    ['unknown cart (not a uuid)', 'GET', '/carts/abc', undefined, 404, 'cart_not_found'],
    ['unknown order', 'GET', '/orders/00000000-0000-4000-8000-000000000000', undefined, 404, 'order_not_found'],
    ['body over the limit', 'POST', '/carts', { userId: 'x'.repeat(2000) }, 413, 'payload_too_large'],
  ])('%s', async (_what, method, path, body, status, code) => {
    const result = await call(method, path, body);
    expect(result.status).toBe(status);
    expect(result.body.error.code).toBe(code);
    expect(typeof result.body.error.message).toBe('string');
    expect(JSON.stringify(result.body)).not.toMatch(/at .+\.(ts|js):\d+/);
  });

  it.each([
    [{ sku: 'A', quantity: 0, unitPriceCents: 100 }, 'quantity'],
    [{ sku: 'A', quantity: -1, unitPriceCents: 100 }, 'quantity'],
    [{ sku: 'A', quantity: 1.5, unitPriceCents: 100 }, 'quantity'],
    [{ sku: 'A', quantity: 1, unitPriceCents: 0 }, 'unitPriceCents'],
    [{ sku: 'A', quantity: 1, unitPriceCents: -5 }, 'unitPriceCents'],
    [{ sku: '', quantity: 1, unitPriceCents: 5 }, 'sku'],
    [{ sku: 'A', quantity: '1', unitPriceCents: 5 }, 'quantity'],
  ])('rejects item %j naming %s, and the cart is unchanged', async (item, field) => {
    const { body } = await call('POST', '/carts', { userId: 'user-1' });
    const result = await call('POST', `/carts/${body.cartId}/items`, item);
    expect(result.status).toBe(400);
    expect(result.body.error.details.problems.map((p: { field: string }) => p.field)).toContain(field);
    expect((await call('GET', `/carts/${body.cartId}`)).body.items).toEqual([]);
  });

  it('requires an Idempotency-Key for checkout', async () => {
    const cartId = await cartWithItems();
    const result = await checkout(cartId, undefined);
    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe('idempotency_key_required');
    expect(payment.requests).toHaveLength(0);
  });

  it('refuses to check out an empty cart', async () => {
    const { body } = await call('POST', '/carts', { userId: 'user-1' });
    const result = await checkout(body.cartId, newKey());
    expect(result.status).toBe(422);
    expect(result.body.error.code).toBe('cart_empty');
    expect(payment.requests).toHaveLength(0);
  });

  it('rejects an invalid payment method', async () => {
    const cartId = await cartWithItems();
    const result = await checkout(cartId, newKey(), { paymentMethod: '4242424242424242' });
    expect(result.status).toBe(400);
    expect(payment.requests).toHaveLength(0);
  });
});
