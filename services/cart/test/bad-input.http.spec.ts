import { Client } from 'pg';
import { startCart, type CartHarness } from './harness';

/**
 * Bad input over HTTP: each class gets a 4xx in the documented error shape, never a 5xx, never an
 * echo of what was sent, and changes nothing (no cart, item or order; payment is never called).
 */
let h: CartHarness;
let db: Client;
let cartId: string;
let paidCartId: string;
const KB = 1024;

beforeAll(async () => {
  h = await startCart({ BODY_LIMIT_BYTES: String(16 * KB) });
  db = new Client({ connectionString: h.databaseUrl });
  await db.connect();
  cartId = (await h.call('POST', '/carts', { userId: 'user-1' })).body.cartId as string;
  await h.call('POST', `/carts/${cartId}/items`, { sku: 'A', quantity: 2, unitPriceCents: 100 });
  paidCartId = (await h.call('POST', '/carts', { userId: 'user-2' })).body.cartId as string;
  await h.call('POST', `/carts/${paidCartId}/items`, { sku: 'A', quantity: 1, unitPriceCents: 100 });
  expect((await h.call('POST', `/carts/${paidCartId}/checkout`, {}, { 'idempotency-key': 'paid-once' })).status).toBe(200);
});

afterAll(async () => {
  await db?.end();
  await h?.close();
});

async function state(): Promise<string> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM carts) AS carts,
            (SELECT coalesce(sum(quantity), 0) FROM cart_items) AS quantity,
            (SELECT count(*) FROM orders) AS orders`,
  );
  return JSON.stringify(rows[0]);
}

type Case = {
  method: string;
  path: () => string;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  code: string;
};

const json = { 'content-type': 'application/json' };
const key = { 'idempotency-key': 'bad-input-key' };
const cart = () => `/carts/${cartId}`;
const items = () => `/carts/${cartId}/items`;
const checkout = () => `/carts/${cartId}/checkout`;
const item = (override: Record<string, unknown>) => ({ sku: 'B', quantity: 1, unitPriceCents: 100, ...override });

const CASES: [string, Case][] = [
  // POST /carts
  ['userId with a NUL', { method: 'POST', path: () => '/carts', body: { userId: 'user\u00001' }, status: 400, code: 'invalid_request' }],
  ['userId with a newline', { method: 'POST', path: () => '/carts', body: { userId: 'user\n1' }, status: 400, code: 'invalid_request' }],
  ['userId blank', { method: 'POST', path: () => '/carts', body: { userId: '   ' }, status: 400, code: 'invalid_request' }],
  ['userId over 200 characters', { method: 'POST', path: () => '/carts', body: { userId: 'u'.repeat(201) }, status: 400, code: 'invalid_request' }],
  ['userId a number', { method: 'POST', path: () => '/carts', body: { userId: 7 }, status: 400, code: 'invalid_request' }],
  ['userId null', { method: 'POST', path: () => '/carts', body: { userId: null }, status: 400, code: 'invalid_request' }],
  ['userId missing', { method: 'POST', path: () => '/carts', body: {}, status: 400, code: 'invalid_request' }],
  ['an unknown field', { method: 'POST', path: () => '/carts', body: { userId: 'u', role: 'admin' }, status: 400, code: 'invalid_request' }],
  ['a JSON array body', { method: 'POST', path: () => '/carts', body: '[1,2]', status: 400, code: 'invalid_request' }],
  ['a JSON string body', { method: 'POST', path: () => '/carts', body: '"user-1"', status: 400, code: 'invalid_request' }],
  ['malformed JSON', { method: 'POST', path: () => '/carts', body: '{"userId":', status: 400, code: 'malformed_json' }],
  ['an empty JSON body', { method: 'POST', path: () => '/carts', body: '', headers: json, status: 400, code: 'malformed_json' }],
  ['a form-encoded body', { method: 'POST', path: () => '/carts', body: 'userId=user-1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' }],
  ['a text/plain body', { method: 'POST', path: () => '/carts', body: '{"userId":"user-1"}', headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' }],
  ['a body over the limit', { method: 'POST', path: () => '/carts', body: { userId: 'u', pad: 'x'.repeat(20 * KB) }, status: 413, code: 'payload_too_large' }],
  // POST /carts/:id/items
  ['quantity 0', { method: 'POST', path: items, body: item({ quantity: 0 }), status: 400, code: 'invalid_request' }],
  ['quantity over 1000', { method: 'POST', path: items, body: item({ quantity: 1001 }), status: 400, code: 'invalid_request' }],
  ['quantity fractional', { method: 'POST', path: items, body: item({ quantity: 1.5 }), status: 400, code: 'invalid_request' }],
  ['quantity a string', { method: 'POST', path: items, body: item({ quantity: '1' }), status: 400, code: 'invalid_request' }],
  ['quantity huge', { method: 'POST', path: items, body: item({ quantity: 1e300 }), status: 400, code: 'invalid_request' }],
  ['unitPriceCents negative', { method: 'POST', path: items, body: item({ unitPriceCents: -1 }), status: 400, code: 'invalid_request' }],
  ['unitPriceCents over 1 000 000', { method: 'POST', path: items, body: item({ unitPriceCents: 1_000_001 }), status: 400, code: 'invalid_request' }],
  ['sku with a NUL', { method: 'POST', path: items, body: item({ sku: 'B\u0000' }), status: 400, code: 'invalid_request' }],
  ['sku over 64 characters', { method: 'POST', path: items, body: item({ sku: 'S'.repeat(65) }), status: 400, code: 'invalid_request' }],
  ['sku with a slash', { method: 'POST', path: items, body: item({ sku: '../etc' }), status: 400, code: 'invalid_request' }],
  ['summed quantity over 1000', { method: 'POST', path: items, body: item({ sku: 'A', quantity: 999 }), status: 422, code: 'quantity_too_large' }],
  ['cart total over the provider limit', { method: 'POST', path: items, body: item({ quantity: 1000, unitPriceCents: 1_000_000 }), status: 422, code: 'amount_too_large' }],
  ['items for an unknown cart', { method: 'POST', path: () => '/carts/00000000-0000-4000-8000-000000000000/items', body: item({}), status: 404, code: 'cart_not_found' }],
  ['items for a cart id with a NUL', { method: 'POST', path: () => '/carts/abc%00def/items', body: item({}), status: 404, code: 'cart_not_found' }],
  ['items for a paid cart', { method: 'POST', path: () => `/carts/${paidCartId}/items`, body: item({}), status: 409, code: 'cart_checked_out' }],
  // Paths and methods
  ['a 10 KB path parameter', { method: 'GET', path: () => `/carts/${'x'.repeat(10 * KB)}`, status: 414, code: 'uri_too_long' }],
  ['a 10 KB order id', { method: 'GET', path: () => `/orders/${'x'.repeat(10 * KB)}`, status: 414, code: 'uri_too_long' }],
  ['a malformed percent-encoding', { method: 'GET', path: () => '/carts/%E0%A4%A', status: 400, code: 'invalid_request' }],
  ['DELETE on a cart', { method: 'DELETE', path: cart, status: 405, code: 'method_not_allowed' }],
  ['PUT on /carts', { method: 'PUT', path: () => '/carts', body: { userId: 'u' }, status: 405, code: 'method_not_allowed' }],
  ['GET on checkout', { method: 'GET', path: checkout, status: 405, code: 'method_not_allowed' }],
  ['PATCH on an order', { method: 'PATCH', path: () => '/orders/00000000-0000-4000-8000-000000000000', body: {}, status: 405, code: 'method_not_allowed' }],
  ['an unknown route', { method: 'GET', path: () => '/admin', status: 404, code: 'not_found' }],
  ['an order id with a NUL', { method: 'GET', path: () => '/orders/%00', status: 404, code: 'order_not_found' }],
  // Checkout
  ['checkout without Idempotency-Key', { method: 'POST', path: checkout, body: {}, status: 400, code: 'idempotency_key_required' }],
  ['checkout with an empty Idempotency-Key', { method: 'POST', path: checkout, body: {}, headers: { 'idempotency-key': '' }, status: 400, code: 'invalid_request' }],
  ['checkout with a 300-character Idempotency-Key', { method: 'POST', path: checkout, body: {}, headers: { 'idempotency-key': 'k'.repeat(300) }, status: 400, code: 'invalid_request' }],
  ['checkout with spaces in the Idempotency-Key', { method: 'POST', path: checkout, body: {}, headers: { 'idempotency-key': 'my key' }, status: 400, code: 'invalid_request' }],
  ['checkout with a card number as payment method', { method: 'POST', path: checkout, body: { paymentMethod: '4242424242424242' }, headers: key, status: 400, code: 'invalid_request' }],
  ['checkout with a NUL in the payment method', { method: 'POST', path: checkout, body: { paymentMethod: 'pm_card_visa\u0000' }, headers: key, status: 400, code: 'invalid_request' }],
  ['checkout with a payment method over 100 characters', { method: 'POST', path: checkout, body: { paymentMethod: `pm_${'a'.repeat(101)}` }, headers: key, status: 400, code: 'invalid_request' }],
  ['checkout with an unknown field', { method: 'POST', path: checkout, body: { amountCents: 1 }, headers: key, status: 400, code: 'invalid_request' }],
  ['checkout of an unknown cart', { method: 'POST', path: () => '/carts/00000000-0000-4000-8000-000000000000/checkout', body: {}, headers: key, status: 404, code: 'cart_not_found' }],
];

describe('bad input over HTTP', () => {
  it('covers at least 40 classes', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s', async (_what, c) => {
    const before = await state();
    const requests = h.payment.requests.length;
    const result = await h.call(c.method, c.path(), c.body, { ...(c.headers ?? {}) });
    expect(result.status).toBeLessThan(500);
    expect({ status: result.status, code: result.body.error?.code }).toEqual({ status: c.status, code: c.code });
    expect(Object.keys(result.body)).toEqual(['error']);
    expect(typeof result.body.error.message).toBe('string');
    expect(result.text).not.toMatch(/at .+\.(ts|js):\d+/);
    expect(result.text.length).toBeLessThan(2 * KB); // never echoes a long input back
    if (c.status === 405) expect(result.headers.get('allow')).toMatch(/^[A-Z, ]+$/);
    expect(await state()).toBe(before);
    expect(h.payment.requests.length).toBe(requests);
  });
});
