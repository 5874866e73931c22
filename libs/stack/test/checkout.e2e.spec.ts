import { Client } from 'pg';
import Stripe from 'stripe';
import { migrateBillingSchema, seedBillingAddresses } from '@checkout-lab/billing-store';
import { isServing } from '@checkout-lab/contracts';
import { freePort } from '@checkout-lab/embedded';
import { startStripeDouble, type RunningStripeDouble } from '@checkout-lab/stripe-double';
import { createTestDatabase } from '@checkout-lab/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ServiceProcess } from '../src/service-process';

/**
 * The checkout end to end: three real service processes talking gRPC, real PostgreSQL, and the
 * Stripe double over HTTP driven by the official SDK.
 */
const logs = mkdtempSync(path.join(tmpdir(), 'checkout-lab-e2e-'));
let stripeDouble: RunningStripeDouble;
let stripe: Stripe;
let billingDb: string;
let billing: ServiceProcess;
let payment: ServiceProcess;
let cart: ServiceProcess;
let cartUrl: string;
let keySeq = 0;
const newKey = () => `e2e-${process.pid}-${++keySeq}`;

async function post(pathname: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${cartUrl}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function cartFor(userId: string): Promise<string> {
  const { body } = await post('/carts', { userId });
  await post(`/carts/${body.cartId}/items`, { sku: 'TEA-1', quantity: 2, unitPriceCents: 1999 });
  return body.cartId as string;
}

const checkout = (cartId: string, key: string, body: unknown = {}) =>
  post(`/carts/${cartId}/checkout`, body, { 'idempotency-key': key });

async function intentsFor(orderId: string): Promise<Stripe.PaymentIntent[]> {
  const list = await stripe.paymentIntents.list({ limit: 100 });
  return list.data.filter((pi) => pi.metadata['order_id'] === orderId);
}

async function latestDefaultAddress(userId: string) {
  const client = new Client({ connectionString: billingDb });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT name, line1, city, postal_code, country FROM billing_addresses WHERE user_id = $1 AND is_default ORDER BY updated_at DESC LIMIT 1',
      [userId],
    );
    return rows[0] as { name: string; line1: string; city: string; postal_code: string; country: string };
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  stripeDouble = await startStripeDouble({ port: 0, latency: { medianMs: 5, p99Ms: 20 }, seed: 1 });
  stripe = new Stripe('sk_test_e2e', { host: '127.0.0.1', port: stripeDouble.port, protocol: 'http', maxNetworkRetries: 0 });
  billingDb = await createTestDatabase('billing');
  await migrateBillingSchema(billingDb);
  await seedBillingAddresses(billingDb, { users: 200, addressesPerUser: 3 });
  const [cartDb, paymentDb] = await Promise.all([createTestDatabase('cart'), createTestDatabase('payment')]);
  const [billingPort, paymentPort, cartPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const base = { PATH: process.env['PATH'], LOG_LEVEL: 'info' };

  billing = new ServiceProcess({
    name: 'billing-address',
    entry: 'services/billing-address/src/main.ts',
    env: { ...base, BILLING_GRPC_PORT: String(billingPort), BILLING_STORE: 'sql', BILLING_DATABASE_URL: billingDb },
    logFile: path.join(logs, 'billing-address.log'),
    ready: () => isServing(`127.0.0.1:${billingPort}`),
  });
  payment = new ServiceProcess({
    name: 'payment',
    entry: 'services/payment/src/main.ts',
    env: {
      ...base,
      PAYMENT_GRPC_PORT: String(paymentPort),
      DATABASE_URL: paymentDb,
      BILLING_ADDRESS_GRPC_TARGET: `127.0.0.1:${billingPort}`,
      BILLING_DEADLINE_MS: '500',
      STRIPE_API_BASE: stripeDouble.url,
      STRIPE_SECRET_KEY: 'sk_test_e2e',
    },
    logFile: path.join(logs, 'payment.log'),
    ready: () => isServing(`127.0.0.1:${paymentPort}`),
  });
  cartUrl = `http://127.0.0.1:${cartPort}`;
  cart = new ServiceProcess({
    name: 'cart',
    entry: 'services/cart/src/main.ts',
    env: { ...base, CART_HTTP_PORT: String(cartPort), DATABASE_URL: cartDb, PAYMENT_GRPC_TARGET: `127.0.0.1:${paymentPort}`, PAYMENT_DEADLINE_MS: '3000' },
    logFile: path.join(logs, 'cart.log'),
    ready: () => fetch(`${cartUrl}/readyz`).then((r) => r.ok),
  });
  await Promise.all([billing.start(), payment.start(), cart.start()]);
});

afterAll(async () => {
  await Promise.all([cart?.stop(), payment?.stop(), billing?.stop()]);
  await stripeDouble?.close();
});

describe('checkout through the whole stack', () => {
  it('pays an order with exactly one PaymentIntent carrying the billing details', async () => {
    const cartId = await cartFor('user-1');
    const { status, body } = await checkout(cartId, newKey());
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'paid', amountCents: 3998, currency: 'usd' });
    const intents = await intentsFor(body.orderId);
    expect(intents.map((pi) => pi.status)).toEqual(['succeeded']);
    expect(intents[0]?.amount).toBe(3998);
    const method = await stripe.paymentMethods.retrieve(String(intents[0]?.payment_method));
    const address = await latestDefaultAddress('user-1');
    expect(method.billing_details.name).toBe(address.name);
    expect(method.billing_details.address).toMatchObject({
      line1: address.line1,
      city: address.city,
      postal_code: address.postal_code,
      country: address.country,
    });
  });

  it('replays the same key with the same result and still one PaymentIntent; refuses the key for another request', async () => {
    const cartId = await cartFor('user-2');
    const key = newKey();
    const first = await checkout(cartId, key);
    const replay = await checkout(cartId, key);
    expect(replay).toEqual(first);
    expect(await intentsFor(first.body.orderId)).toHaveLength(1);
    const other = await checkout(cartId, key, { paymentMethod: 'pm_card_chargeDeclined' });
    expect(other.status).toBe(422);
    expect(await intentsFor(first.body.orderId)).toHaveLength(1);
  });

  it('records a decline with no paid order', async () => {
    const cartId = await cartFor('user-3');
    const { status, body } = await checkout(cartId, newKey(), { paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'declined', declineCode: 'insufficient_funds' });
    const order = (await (await fetch(`${cartUrl}/orders/${body.orderId}`)).json()) as { status: string };
    expect(order.status).toBe('declined');
    expect((await intentsFor(body.orderId)).map((pi) => pi.status)).toEqual(['requires_payment_method']);
  });

  it('answers 504 naming billing-address when its lookup is slower than the deadline, charges nothing, and the retry succeeds', async () => {
    const cartId = await cartFor('user-4');
    const key = newKey();
    const locker = new Client({ connectionString: billingDb });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE billing_addresses IN ACCESS EXCLUSIVE MODE');
    let slow;
    try {
      slow = await checkout(cartId, key);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(slow.status).toBe(504);
    expect(slow.body.error).toMatchObject({ code: 'dependency_timeout', details: { dependency: 'billing-address' } });
    const before = (await stripe.paymentIntents.list({ limit: 100 })).data.length;
    const retried = await checkout(cartId, key);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('paid');
    expect((await stripe.paymentIntents.list({ limit: 100 })).data.length).toBe(before + 1);
  });

  it('answers 503 naming billing-address when it is down, charges nothing, and the retry succeeds once it is back', async () => {
    const cartId = await cartFor('user-5');
    const key = newKey();
    await billing.stop();
    try {
      const down = await checkout(cartId, key);
      expect(down.status).toBe(503);
      expect(down.body.error).toMatchObject({ code: 'dependency_unavailable', details: { dependency: 'billing-address' } });
    } finally {
      await billing.start();
    }
    // As a client would: retry with the same key until the dependency is back (a few seconds at most).
    let retried = await checkout(cartId, key);
    for (let attempt = 0; retried.status === 503 && attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      retried = await checkout(cartId, key);
    }
    expect(retried.status).toBe(200);
    expect(await intentsFor(retried.body.orderId)).toHaveLength(1);
  });

  it('explains a user with no billing address, with no charge', async () => {
    const cartId = await cartFor('user-not-seeded');
    const before = (await stripe.paymentIntents.list({ limit: 100 })).data.length;
    const { status, body } = await checkout(cartId, newKey());
    expect(status).toBe(422);
    expect(body.error.code).toBe('billing_address_missing');
    expect((await stripe.paymentIntents.list({ limit: 100 })).data.length).toBe(before);
  });
});
