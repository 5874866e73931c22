// The double as the payment service uses it: the official `stripe` SDK over HTTP, unchanged.
import Stripe from 'stripe';
import { seededRandom } from '@checkout-lab/config';
import { startStripeDouble, type RunningStripeDouble, type StripeDoubleOptions } from '../src';

const KEY = 'sk_test_lab';

function sdk(double: RunningStripeDouble, config: Partial<Stripe.StripeConfig> = {}, key = KEY): Stripe {
  return new Stripe(key, {
    host: '127.0.0.1',
    port: double.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
    ...config,
  });
}

const billingDetails = {
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  address: { line1: '12 St James Square', line2: 'Flat 3', city: 'London', state: 'LND', postal_code: 'SW1Y 4JH', country: 'GB' },
};

function paymentMethod(stripe: Stripe, token: string, key: string): Promise<Stripe.Response<Stripe.PaymentMethod>> {
  return stripe.paymentMethods.create(
    { type: 'card', card: { token }, billing_details: billingDetails },
    { idempotencyKey: `${key}:pm` },
  );
}

// The SDK's types (API version 2026-10-28) call `payment_method_types` `allowed_payment_method_types`.
function paymentIntent(stripe: Stripe, pm: string, key: string, amount = 4200): Promise<Stripe.Response<Stripe.PaymentIntent>> {
  return stripe.paymentIntents.create(
    { amount, currency: 'eur', payment_method: pm, confirm: true, allowed_payment_method_types: ['card'], metadata: { order_id: `order-${key}` } },
    { idempotencyKey: `${key}:pi` },
  );
}

async function rejection(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function withDouble(options: StripeDoubleOptions, test: (double: RunningStripeDouble) => Promise<void>): Promise<void> {
  const double = await startStripeDouble(options);
  try {
    await test(double);
  } finally {
    await double.close();
  }
}

describe('Stripe API double, through the official SDK', () => {
  let double: RunningStripeDouble;
  let stripe: Stripe;

  beforeAll(async () => {
    double = await startStripeDouble({ seed: 1 });
    stripe = sdk(double);
  });
  afterAll(() => double.close());

  it('authorises a payment with tok_visa and keeps the billing details on the PaymentMethod', async () => {
    const pm = await paymentMethod(stripe, 'tok_visa', 'success');
    expect(pm).toMatchObject({ object: 'payment_method', type: 'card', livemode: false, card: { brand: 'visa', last4: '4242' } });
    expect(pm.id).toMatch(/^pm_\w{24}$/);

    const pi = await paymentIntent(stripe, pm.id, 'success');
    expect(pi).toMatchObject({
      object: 'payment_intent',
      amount: 4200,
      amount_received: 4200,
      currency: 'eur',
      status: 'succeeded',
      payment_method: pm.id,
      metadata: { order_id: 'order-success' },
      payment_method_types: ['card'],
      allowed_payment_method_types: ['card'],
      livemode: false,
      last_payment_error: null,
    });
    expect(pi.id).toMatch(/^pi_\w{24}$/);
    expect(pi.latest_charge).toMatch(/^ch_/);
    expect(Math.abs(pi.created - Date.now() / 1000)).toBeLessThan(5);
    expect(pi.lastResponse.requestId).toMatch(/^req_/);

    const stored = await stripe.paymentMethods.retrieve(pm.id);
    expect(stored.billing_details).toEqual({ ...billingDetails, phone: null, tax_id: null });
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
  });

  it.each([
    ['tok_chargeDeclined', 'generic_decline'],
    ['tok_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ])('declines %s with decline_code %s and keeps the PaymentIntent as requires_payment_method', async (token, declineCode) => {
    const pm = await paymentMethod(stripe, token, token);
    const error = await rejection(paymentIntent(stripe, pm.id, token));

    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: declineCode });
    expect(error.requestId).toMatch(/^req_/);
    const declined = error.payment_intent;
    expect(declined).toMatchObject({ status: 'requires_payment_method', payment_method: null });
    expect(declined?.last_payment_error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: declineCode });

    const stored = await stripe.paymentIntents.retrieve(declined?.id ?? '');
    expect(stored.status).toBe('requires_payment_method');
    expect(stored.last_payment_error?.decline_code).toBe(declineCode);
    expect(stored.metadata).toEqual({ order_id: `order-${token}` });
  });

  it.each([
    ['pm_card_visa', null],
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ])('accepts the test PaymentMethod %s directly', async (testId, declineCode) => {
    const attempt = paymentIntent(stripe, testId, `direct-${testId}`);
    if (declineCode === null) {
      const pi = await attempt;
      expect(pi.status).toBe('succeeded');
      // As on Stripe, the test id stands for a new PaymentMethod.
      expect(pi.payment_method).toMatch(/^pm_\w{24}$/);
      expect((await stripe.paymentMethods.retrieve(String(pi.payment_method))).card?.last4).toBe('4242');
    } else {
      const error = await rejection(attempt);
      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(error.decline_code).toBe(declineCode);
    }
  });

  it('creates without confirm, then confirms; a second confirm is refused', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'USD', payment_method: 'pm_card_visa' });
    expect(pi).toMatchObject({ status: 'requires_confirmation', currency: 'usd', latest_charge: null });

    const confirmed = await stripe.paymentIntents.confirm(pi.id);
    expect(confirmed).toMatchObject({ id: pi.id, status: 'succeeded', amount_received: 1000 });

    const error = await rejection(stripe.paymentIntents.confirm(pi.id));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });

  it('also accepts the older payment_method_types parameter, and automatic_payment_methods', async () => {
    const legacy = { amount: 700, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, payment_method_types: ['card'] };
    const pi = await stripe.paymentIntents.create(legacy as Stripe.PaymentIntentCreateParams);
    expect(pi).toMatchObject({ status: 'succeeded', payment_method_types: ['card'], allowed_payment_method_types: null });

    const automatic = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(automatic).toMatchObject({ status: 'succeeded', automatic_payment_methods: { enabled: true, allow_redirects: 'never' } });

    const error = await rejection(stripe.paymentIntents.create({ amount: 700, currency: 'usd', allowed_payment_method_types: ['sepa_debit'] }));
    expect(error).toMatchObject({ statusCode: 400, param: 'allowed_payment_method_types' });
  });

  it('replays an idempotent request: same PaymentIntent, nothing new created', async () => {
    const pm = await paymentMethod(stripe, 'tok_visa', 'replay');
    const again = await paymentMethod(stripe, 'tok_visa', 'replay');
    expect(again.id).toBe(pm.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');

    const first = await paymentIntent(stripe, pm.id, 'replay');
    const before = await stripe.paymentIntents.list({ limit: 100 });
    const replayed = await paymentIntent(stripe, pm.id, 'replay');
    const after = await stripe.paymentIntents.list({ limit: 100 });

    expect(replayed.id).toBe(first.id);
    expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(replayed.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId);
    expect(replayed.lastResponse.requestId).not.toBe(first.lastResponse.requestId);
    expect(after.data.map((intent) => intent.id)).toEqual(before.data.map((intent) => intent.id));
  });

  it('replays a decline as the same 402 without a second authorisation', async () => {
    const first = await rejection(paymentIntent(stripe, 'pm_card_chargeDeclined', 'replay-decline'));
    const second = await rejection(paymentIntent(stripe, 'pm_card_chargeDeclined', 'replay-decline'));
    expect(second).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(second.payment_intent?.id).toBe(first.payment_intent?.id);
    expect(second.headers?.['idempotent-replayed']).toBe('true');
  });

  it('replays byte for byte, with the status', async () => {
    const request = (amount: string) =>
      fetch(`${double.url}/v1/payment_intents`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': 'raw-1' },
        body: `amount=${amount}&currency=usd&payment_method=pm_card_visa&confirm=true&metadata[order_id]=o1`,
      });
    const first = await request('500');
    const second = await request('500');
    expect(second.status).toBe(first.status);
    expect(await second.text()).toBe(await first.text());
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('request-id')).toMatch(/^req_/);
  });

  it('refuses a key reused with other parameters', async () => {
    await paymentIntent(stripe, 'pm_card_visa', 'reuse', 1000);
    const error = await rejection(paymentIntent(stripe, 'pm_card_visa', 'reuse', 2000));
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain('Keys for idempotent requests can only be used with the same parameters they were first used with');
  });

  it('refuses a key that is not a test secret key', async () => {
    const error = await rejection(sdk(double, {}, 'sk_live_nope').paymentIntents.list());
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error.statusCode).toBe(401);
  });

  it('answers 401 with Stripe’s error shape when no key is given', async () => {
    const response = await fetch(`${double.url}/v1/payment_intents`);
    expect(response.status).toBe(401);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('You did not provide an API key');
  });

  it.each(['amount', 'currency'])('names the missing required param %s', async (missing) => {
    const params: Record<string, unknown> = { amount: 1000, currency: 'usd' };
    delete params[missing];
    const error = await rejection(stripe.paymentIntents.create(params as unknown as Stripe.PaymentIntentCreateParams));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: missing });
  });

  it('rejects unknown parameters, naming them', async () => {
    const params = { amount: 1000, currency: 'usd', colour: 'blue' } as unknown as Stripe.PaymentIntentCreateParams;
    const error = await rejection(stripe.paymentIntents.create(params));
    expect(error).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'colour' });
  });

  it('answers resource_missing for an unknown id', async () => {
    const error = await rejection(stripe.paymentIntents.retrieve('pi_doesnotexist'));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    const pmError = await rejection(stripe.paymentMethods.retrieve('pm_doesnotexist'));
    expect(pmError).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('answers an unknown route with a Stripe-style 404', async () => {
    const response = await fetch(`${double.url}/v1/charges`, { headers: { Authorization: `Bearer ${KEY}` } });
    expect(response.status).toBe(404);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('Unrecognized request URL (GET: /v1/charges)') });
  });
});

describe('Stripe API double, lists and stats', () => {
  it('lists PaymentIntents newest first, with limit, has_more and cursors', async () => {
    await withDouble({}, async (double) => {
      const stripe = sdk(double);
      const ids: string[] = [];
      for (const amount of [100, 200, 300]) ids.push((await stripe.paymentIntents.create({ amount, currency: 'usd' })).id);

      const page = await stripe.paymentIntents.list({ limit: 2 });
      expect(page).toMatchObject({ object: 'list', has_more: true, url: '/v1/payment_intents' });
      expect(page.data.map((intent) => intent.id)).toEqual([ids[2], ids[1]]);

      const next = await stripe.paymentIntents.list({ limit: 2, starting_after: ids[1] });
      expect(next.data.map((intent) => intent.id)).toEqual([ids[0]]);
      expect(next.has_more).toBe(false);

      const all: string[] = [];
      for await (const intent of stripe.paymentIntents.list({ limit: 1 })) all.push(intent.id);
      expect(all).toEqual([...ids].reverse());
    });
  });

  it('filters the list by created (Unix seconds), as Stripe does', async () => {
    await withDouble({}, async (double) => {
      const stripe = sdk(double);
      const intent = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
      const ids = async (created: Stripe.PaymentIntentListParams['created']) =>
        (await stripe.paymentIntents.list({ created })).data.map((found) => found.id);
      expect(await ids({ gte: intent.created })).toEqual([intent.id]);
      expect(await ids({ gt: intent.created })).toEqual([]);
      expect(await ids({ lte: intent.created, lt: intent.created + 1 })).toEqual([intent.id]);
      expect(await ids(intent.created)).toEqual([intent.id]);
    });
  });

  it('searches PaymentIntents by metadata and status, in Stripe\'s search_result shape, paged by next_page', async () => {
    await withDouble({}, async (double) => {
      const stripe = sdk(double);
      const first = await paymentIntent(stripe, 'pm_card_visa', 'q1');
      const second = await paymentIntent(stripe, 'pm_card_visa', 'q2');
      await rejection(paymentIntent(stripe, 'pm_card_chargeDeclined', 'q1b'));
      const other = await stripe.paymentIntents.create({ amount: 5, currency: 'usd', metadata: { order_id: "it's-1" } });

      const byOrder = await stripe.paymentIntents.search({ query: "metadata['order_id']:'order-q1'" });
      expect(byOrder).toMatchObject({ object: 'search_result', has_more: false, next_page: null, url: '/v1/payment_intents/search' });
      expect(byOrder.data.map((intent) => intent.id)).toEqual([first.id]);

      const quoted = await stripe.paymentIntents.search({ query: `metadata["order_id"]:'it\\'s-1'` });
      expect(quoted.data.map((intent) => intent.id)).toEqual([other.id]);

      const succeeded = await stripe.paymentIntents.search({ query: "status:'succeeded' AND currency:'eur'" });
      expect(succeeded.data.map((intent) => intent.id)).toEqual([second.id, first.id]);

      const either = await stripe.paymentIntents.search({ query: "metadata['order_id']:'order-q1' OR metadata['order_id']:'order-q2'", limit: 1 });
      expect(either.data.map((intent) => intent.id)).toEqual([second.id]);
      expect(either.has_more).toBe(true);
      const next = await stripe.paymentIntents.search({ query: "metadata['order_id']:'order-q1' OR metadata['order_id']:'order-q2'", limit: 1, page: either.next_page ?? '' });
      expect(next.data.map((intent) => intent.id)).toEqual([first.id]);
      expect(next.has_more).toBe(false);

      const all: string[] = [];
      for await (const intent of stripe.paymentIntents.search({ query: "status:'succeeded'", limit: 1 })) all.push(intent.id);
      expect(all).toEqual([second.id, first.id]);

      expect(double.stats().requests['GET /v1/payment_intents/search']).toBeGreaterThanOrEqual(6);
    });
  });

  it('refuses a search query it does not understand, naming the query parameter', async () => {
    await withDouble({}, async (double) => {
      const stripe = sdk(double);
      for (const query of ["metadata['order_id']~'x'", "customer:'cus_1'", "status:'a' AND status:'b' OR status:'c'", "status:'open"]) {
        const error = await rejection(stripe.paymentIntents.search({ query }));
        expect(error).toMatchObject({ statusCode: 400, rawType: 'invalid_request_error', param: 'query' });
      }
    });
  });

  it('counts PaymentIntents by status and requests by route', async () => {
    await withDouble({}, async (double) => {
      const stripe = sdk(double);
      await paymentIntent(stripe, 'pm_card_visa', 's1');
      await paymentIntent(stripe, 'pm_card_visa', 's1');
      await rejection(paymentIntent(stripe, 'pm_card_chargeDeclined', 's2'));
      await stripe.paymentIntents.list();

      expect(double.stats()).toEqual({
        paymentIntents: { total: 2, byStatus: { succeeded: 1, requires_payment_method: 1 } },
        paymentMethods: 2,
        requests: { 'POST /v1/payment_intents': 3, 'GET /v1/payment_intents': 1 },
        idempotentReplays: 1,
        injectedErrors: 0,
      });
    });
  });
});

describe('Stripe API double, failures and latency', () => {
  it('with error rate 1, answers 500 api_error and creates nothing', async () => {
    await withDouble({ errorRate: 1 }, async (double) => {
      const stripe = sdk(double);
      const error = await rejection(paymentIntent(stripe, 'pm_card_visa', 'fail'));
      expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect(error).toMatchObject({ statusCode: 500, rawType: 'api_error' });

      const list = await stripe.paymentIntents.list();
      expect(list.data).toEqual([]);
      expect(double.stats()).toMatchObject({ paymentIntents: { total: 0 }, paymentMethods: 0, injectedErrors: 1 });
    });
  });

  it('does not keep a 500 for the idempotency key: the SDK’s retry with the same key succeeds', async () => {
    // A seed whose first draw fails and second passes at error rate 0.5.
    const seed = [...Array(100).keys()].find((candidate) => {
      const random = seededRandom(candidate);
      return random() < 0.5 && random() >= 0.5;
    });
    await withDouble({ errorRate: 0.5, seed }, async (double) => {
      const stripe = sdk(double, { maxNetworkRetries: 2 });
      const pi = await paymentIntent(stripe, 'pm_card_visa', 'retry');
      expect(pi.status).toBe('succeeded');
      expect(double.stats()).toMatchObject({
        paymentIntents: { total: 1 },
        injectedErrors: 1,
        requests: { 'POST /v1/payment_intents': 2 },
      });
    });
  });

  it('answers 409 idempotency_key_in_use while the first request with the key is running', async () => {
    await withDouble({ latency: { medianMs: 300, p99Ms: 300 } }, async (double) => {
      const stripe = sdk(double);
      const results = await Promise.allSettled([
        paymentIntent(stripe, 'pm_card_visa', 'concurrent'),
        paymentIntent(stripe, 'pm_card_visa', 'concurrent'),
      ]);
      const fulfilled = results.filter((result) => result.status === 'fulfilled');
      const rejected = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as Stripe.errors.StripeError] : []));
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ statusCode: 409, rawType: 'idempotency_error', code: 'idempotency_key_in_use' });
      expect(double.stats().paymentIntents.total).toBe(1);
    });
  });

  it('refuses a second confirm of a PaymentIntent while the first is authorising (lock_timeout)', async () => {
    await withDouble({ latency: { medianMs: 300, p99Ms: 300 } }, async (double) => {
      const stripe = sdk(double);
      const pi = await stripe.paymentIntents.create({ amount: 900, currency: 'usd', payment_method: 'pm_card_visa' });
      const results = await Promise.allSettled([stripe.paymentIntents.confirm(pi.id), stripe.paymentIntents.confirm(pi.id)]);
      const rejected = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as Stripe.errors.StripeError] : []));
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(rejected[0]).toMatchObject({ statusCode: 429, code: 'lock_timeout' });
      expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    });
  });
});
