// Reconciliation: payment resolves its own pending payments against Stripe (the double, over HTTP
// through the official SDK), never touches one whose lease is held, and a released payment can
// never be charged later. The service runs for real (gRPC) with its periodic reconciler off; the
// test drives single passes of a reconciler built on the same database.
import { Pool } from 'pg';
import pino from 'pino';
import Stripe from 'stripe';
import {
  GrpcStatus,
  createPaymentClient,
  readErrorDetails,
  type AuthorizeRequest__Output,
  type PaymentServiceClient,
  type ResolvePaymentResponse__Output,
} from '@checkout-lab/contracts';
import { freePort } from '@checkout-lab/embedded';
import { startStripeDouble, type RunningStripeDouble } from '@checkout-lab/stripe-double';
import { createTestDatabase } from '@checkout-lab/testing';
import { startPaymentService, type RunningPaymentService } from '../src/bootstrap';
import { loadConfig, type PaymentConfig } from '../src/config';
import { BillingAddressLookup, type BillingDetails } from '../src/payments/billing-address.client';
import { PaymentsReconciler } from '../src/payments/payments.reconciler';
import { PaymentsRepository } from '../src/payments/payments.repository';
import { PaymentsService, fingerprint } from '../src/payments/payments.service';
import { StripePaymentGateway } from '../src/payments/stripe.gateway';
import { FakeBillingServer, address } from './fake-billing.server';

const KEY = 'sk_test_checkout_lab';

class NoBilling extends BillingAddressLookup {
  async getBillingDetails(): Promise<BillingDetails> {
    throw new Error('the reconciler never looks up billing addresses');
  }
}

let stripe: RunningStripeDouble;
let sdk: Stripe;
let billing: FakeBillingServer;
let payment: RunningPaymentService;
let client: PaymentServiceClient;
let pool: Pool;
let config: PaymentConfig;
let reconciler: PaymentsReconciler;

beforeAll(async () => {
  stripe = await startStripeDouble();
  sdk = new Stripe(KEY, { host: '127.0.0.1', port: stripe.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  billing = new FakeBillingServer();
  billing.addresses.set('user-1', address('user-1'));
  const databaseUrl = await createTestDatabase('payment_reconcile');
  config = loadConfig({
    DATABASE_URL: databaseUrl,
    PAYMENT_GRPC_PORT: String(await freePort()),
    PAYMENT_METRICS_PORT: String(await freePort()),
    BILLING_ADDRESS_GRPC_TARGET: await billing.start(),
    STRIPE_API_BASE: stripe.url,
    STRIPE_SECRET_KEY: KEY,
    STRIPE_MAX_NETWORK_RETRIES: '0',
    PAYMENT_RECONCILE_INTERVAL_MS: '0',
    LOG_LEVEL: 'silent',
  });
  payment = await startPaymentService(config);
  client = createPaymentClient(payment.address);
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const repository = new PaymentsRepository(pool);
  const logger = pino({ level: 'silent' });
  const service = new PaymentsService(repository, new NoBilling(), new StripePaymentGateway(config.stripe), logger, {
    leaseMs: config.reconcile.leaseMs,
    reconcileAfterMs: config.reconcile.afterMs,
  });
  reconciler = new PaymentsReconciler(repository, service, config.reconcile, logger);
});

afterAll(async () => {
  client?.close();
  await payment?.close();
  await pool?.end();
  await billing?.stop();
  await stripe?.close();
});

let seq = 0;
function request(overrides: Partial<AuthorizeRequest__Output> = {}): AuthorizeRequest__Output {
  seq++;
  return {
    orderId: `order-reconcile-${process.pid}-${seq}`,
    userId: 'user-1',
    amountCents: 4200,
    currency: 'usd',
    paymentMethod: 'pm_card_visa',
    idempotencyKey: `reconcile-${process.pid}-${seq}`,
    ...overrides,
  };
}

interface Seeded {
  paymentId: string;
  paymentIntentId?: string;
}

/**
 * A pending payment as a killed payment leaves it: its PaymentMethod pinned (or not), perhaps a
 * PaymentIntent at Stripe that was never recorded, its last attempt `idleMinutes` ago and its lease
 * expired (or still held).
 */
async function seedPending(
  body: AuthorizeRequest__Output,
  options: { pinned: boolean; intent?: 'succeeded' | 'declined'; idleMinutes?: number; leaseHeld?: boolean },
): Promise<Seeded> {
  const card = options.intent === 'declined' ? 'tok_chargeDeclined' : 'tok_visa';
  const pm = options.pinned ? (await sdk.paymentMethods.create({ type: 'card', card: { token: card } })).id : null;
  const idle = `${options.idleMinutes ?? 60} minutes`;
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO payments (idempotency_key, request_fingerprint, order_id, user_id, amount_cents, currency, payment_method, status,
                           stripe_payment_method_id, created_at, attempted_at, locked_until, lease_token)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, now() - $9::interval, now() - $9::interval,
             CASE WHEN $10 THEN now() + interval '1 hour' ELSE now() - interval '1 minute' END, gen_random_uuid())
     RETURNING id`,
    [body.idempotencyKey, fingerprint(body), body.orderId, body.userId, body.amountCents, body.currency, body.paymentMethod, pm, idle, options.leaseHeld ?? false],
  );
  const paymentId = rows[0]?.id ?? '';
  if (!options.intent || !pm) return { paymentId };
  const create = sdk.paymentIntents.create({
    amount: body.amountCents,
    currency: body.currency,
    payment_method: pm,
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    metadata: { order_id: body.orderId, payment_id: paymentId },
  });
  if (options.intent === 'succeeded') return { paymentId, paymentIntentId: (await create).id };
  const declined = await create.then(
    () => undefined,
    (error: unknown) => (error instanceof Stripe.errors.StripeCardError ? error.payment_intent?.id : undefined),
  );
  return { paymentId, ...(declined ? { paymentIntentId: declined } : {}) };
}

async function row(paymentId: string) {
  const { rows } = await pool.query<{ status: string; stripe_payment_intent_id: string | null; decline_code: string | null; cancel_reason: string | null }>(
    'SELECT status, stripe_payment_intent_id, decline_code, cancel_reason FROM payments WHERE id = $1',
    [paymentId],
  );
  return rows[0];
}

type Result = { ok: true; paymentId: string } | { ok: false; code: number; reason: string | undefined; paymentId: string | undefined };

function authorize(body: AuthorizeRequest__Output): Promise<Result> {
  return new Promise((resolve) => {
    client.authorize(body, { deadline: Date.now() + 10_000 }, (error, response) => {
      if (error) {
        const details = readErrorDetails(error.metadata);
        resolve({ ok: false, code: error.code, reason: details.reason, paymentId: details.paymentId });
      } else resolve({ ok: true, paymentId: response?.paymentId ?? '' });
    });
  });
}

function resolvePayment(body: AuthorizeRequest__Output): Promise<ResolvePaymentResponse__Output> {
  return new Promise((resolve, reject) => {
    client.resolvePayment(body, { deadline: Date.now() + 10_000 }, (error, response) => (error || !response ? reject(error) : resolve(response)));
  });
}

const intents = () => stripe.stats().paymentIntents.total;

describe('the payment reconciler', () => {
  it('marks succeeded, in one pass, a pending payment whose PaymentIntent succeeded at Stripe but was never recorded', async () => {
    const body = request();
    const seeded = await seedPending(body, { pinned: true, intent: 'succeeded' });
    const before = intents();

    const counts = await reconciler.runOnce();

    expect(counts.succeeded).toBeGreaterThanOrEqual(1);
    expect(await row(seeded.paymentId)).toMatchObject({ status: 'succeeded', stripe_payment_intent_id: seeded.paymentIntentId });
    // The client's retry now gets the recorded charge, and nothing is charged again.
    expect(await authorize(body)).toEqual({ ok: true, paymentId: seeded.paymentId });
    expect(intents()).toBe(before);
  });

  it('records a PaymentIntent Stripe declined as a decline, with its decline code', async () => {
    const body = request();
    const seeded = await seedPending(body, { pinned: true, intent: 'declined' });
    await reconciler.runOnce();
    expect(await row(seeded.paymentId)).toMatchObject({ status: 'declined', decline_code: 'generic_decline', stripe_payment_intent_id: seeded.paymentIntentId });
    expect(await authorize(body)).toMatchObject({ ok: false, code: GrpcStatus.FAILED_PRECONDITION, reason: 'card_declined' });
  });

  it('releases a payment with a pinned PaymentMethod and no PaymentIntent; a later Authorize gets payment_expired and charges nothing', async () => {
    const body = request();
    const seeded = await seedPending(body, { pinned: true });
    await reconciler.runOnce();
    expect(await row(seeded.paymentId)).toMatchObject({ status: 'canceled', cancel_reason: 'abandoned', stripe_payment_intent_id: null });

    const creates = () => stripe.stats().requests['POST /v1/payment_intents'] ?? 0;
    const before = { intents: intents(), creates: creates() };
    expect(await authorize(body)).toEqual({ ok: false, code: GrpcStatus.FAILED_PRECONDITION, reason: 'payment_expired', paymentId: seeded.paymentId });
    // Not even a request: the final answer comes from payment's own record.
    expect({ intents: intents(), creates: creates() }).toEqual(before);
    expect(await row(seeded.paymentId)).toMatchObject({ status: 'canceled' });
  });

  it('releases a payment with no PaymentMethod pinned without asking Stripe', async () => {
    const body = request();
    const seeded = await seedPending(body, { pinned: false });
    const searches = () => stripe.stats().requests['GET /v1/payment_intents/search'] ?? 0;
    // Everything else is resolved first, so this pass has only the unpinned one to look at.
    await reconciler.runOnce();
    expect(await row(seeded.paymentId)).toMatchObject({ status: 'canceled', cancel_reason: 'abandoned' });
    const other = await seedPending(request(), { pinned: false });
    const before = searches();
    await reconciler.runOnce();
    expect(await row(other.paymentId)).toMatchObject({ status: 'canceled' });
    expect(searches()).toBe(before);
  });

  it('does not touch a payment whose lease is held, even when Stripe charged it; Authorize answers ABORTED and charges nothing', async () => {
    const body = request();
    const seeded = await seedPending(body, { pinned: true, intent: 'succeeded', leaseHeld: true });
    const unpinned = await seedPending(request(), { pinned: false, leaseHeld: true });
    await reconciler.runOnce();
    expect(await row(seeded.paymentId)).toMatchObject({ status: 'pending', stripe_payment_intent_id: null });
    expect(await row(unpinned.paymentId)).toMatchObject({ status: 'pending' });

    const before = intents();
    expect(await authorize(body)).toMatchObject({ ok: false, code: GrpcStatus.ABORTED });
    expect(await resolvePayment(body)).toMatchObject({ status: 'pending', paymentId: seeded.paymentId });
    expect(intents()).toBe(before);
    expect(await row(seeded.paymentId)).toMatchObject({ status: 'pending' });
  });

  it('does not release a recently attempted payment that Stripe shows nothing for (its search index may lag)', async () => {
    const body = request();
    const seeded = await seedPending(body, { pinned: true, idleMinutes: 0.5 });
    await reconciler.runOnce();
    expect(await row(seeded.paymentId)).toMatchObject({ status: 'pending' });
    // ResolvePayment applies the same rule under the lease: still pending, not released.
    expect(await resolvePayment(body)).toMatchObject({ status: 'pending' });
    expect(await row(seeded.paymentId)).toMatchObject({ status: 'pending' });
  });
});

describe('the reconciler inside the running service', () => {
  it('resolves a stranded payment at start, and another one on a later pass, with no client', async () => {
    const atStart = await seedPending(request(), { pinned: true, intent: 'succeeded' });
    const second = await startPaymentService({ ...config, grpc: { ...config.grpc, port: await freePort() }, metrics: { port: await freePort() }, reconcile: { ...config.reconcile, intervalMs: 200 } });
    try {
      await eventually(async () => expect(await row(atStart.paymentId)).toMatchObject({ status: 'succeeded', stripe_payment_intent_id: atStart.paymentIntentId }));
      const later = await seedPending(request(), { pinned: true });
      await eventually(async () => expect(await row(later.paymentId)).toMatchObject({ status: 'canceled', cancel_reason: 'abandoned' }));
    } finally {
      await second.close();
    }
  });
});

async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('the payment reconciler when Stripe is unreachable', () => {
  it('leaves the payment pending with its lease given back, and ends the pass', async () => {
    const unreachable = new StripePaymentGateway({ ...config.stripe, apiBase: new URL('http://127.0.0.1:1') });
    const repository = new PaymentsRepository(pool);
    const logger = pino({ level: 'silent' });
    const service = new PaymentsService(repository, new NoBilling(), unreachable, logger, { leaseMs: config.reconcile.leaseMs, reconcileAfterMs: config.reconcile.afterMs });
    const blind = new PaymentsReconciler(repository, service, config.reconcile, logger);
    const first = await seedPending(request(), { pinned: true });
    const second = await seedPending(request(), { pinned: true });

    const counts = await blind.runOnce();

    expect(counts).toMatchObject({ failed: 1, canceled: 0, succeeded: 0 });
    for (const seeded of [first, second]) expect(await row(seeded.paymentId)).toMatchObject({ status: 'pending' });
    const { rows } = await pool.query('SELECT count(*)::int AS held FROM payments WHERE id = ANY($1::uuid[]) AND locked_until > now()', [[first.paymentId, second.paymentId]]);
    expect(rows[0]).toEqual({ held: 0 });
    // With Stripe back, the next pass resolves both.
    await reconciler.runOnce();
    for (const seeded of [first, second]) expect(await row(seeded.paymentId)).toMatchObject({ status: 'canceled' });
  });
});

describe('ResolvePayment', () => {
  it('resolves a pending payment against Stripe, without a pass and without charging', async () => {
    const body = request();
    const seeded = await seedPending(body, { pinned: true, intent: 'succeeded' });
    const before = intents();
    expect(await resolvePayment(body)).toMatchObject({ status: 'succeeded', paymentId: seeded.paymentId, stripePaymentIntentId: seeded.paymentIntentId });
    expect(intents()).toBe(before);
  });

  it('answers the recorded outcome of a finished payment', async () => {
    const body = request();
    const authorized = await authorize(body);
    expect(authorized.ok).toBe(true);
    expect(await resolvePayment(body)).toMatchObject({ status: 'succeeded', paymentId: authorized.ok ? authorized.paymentId : '' });
  });

  it('records a key it has never seen as released: unknown, and a late Authorize with it gets payment_expired and charges nothing', async () => {
    const body = request();
    const resolved = await resolvePayment(body);
    expect(resolved).toMatchObject({ status: 'unknown', cancelReason: 'abandoned' });
    const before = intents();
    expect(await authorize(body)).toMatchObject({ ok: false, code: GrpcStatus.FAILED_PRECONDITION, reason: 'payment_expired', paymentId: resolved.paymentId });
    expect(intents()).toBe(before);
    expect(await resolvePayment(body)).toMatchObject({ status: 'canceled', paymentId: resolved.paymentId });
  });
});
