// `checkout-lab reconcile` and its library function, against real PostgreSQL databases (cart's and
// payment's, migrated with the services' own migrations) and the Stripe double over HTTP.
import * as path from 'node:path';
import { Client } from 'pg';
import Stripe from 'stripe';
import { migrate } from '@checkout-lab/database';
import { reconcile, type ReconcileResult } from '@checkout-lab/experiment';
import { startStripeDouble, type RunningStripeDouble } from '@checkout-lab/stripe-double';
import { REPO_ROOT } from '@checkout-lab/stack';
import { createTestDatabase } from '@checkout-lab/testing';
import { RECONCILE_FINDINGS_EXIT_CODE } from '../src/commands/reconcile';
import { spawnLab } from './support/lab-cli';

const KEY = 'sk_test_checkout_lab';

let stripe: RunningStripeDouble;
let sdk: Stripe;
let cartUrl: string;
let paymentUrl: string;
let cartDb: Client;
let paymentDb: Client;

beforeAll(async () => {
  stripe = await startStripeDouble();
  sdk = new Stripe(KEY, { host: '127.0.0.1', port: stripe.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  [cartUrl, paymentUrl] = await Promise.all([createTestDatabase('reconcile_cart'), createTestDatabase('reconcile_payment')]);
  await migrate({ database: cartUrl, dir: path.join(REPO_ROOT, 'services/cart/migrations'), table: 'cart_migrations' });
  await migrate({ database: paymentUrl, dir: path.join(REPO_ROOT, 'services/payment/migrations'), table: 'payment_migrations' });
  cartDb = new Client({ connectionString: cartUrl });
  paymentDb = new Client({ connectionString: paymentUrl });
  await Promise.all([cartDb.connect(), paymentDb.connect()]);
});

afterAll(async () => {
  await cartDb?.end();
  await paymentDb?.end();
  await stripe?.close();
});

const options = (since?: Date) => ({
  cartDatabaseUrl: cartUrl,
  paymentDatabaseUrl: paymentUrl,
  stripeApiBase: stripe.url,
  stripeSecretKey: KEY,
  ...(since ? { since } : {}),
});

/** An order in cart (with its cart) and, unless `payment` is null, its payment row. */
async function order(status: 'pending' | 'paid' | 'declined' | 'failed', payment: { status: string; intent?: string } | null): Promise<string> {
  const { rows: carts } = await cartDb.query<{ id: string }>(`INSERT INTO carts (user_id) VALUES ('user-1') RETURNING id`);
  const cartId = carts[0]?.id;
  const { rows } = await cartDb.query<{ id: string }>(
    `INSERT INTO orders (cart_id, user_id, idempotency_key, request_fingerprint, amount_cents, currency, payment_method, status, payment_id)
     VALUES ($1, 'user-1', gen_random_uuid()::text, 'fp', 4200, 'usd', 'pm_card_visa', $2, $3) RETURNING id`,
    [cartId, status, status === 'paid' ? `pay-${cartId}` : null],
  );
  const orderId = rows[0]?.id ?? '';
  if (payment) {
    await paymentDb.query(
      `INSERT INTO payments (idempotency_key, request_fingerprint, order_id, user_id, amount_cents, currency, payment_method, status, stripe_payment_intent_id)
       VALUES (gen_random_uuid()::text, 'fp', $1, 'user-1', 4200, 'usd', 'pm_card_visa', $2, $3)`,
      [orderId, payment.status, payment.intent ?? null],
    );
  }
  return orderId;
}

/** A PaymentIntent at Stripe for the order, as payment creates it. */
async function charge(orderId: string, card: 'pm_card_visa' | 'pm_card_chargeDeclined' = 'pm_card_visa'): Promise<string> {
  const create = sdk.paymentIntents.create({ amount: 4200, currency: 'usd', payment_method: card, confirm: true, metadata: { order_id: orderId } });
  if (card === 'pm_card_visa') return (await create).id;
  return create.then(
    (intent) => intent.id,
    (error: unknown) => (error instanceof Stripe.errors.StripeCardError ? (error.payment_intent?.id ?? '') : ''),
  );
}

const noFindings = { doubleCharges: [], chargesWithoutPaidOrder: [], paidOrdersWithoutCharge: [] };

// One scenario in steps (each builds on the data of the one before): a clean set, then findings added to it.
describe('reconcile', () => {
  let cleanUpTo: Date;
  let seededFrom: Date;

  it('finds nothing in a clean set: a paid order with its charge, a declined one, a pending one without a PaymentIntent', async () => {
    const paid = await order('paid', null);
    const intent = await charge(paid);
    await paymentDb.query(
      `INSERT INTO payments (idempotency_key, request_fingerprint, order_id, user_id, amount_cents, currency, payment_method, status, stripe_payment_intent_id)
       VALUES ('clean-1', 'fp', $1, 'user-1', 4200, 'usd', 'pm_card_visa', 'succeeded', $2)`,
      [paid, intent],
    );
    const declined = await order('declined', { status: 'declined' });
    await charge(declined, 'pm_card_chargeDeclined');
    await order('pending', { status: 'pending' });

    const result = await reconcile(options());
    expect(result).toEqual({ orders: 3, paymentIntents: 2, succeededPaymentIntents: 1, pendingOrders: 1, ...noFindings });
    cleanUpTo = new Date();
  });

  it('finds a double charge, a charge without a paid order and a paid order without a charge, each once', async () => {
    // PaymentIntents carry whole seconds: start the seeded window on a fresh second.
    await new Promise((resolve) => setTimeout(resolve, 1100 - (Date.now() % 1000)));
    seededFrom = new Date();
    const doubled = await order('paid', { status: 'succeeded' });
    const first = await charge(doubled);
    const second = await charge(doubled);
    const stranded = await order('pending', { status: 'pending' });
    const strandedIntent = await charge(stranded);
    const unpaid = await order('paid', { status: 'succeeded', intent: 'pi_never_made' });

    const result = await reconcile(options());

    expect(result.doubleCharges).toEqual([
      { orderId: doubled, paymentIntentIds: expect.arrayContaining([first, second]), orderStatus: 'paid', detail: expect.stringContaining('2 succeeded PaymentIntents') },
    ]);
    expect(result.doubleCharges[0]?.paymentIntentIds).toHaveLength(2);
    expect(result.chargesWithoutPaidOrder).toEqual([
      { orderId: stranded, paymentIntentIds: [strandedIntent], orderStatus: 'pending', detail: expect.stringContaining('the order is pending') },
    ]);
    expect(result.paidOrdersWithoutCharge).toEqual([
      { orderId: unpaid, paymentIntentIds: [], orderStatus: 'paid', detail: expect.stringContaining('no succeeded PaymentIntent') },
    ]);
    expect(result).toMatchObject({ orders: 6, paymentIntents: 5, succeededPaymentIntents: 4, pendingOrders: 2 });
  });

  it('with since, looks only at what was created at or after it', async () => {
    const recent = await reconcile(options(seededFrom));
    expect(recent).toMatchObject({ orders: 3, paymentIntents: 3, succeededPaymentIntents: 3, pendingOrders: 1 });
    expect([recent.doubleCharges.length, recent.chargesWithoutPaidOrder.length, recent.paidOrdersWithoutCharge.length]).toEqual([1, 1, 1]);
    // Nothing was created in the future.
    const none: ReconcileResult = await reconcile(options(new Date(Date.now() + 60_000)));
    expect(none).toEqual({ orders: 0, paymentIntents: 0, succeededPaymentIntents: 0, pendingOrders: 0, ...noFindings });
    expect(cleanUpTo.getTime()).toBeLessThanOrEqual(seededFrom.getTime());
  });

  it('names an unreachable database or Stripe in one clear line', async () => {
    await expect(reconcile({ ...options(), cartDatabaseUrl: 'postgres://lab:secret@127.0.0.1:1/cart' })).rejects.toThrow(
      /^cart database unreachable at 127\.0\.0\.1:1\/cart: .*ECONNREFUSED/,
    );
    await expect(reconcile({ ...options(), stripeApiBase: 'http://127.0.0.1:1' })).rejects.toThrow(/^Stripe API unreachable at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('checkout-lab reconcile', () => {
  const env = () => ({ LAB_DATA_DIR: path.join(REPO_ROOT, '.lab-reconcile-test-unused') });

  it(`prints the findings and exits ${RECONCILE_FINDINGS_EXIT_CODE}; --json gives the result`, async () => {
    const lab = spawnLab(
      ['reconcile', '--cart-database-url', cartUrl, '--payment-database-url', paymentUrl, '--stripe-api-base', stripe.url, '--json'],
      env(),
    );
    expect(await lab.exited).toBe(RECONCILE_FINDINGS_EXIT_CODE);
    const result = JSON.parse(lab.output()) as ReconcileResult;
    expect([result.doubleCharges.length, result.chargesWithoutPaidOrder.length, result.paidOrdersWithoutCharge.length]).toEqual([1, 1, 1]);

    const text = spawnLab(['reconcile', '--cart-database-url', cartUrl, '--payment-database-url', paymentUrl, '--stripe-api-base', stripe.url], env());
    expect(await text.exited).toBe(RECONCILE_FINDINGS_EXIT_CODE);
    expect(text.output()).toMatch(/double charges \(.*\): 1\n/);
    expect(text.output()).toMatch(/3 finding\(s\)/);
  });

  it('exits 0 on a clean window', async () => {
    const lab = spawnLab(
      ['reconcile', '--database-url', cartUrl, '--payment-database-url', paymentUrl, '--stripe-api-base', stripe.url, '--since', new Date(Date.now() + 60_000).toISOString()],
      env(),
    );
    expect(await lab.exited).toBe(0);
    expect(lab.output()).toMatch(/^clean/m);
  });

  it('says in one line, with no stack trace and no password, that a database is unreachable (exit 1)', async () => {
    const lab = spawnLab(['reconcile', '--database-url', 'postgres://lab:hunter2@127.0.0.1:1/app', '--stripe-api-base', stripe.url], env());
    expect(await lab.exited).toBe(1);
    const output = lab.output().trim();
    expect(output).toMatch(/^checkout-lab: (cart|payment) database unreachable at 127\.0\.0\.1:1\/app: /);
    expect(output.split('\n')).toHaveLength(1);
    expect(output).not.toMatch(/hunter2|\bat .*\.ts:\d+/);
  });
});
