/**
 * The checkout user flow, written once. It runs unchanged under k6 (k6/http, through the adapter
 * in k6/k6-client.ts) and under the built-in driver (node:http, src/driver/http-client.ts), so it
 * has no runtime imports and uses nothing of Node's or k6's own.
 *
 * One iteration: create a cart for a user drawn from the seeded population `user-1 … user-N`,
 * add 1–3 items, check out with a fresh Idempotency-Key. Every request carries the iteration's
 * W3C `traceparent` and a `baggage` with `lab.run_id` and `lab.variant`, and a `name` tag naming
 * its step. Environment (k6's `__ENV`, or the driver's env):
 *   SEED_USERS      size of the seeded population (default 100000)
 *   USER_SKEW       0 = uniform (default); s > 0 = Zipf-like with exponent s (user-1 most often)
 *   RUN_ID, VARIANT baggage `lab.run_id`, `lab.variant` (default `adhoc`, `default`)
 *   PAYMENT_METHOD  Stripe test payment method (default pm_card_visa)
 *   THINK_TIME_MEAN_S  mean of the shopper's pause between the last item and the checkout, in seconds,
 *                   drawn from an exponential distribution (default 0: no pause). Iterations start
 *                   on a fixed schedule; the random pause makes checkouts arrive as independent
 *                   shoppers do (close to a Poisson process), not in lockstep.
 */
export type FlowStep = 'create_cart' | 'add_item' | 'checkout';

export interface FlowRequestParams {
  headers: Record<string, string>;
  tags: { name: string };
}

export interface FlowResponse {
  status: number;
  body: string;
}

/** The tiny HTTP client a flow is written against; one adapter per tool. */
export interface LoadClient {
  post(url: string, body: string, params: FlowRequestParams): Promise<FlowResponse>;
  /** Pauses the iteration (k6's `sleep`), in seconds. */
  sleep(seconds: number): Promise<void>;
  /** Records each named check (k6's `check`); returns true when all passed. */
  check<T>(value: T, checks: Record<string, (value: T) => boolean>, tags?: Record<string, string>): boolean;
}

export interface IterationInput {
  baseUrl: string;
  env: Record<string, string | undefined>;
  /** The iteration's W3C trace context, sent on every request. */
  traceparent: string;
  /** A uniform random number in [0, 1). */
  random: () => number;
}

export type Flow = (client: LoadClient, input: IterationInput) => Promise<void>;

const SKUS = ['MUG-1', 'TEE-2', 'CAP-3', 'SOCKS-4', 'BOOK-5'] as const;

export const checkoutFlow: Flow = async (client, input) => {
  const base = input.baseUrl.replace(/\/+$/, '');
  const headers = {
    'content-type': 'application/json',
    traceparent: input.traceparent,
    baggage: baggageHeader(input.env),
  };
  const userId = `user-${drawUser(input.env, input.random)}`;

  const created = await client.post(`${base}/carts`, JSON.stringify({ userId }), { headers, tags: { name: 'create_cart' } });
  const cartId = readString(created.body, 'cartId');
  const cartOk = client.check(created, {
    'create_cart status 201': (r) => r.status === 201,
    'create_cart has cartId': () => cartId !== undefined,
  }, { name: 'create_cart' });
  if (!cartOk || cartId === undefined) return;

  const items = 1 + Math.floor(input.random() * 3);
  for (let i = 0; i < items; i++) {
    const sku = SKUS[Math.floor(input.random() * SKUS.length)] ?? 'MUG-1';
    const item = { sku, quantity: 1 + Math.floor(input.random() * 2), unitPriceCents: 500 + Math.floor(input.random() * 4500) };
    const added = await client.post(`${base}/carts/${cartId}/items`, JSON.stringify(item), { headers, tags: { name: 'add_item' } });
    if (!client.check(added, { 'add_item status 201': (r) => r.status === 201 }, { name: 'add_item' })) return;
  }

  const think = Number(input.env['THINK_TIME_MEAN_S'] || 0);
  if (think > 0) await client.sleep(Math.min(-Math.log(1 - input.random()) * think, 10 * think));

  const paymentMethod = input.env['PAYMENT_METHOD'] || 'pm_card_visa';
  const checkout = await client.post(`${base}/carts/${cartId}/checkout`, JSON.stringify({ paymentMethod }), {
    headers: { ...headers, 'idempotency-key': `${input.env['RUN_ID'] || 'adhoc'}-${randomHex(input.random, 24)}` },
    tags: { name: 'checkout' },
  });
  const status = readString(checkout.body, 'status');
  client.check(checkout, {
    'checkout status 200': (r) => r.status === 200,
    'checkout paid or declined': () => status === 'paid' || status === 'declined',
  }, { name: 'checkout' });
};

/**
 * A user number in 1…SEED_USERS. USER_SKEW = 0 draws uniformly; USER_SKEW = s > 0 draws from a
 * bounded power law with density ∝ x^-s (the continuous form of Zipf's law, sampled by inverting
 * its CDF), so low-numbered users come back often — a hot set, as real traffic has.
 */
export function drawUser(env: Record<string, string | undefined>, random: () => number): number {
  const n = Math.max(1, Math.floor(Number(env['SEED_USERS'] || 100000)) || 100000);
  const s = Math.max(0, Number(env['USER_SKEW'] || 0) || 0);
  const u = random();
  if (s === 0) return 1 + Math.floor(u * n);
  const x = Math.abs(s - 1) < 1e-9
    ? Math.exp(u * Math.log(n + 1))
    : Math.pow(1 + u * (Math.pow(n + 1, 1 - s) - 1), 1 / (1 - s));
  return Math.min(n, Math.max(1, Math.floor(x)));
}

/** The run's identity as W3C baggage: the keys are libs/telemetry's ATTR_LAB_RUN_ID and ATTR_LAB_VARIANT, written out here because this file imports nothing (units.spec.ts checks them). */
export function baggageHeader(env: Record<string, string | undefined>): string {
  const runId = encodeURIComponent(env['RUN_ID'] || 'adhoc');
  const variant = encodeURIComponent(env['VARIANT'] || 'default');
  return `lab.run_id=${runId},lab.variant=${variant}`;
}

/** A random W3C traceparent (sampled), for a tool that has no tracer of its own (k6). */
export function randomTraceparent(random: () => number): string {
  let traceId = randomHex(random, 32);
  if (/^0+$/.test(traceId)) traceId = `${traceId.slice(0, 31)}1`;
  let spanId = randomHex(random, 16);
  if (/^0+$/.test(spanId)) spanId = `${spanId.slice(0, 15)}1`;
  return `00-${traceId}-${spanId}-01`;
}

export function randomHex(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

function readString(body: string, field: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object') {
      const value = (parsed as Record<string, unknown>)[field];
      return typeof value === 'string' ? value : undefined;
    }
  } catch {
    // not JSON: the check that reads it fails
  }
  return undefined;
}
