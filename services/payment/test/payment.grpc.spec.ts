import { Client } from 'pg';
import { GrpcStatus, createPaymentClient, readErrorDetails, type AuthorizeRequest, type PaymentServiceClient } from '@checkout-lab/contracts';
import { freePort } from '@checkout-lab/embedded';
import { startStripeDouble, type RunningStripeDouble } from '@checkout-lab/stripe-double';
import { createTestDatabase } from '@checkout-lab/testing';
import { startPaymentService, type RunningPaymentService } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import { FakeBillingServer, address } from './fake-billing.server';

/** One payment service over real gRPC, on its own database, against the Stripe API double over HTTP. */
interface Stack {
  stripe: RunningStripeDouble;
  billing: FakeBillingServer;
  payment: RunningPaymentService;
  client: PaymentServiceClient;
  databaseUrl: string;
  close(): Promise<void>;
}

async function startStack(env: Record<string, string> = {}, stripeLatencyMs = 0): Promise<Stack> {
  const stripe = await startStripeDouble(stripeLatencyMs > 0 ? { latency: { medianMs: stripeLatencyMs, p99Ms: stripeLatencyMs + 1 } } : {});
  const billing = new FakeBillingServer();
  billing.addresses.set('user-1', address('user-1'));
  const billingTarget = await billing.start();
  const databaseUrl = await createTestDatabase('payment');
  const payment = await startPaymentService(
    loadConfig({
      DATABASE_URL: databaseUrl,
      PAYMENT_GRPC_PORT: String(await freePort()),
      PAYMENT_METRICS_PORT: String(await freePort()),
      BILLING_ADDRESS_GRPC_TARGET: billingTarget,
      STRIPE_API_BASE: stripe.url,
      STRIPE_MAX_NETWORK_RETRIES: '0',
      LOG_LEVEL: 'silent',
      ...env,
    }),
  );
  const client = createPaymentClient(payment.address);
  return {
    stripe,
    billing,
    payment,
    client,
    databaseUrl,
    close: async () => {
      client.close();
      await payment.close();
      await billing.stop();
      await stripe.close();
    },
  };
}

let keySeq = 0;
const newKey = () => `pay-test-${process.pid}-${++keySeq}`;

function request(overrides: Partial<AuthorizeRequest> = {}): Required<AuthorizeRequest> {
  return {
    orderId: `order-${keySeq}`,
    userId: 'user-1',
    amountCents: 4200,
    currency: 'usd',
    paymentMethod: 'pm_card_visa',
    idempotencyKey: newKey(),
    ...overrides,
  } as Required<AuthorizeRequest>;
}

type Result = { ok: true; paymentId: string } | { ok: false; code: number; details: ReturnType<typeof readErrorDetails>; message: string };

function authorize(stack: Stack, body: AuthorizeRequest, deadlineMs = 10_000): Promise<Result> {
  return new Promise((resolve) => {
    stack.client.authorize(body, { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error) resolve({ ok: false, code: error.code, details: readErrorDetails(error.metadata), message: error.details });
      else resolve({ ok: true, paymentId: response?.paymentId ?? '' });
    });
  });
}

async function sql<T extends object>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe('payment over gRPC', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ DB_STATEMENT_TIMEOUT_MS: '500', DB_POOL_MAX: '4' });
  });
  afterAll(() => stack?.close());

  it('authorises a payment with the Stripe double', async () => {
    const result = await authorize(stack, request());
    expect(result.ok).toBe(true);
    expect(stack.stripe.stats().paymentIntents.byStatus['succeeded']).toBeGreaterThanOrEqual(1);
  });

  it('keeps serving after PostgreSQL terminates its idle pooled connections', async () => {
    await Promise.all(Array.from({ length: 4 }, () => authorize(stack, request())));
    const dbName = new URL(stack.databaseUrl).pathname.slice(1);
    const [row] = await sql<{ n: string }>(
      stack.databaseUrl,
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity
        WHERE datname = $1 AND state = 'idle' AND application_name = 'payment' AND pid <> pg_backend_pid()`,
      [dbName],
    );
    expect(Number(row?.n)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await authorize(stack, request())).ok).toBe(true);
  });

  it('answers DEADLINE_EXCEEDED naming payment-db while its table is locked, and charges nothing', async () => {
    const before = stack.stripe.stats().paymentIntents.total;
    const locker = new Client({ connectionString: stack.databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE payments IN ACCESS EXCLUSIVE MODE');
      const result = await authorize(stack, request(), 5000);
      expect(result).toMatchObject({ ok: false, code: GrpcStatus.DEADLINE_EXCEEDED, details: { failedDependency: 'payment-db' } });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(stack.stripe.stats().paymentIntents.total).toBe(before);
    expect((await authorize(stack, request())).ok).toBe(true);
  });

  it.each([
    ['an unknown test card', 'pm_card_nosuchbrand'],
    ['an unknown saved PaymentMethod', 'pm_1NoSuchMethod'],
  ])('refuses %s with FAILED_PRECONDITION payment_method_invalid, creating no PaymentIntent', async (_what, paymentMethod) => {
    const before = stack.stripe.stats().paymentIntents.total;
    const result = await authorize(stack, request({ paymentMethod }));
    expect(result).toMatchObject({ ok: false, code: GrpcStatus.FAILED_PRECONDITION, details: { reason: 'payment_method_invalid' } });
    expect(stack.stripe.stats().paymentIntents.total).toBe(before);
  });
});

describe('a retry after a Stripe timeout, with the billing address changed meanwhile', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Stripe takes 800 ms to authorise; payment gives it 300 ms: the first attempt times out
    // while Stripe goes on and charges the card.
    stack = await startStack({ STRIPE_TIMEOUT_MS: '300' }, 800);
  });
  afterAll(() => stack?.close());

  it('succeeds with the original charge and never charges twice', async () => {
    const body = request();
    const first = await authorize(stack, body);
    expect(first).toMatchObject({ ok: false, code: GrpcStatus.DEADLINE_EXCEEDED, details: { failedDependency: 'stripe' } });
    await new Promise((resolve) => setTimeout(resolve, 1200)); // Stripe finishes the first attempt
    expect(stack.stripe.stats().paymentIntents.byStatus['succeeded']).toBe(1);

    stack.billing.addresses.set('user-1', address('user-1', '1 New Street'));
    const retry = await authorize(stack, body);
    expect(retry.ok).toBe(true);
    expect(stack.stripe.stats().paymentIntents.total).toBe(1);
    const rows = await sql<{ status: string }>(stack.databaseUrl, 'SELECT status FROM payments WHERE idempotency_key = $1', [body.idempotencyKey]);
    expect(rows).toEqual([{ status: 'succeeded' }]);
  });
});

describe('bad input over gRPC', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  const MB = 1024 * 1024;
  const CASES: [string, Partial<AuthorizeRequest>][] = [
    ['a NUL in user_id', { userId: 'user\u00001' }],
    ['a NUL in order_id', { orderId: 'order\u0000' }],
    ['a NUL in idempotency_key', { idempotencyKey: 'key\u0000' }],
    ['a NUL in payment_method', { paymentMethod: 'pm_card_visa\u0000' }],
    ['a 1 MB user_id', { userId: 'u'.repeat(MB) }],
    ['a 1 MB order_id', { orderId: 'o'.repeat(MB) }],
    ['a 1 MB payment_method', { paymentMethod: `pm_${'a'.repeat(MB)}` }],
    ['a 1 MB idempotency_key', { idempotencyKey: 'k'.repeat(MB) }],
    ['an empty user_id', { userId: '' }],
    ['a blank order_id', { orderId: '   ' }],
    ['a newline in user_id', { userId: 'user\n1' }],
    ['amount 0', { amountCents: 0 }],
    ['a negative amount', { amountCents: -100 }],
    ['an amount over Stripe\'s limit', { amountCents: 100_000_000 }],
    ['an upper-case currency', { currency: 'USD' }],
    ['an empty currency', { currency: '' }],
    ['a card number as payment_method', { paymentMethod: '4242424242424242' }],
    ['an empty idempotency_key', { idempotencyKey: '' }],
    ['a 256-character idempotency_key', { idempotencyKey: 'k'.repeat(256) }],
    ['spaces in idempotency_key', { idempotencyKey: 'my key' }],
  ];

  it.each(CASES)('%s is INVALID_ARGUMENT and charges nothing', async (_what, override) => {
    const before = stack.stripe.stats();
    const body = request(override);
    const result = await authorize(stack, body);
    expect(result).toMatchObject({ ok: false, code: GrpcStatus.INVALID_ARGUMENT, details: { reason: 'invalid_argument' } });
    if (!result.ok) expect(result.message.length).toBeLessThan(500); // names fields, never echoes values
    expect(stack.stripe.stats().paymentIntents.total).toBe(before.paymentIntents.total);
    expect(stack.stripe.stats().paymentMethods).toBe(before.paymentMethods);
    expect(stack.billing.lookups).toBe(0);
    const rows = await sql<{ n: string }>(stack.databaseUrl, 'SELECT count(*) AS n FROM payments');
    expect(Number(rows[0]?.n)).toBe(0);
  });
});
