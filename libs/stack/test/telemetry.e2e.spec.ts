import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PostgresBillingAddressStore, migrateBillingSchema, seedBillingAddresses } from '@checkout-lab/billing-store';
import { isServing } from '@checkout-lab/contracts';
import { freePort, waitUntil } from '@checkout-lab/embedded';
import { startStripeDouble, type RunningStripeDouble } from '@checkout-lab/stripe-double';
import { readRunSpans, startTraceReceiver, type FlatSpan, type TraceReceiver } from '@checkout-lab/telemetry';
import { createTestDatabase } from '@checkout-lab/testing';
import { ServiceProcess, TELEMETRY_PRELOAD } from '../src/service-process';

/**
 * Telemetry end to end: the three services as real processes with the telemetry preload,
 * exporting OTLP/protobuf to the embedded receiver; real PostgreSQL, real gRPC, the Stripe
 * double over HTTP. One stack for the whole file (the machine is small).
 */
const work = mkdtempSync(path.join(tmpdir(), 'checkout-lab-telemetry-'));
const logs = path.join(work, 'logs');
const traces = path.join(work, 'traces');
const tag = randomBytes(4).toString('hex');

/** Personal and secret values that must never reach a span, a log line or a metric. */
const PERSONAL = {
  userId: `user-privacy-${tag}`,
  name: `Zebulon Quixwhistle ${tag}`,
  email: `zq.${tag}@privacy-probe.example`,
  line1: `77 Marigold Quarry Lane ${tag}`,
  line2: `Flat Q${tag}`,
  city: `Upper Snoddington ${tag}`,
  postalCode: `ZQ${tag.slice(0, 4)}`,
};
const STRIPE_SECRET_KEY = `sk_test_probe_${tag}${randomBytes(6).toString('hex')}`;
const usedIdempotencyKeys: string[] = [];

let receiver: TraceReceiver;
let stripeDouble: RunningStripeDouble;
let services: ServiceProcess[] = [];
let cartUrl: string;
let metricsUrls: Record<'cart' | 'payment' | 'billing-address', string>;

const newKey = () => {
  const key = `idem-${tag}-${randomBytes(8).toString('hex')}`;
  usedIdempotencyKeys.push(key);
  return key;
};

async function post(pathname: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(`${cartUrl}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** One user flow with the run id in W3C baggage, as the load driver sends it. */
async function checkoutFlow(userId: string, runId: string): Promise<{ status: number; orderId: string }> {
  const headers = { baggage: `lab.run_id=${runId},lab.variant=telemetry-test` };
  const created = await post('/carts', { userId }, headers);
  const cartId = String(created.body['cartId']);
  await post(`/carts/${cartId}/items`, { sku: 'TEA-1', quantity: 3, unitPriceCents: 250 }, headers);
  const paid = await post(`/carts/${cartId}/checkout`, {}, { ...headers, 'idempotency-key': newKey() });
  return { status: paid.status, orderId: String(paid.body['orderId']) };
}

const byTrace = (spans: FlatSpan[]) => {
  const traces = new Map<string, FlatSpan[]>();
  for (const span of spans) traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span]);
  return traces;
};

/** The checkout trace of an order: the trace holding the `checkout` span with that order id. */
function checkoutTrace(spans: FlatSpan[], orderId: string): FlatSpan[] | undefined {
  const span = spans.find((s) => s.name === 'checkout' && s.attributes['checkout.order_id'] === orderId);
  return span ? spans.filter((s) => s.traceId === span.traceId) : undefined;
}

/** A trace is complete when it has one root and every other span's parent is in it. */
function isComplete(trace: FlatSpan[]): boolean {
  const ids = new Set(trace.map((s) => s.spanId));
  return trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).length === 1;
}

async function metricsOf(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of a counter (summed over its label sets) in Prometheus text. */
function counter(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

beforeAll(async () => {
  receiver = await startTraceReceiver({ dir: traces, port: 0 });
  stripeDouble = await startStripeDouble({ port: 0, latency: { medianMs: 5, p99Ms: 20 }, seed: 7 });
  const billingDb = await createTestDatabase('billing');
  await migrateBillingSchema(billingDb);
  await seedBillingAddresses(billingDb, { users: 400, addressesPerUser: 2 });
  const store = new PostgresBillingAddressStore({ connectionString: billingDb, profile: 'legacy' });
  await store.put({
    addressId: `addr-privacy-${tag}`,
    userId: PERSONAL.userId,
    name: PERSONAL.name,
    email: PERSONAL.email,
    line1: PERSONAL.line1,
    line2: PERSONAL.line2,
    city: PERSONAL.city,
    state: '',
    postalCode: PERSONAL.postalCode,
    country: 'GB',
    isDefault: true,
  });
  await store.close();
  const [cartDb, paymentDb] = await Promise.all([createTestDatabase('cart'), createTestDatabase('payment')]);
  const [billingPort, paymentPort, cartPort, paymentMetrics, billingMetrics] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const base = {
    PATH: process.env['PATH'],
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    PAYMENT_METRICS_PORT: String(paymentMetrics),
    BILLING_METRICS_PORT: String(billingMetrics),
  };
  const service = (name: string, entry: string, env: NodeJS.ProcessEnv, ready: () => Promise<boolean>) =>
    new ServiceProcess({ name, entry, env: { ...base, ...env }, ready, logFile: path.join(logs, `${name}.log`), preload: [TELEMETRY_PRELOAD] });
  cartUrl = `http://127.0.0.1:${cartPort}`;
  metricsUrls = {
    cart: `${cartUrl}/metrics`,
    payment: `http://127.0.0.1:${paymentMetrics}/metrics`,
    'billing-address': `http://127.0.0.1:${billingMetrics}/metrics`,
  };
  services = [
    service(
      'billing-address',
      'services/billing-address/src/main.ts',
      { BILLING_GRPC_PORT: String(billingPort), BILLING_STORE: 'sql', BILLING_DATABASE_URL: billingDb, BILLING_DB_POOL_MAX: '4' },
      () => isServing(`127.0.0.1:${billingPort}`),
    ),
    service(
      'payment',
      'services/payment/src/main.ts',
      {
        PAYMENT_GRPC_PORT: String(paymentPort),
        DATABASE_URL: paymentDb,
        BILLING_ADDRESS_GRPC_TARGET: `127.0.0.1:${billingPort}`,
        BILLING_DEADLINE_MS: '20000',
        STRIPE_API_BASE: stripeDouble.url,
        STRIPE_SECRET_KEY,
      },
      () => isServing(`127.0.0.1:${paymentPort}`),
    ),
    service(
      'cart',
      'services/cart/src/main.ts',
      { CART_HTTP_PORT: String(cartPort), DATABASE_URL: cartDb, PAYMENT_GRPC_TARGET: `127.0.0.1:${paymentPort}`, PAYMENT_DEADLINE_MS: '30000' },
      () => fetch(`${cartUrl}/readyz`).then((r) => r.ok),
    ),
  ];
  for (const s of services) await s.start();
}, 180_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await stripeDouble?.close();
  await receiver?.stop();
});

describe('one checkout', () => {
  const runId = `one-${tag}`;
  let trace: FlatSpan[];
  let orderId: string;

  beforeAll(async () => {
    const result = await checkoutFlow(PERSONAL.userId, runId);
    expect(result.status).toBe(200);
    orderId = result.orderId;
    await waitUntil(
      'the checkout trace',
      async () => {
        const found = checkoutTrace(await readRunSpans(traces, runId), orderId);
        if (!found?.some((s) => s.name === 'billing.lookup') || !isComplete(found)) return false;
        trace = found;
        return true;
      },
      30_000,
      { intervalMs: 250 },
    );
    // Late spans of the same trace (export batches) have a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    trace = checkoutTrace(await readRunSpans(traces, runId), orderId) ?? [];
  });

  it('is one trace across cart, payment and billing-address, with lab.run_id from baggage on every span', () => {
    expect(new Set(trace.map((s) => s.traceId)).size).toBe(1);
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(['cart', 'payment', 'billing-address']));
    expect(isComplete(trace)).toBe(true);
    for (const span of trace) {
      expect({ name: span.name, runId: span.attributes['lab.run_id'], variant: span.attributes['lab.variant'] }).toEqual({
        name: span.name,
        runId,
        variant: 'telemetry-test',
      });
    }
  });

  it('has the edges cart HTTP server → payment gRPC client → server → billing gRPC client → server → pg, and payment → Stripe HTTP client', () => {
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const ancestors = (span: FlatSpan): FlatSpan[] => {
      const chain: FlatSpan[] = [];
      for (let p = span.parentSpanId && byId.get(span.parentSpanId); p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) chain.push(p);
      return chain;
    };
    const nearest = (span: FlatSpan, kind: FlatSpan['kind']) => ancestors(span).find((s) => s.kind === kind);

    const root = trace.find((s) => !s.parentSpanId);
    expect(root).toMatchObject({ service: 'cart', kind: 'server' });
    expect(root?.attributes['http.route']).toBe('/carts/:cartId/checkout');
    expect(root?.name).toBe('POST /carts/:cartId/checkout');

    const grpcClient = (service: string, method: string) =>
      trace.filter((s) => s.service === service && s.kind === 'client' && s.attributes['rpc.method'] === method);
    const grpcServer = (service: string, method: string) =>
      trace.filter((s) => s.service === service && s.kind === 'server' && s.attributes['rpc.method'] === method);

    const [paymentClient] = grpcClient('cart', 'Authorize');
    const [paymentServer] = grpcServer('payment', 'Authorize');
    const [billingClient] = grpcClient('payment', 'GetBillingAddress');
    const [billingServer] = grpcServer('billing-address', 'GetBillingAddress');
    expect([paymentClient, paymentServer, billingClient, billingServer].every(Boolean)).toBe(true);
    expect(grpcClient('cart', 'Authorize')).toHaveLength(1);
    expect(grpcServer('billing-address', 'GetBillingAddress')).toHaveLength(1);

    // Each hop's nearest server/client ancestor is the previous hop.
    expect(paymentClient && nearest(paymentClient, 'server')?.spanId).toBe(root?.spanId);
    expect(paymentServer?.parentSpanId).toBe(paymentClient?.spanId);
    expect(billingClient && nearest(billingClient, 'server')?.spanId).toBe(paymentServer?.spanId);
    expect(billingServer?.parentSpanId).toBe(billingClient?.spanId);

    const isPg = (s: FlatSpan) => s.kind === 'client' && (s.attributes['db.system.name'] ?? s.attributes['db.system']) === 'postgresql';
    const billingQueries = trace.filter((s) => s.service === 'billing-address' && isPg(s));
    expect(billingQueries.length).toBeGreaterThan(0);
    for (const query of billingQueries) expect(nearest(query, 'server')?.spanId).toBe(billingServer?.spanId);

    const stripeCalls = trace.filter((s) => s.service === 'payment' && s.kind === 'client' && s.attributes['http.request.method'] === 'POST');
    expect(stripeCalls.map((s) => String(s.attributes['url.full']))).toEqual(
      expect.arrayContaining([`${stripeDouble.url}/v1/payment_methods`, `${stripeDouble.url}/v1/payment_intents`]),
    );
    for (const call of stripeCalls) expect(nearest(call, 'server')?.spanId).toBe(paymentServer?.spanId);
  });

  it('carries the business spans and their attributes', () => {
    // One `checkout` span: the business span (NestJS's handler spans, which duplicated it, are not recorded).
    expect(trace.filter((s) => s.name === 'checkout')).toHaveLength(1);
    expect(trace.filter((s) => s.attributes['nestjs.type'] !== undefined)).toEqual([]);
    const checkout = trace.find((s) => s.name === 'checkout');
    expect(checkout?.attributes).toMatchObject({
      'checkout.order_id': orderId,
      'checkout.item_count': 1,
      'checkout.amount_cents': 750,
      'checkout.outcome': 'paid',
    });
    const authorize = trace.find((s) => s.name === 'payment.authorize');
    expect(authorize?.service).toBe('payment');
    expect(authorize?.attributes['payment.outcome']).toBe('authorized');
    expect(String(authorize?.attributes['stripe.request_id'])).toMatch(/^req_/);
    const lookup = trace.find((s) => s.name === 'billing.lookup');
    expect(lookup?.attributes).toMatchObject({ 'billing.store': 'sql', 'billing.sql_profile': 'legacy', 'billing.found': true });
    expect(lookup?.resource).toMatchObject({ 'service.name': 'billing-address', 'billing.store': 'sql', 'deployment.environment.name': 'lab' });
  });

  it('logs request lines with the trace_id and span_id of their trace', () => {
    const lines = readFileSync(path.join(logs, 'cart.log'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const request = lines.find((l) => l['msg'] === 'request' && l['route'] === '/carts/:cartId/checkout' && l['trace_id'] === trace[0]?.traceId);
    expect(request).toBeDefined();
    expect(request?.['span_id']).toMatch(/^[0-9a-f]{16}$/);
    const paid = lines.find((l) => l['msg'] === 'order paid' && l['orderId'] === orderId);
    expect(paid?.['trace_id']).toBe(trace[0]?.traceId);
  });
});

describe('a burst of concurrent checkouts', () => {
  it('keeps every span of every trace, and the services report no dropped span', async () => {
    const runId = `burst-${tag}`;
    const count = 300;
    const results = await Promise.all(Array.from({ length: count }, (_, i) => checkoutFlow(`user-${(i % 400) + 1}`, runId)));
    expect(results.filter((r) => r.status !== 200)).toEqual([]);

    // Every span the services exported reached the receiver (the receiver counts what it stored).
    let exported = 0;
    await waitUntil(
      'the receiver to hold every exported span',
      async () => {
        exported = 0;
        for (const url of Object.values(metricsUrls)) exported += counter(await metricsOf(url), 'otel_spans_exported_total');
        const stored = Object.values(receiver.spanCounts()).reduce((a, b) => a + b, 0);
        return stored === exported && exported > 0;
      },
      60_000,
      { intervalMs: 500 },
    );
    for (const url of Object.values(metricsUrls)) expect(counter(await metricsOf(url), 'otel_spans_dropped_total')).toBe(0);

    // And every checkout's trace is whole: one root, every parent present, all three services.
    const spans = await readRunSpans(traces, runId);
    const traces_ = byTrace(spans);
    for (const { orderId } of results) {
      const trace = checkoutTrace(spans, orderId);
      expect(trace && isComplete(trace) ? 'complete' : `incomplete ${orderId}`).toBe('complete');
      expect(new Set(trace?.map((s) => s.service))).toEqual(new Set(['cart', 'payment', 'billing-address']));
    }
    // 3 requests per flow, each its own trace.
    expect(traces_.size).toBe(count * 3);
    expect(spans.every((s) => s.attributes['lab.run_id'] === runId)).toBe(true);
  }, 240_000);
});

describe('metrics', () => {
  it('serves the HTTP, RPC and DB histograms and the business counters, and promtool accepts each /metrics', async () => {
    expect((await checkoutFlow('user-7', `metrics-${tag}`)).status).toBe(200);
    const texts = Object.fromEntries(
      await Promise.all(Object.entries(metricsUrls).map(async ([name, url]) => [name, await metricsOf(url)] as const)),
    ) as Record<keyof typeof metricsUrls, string>;
    expect(texts.cart).toContain('http_server_request_duration_bucket');
    expect(texts.cart).toContain('rpc_client_call_duration_bucket');
    expect(texts.cart).toMatch(/checkouts_total\{outcome="paid"[^}]*\} \d+/);
    expect(texts.payment).toContain('rpc_server_call_duration_bucket');
    expect(texts.payment).toContain('db_client_operation_duration_bucket');
    expect(texts.payment).toContain('http_client_request_duration_bucket');
    expect(texts.payment).toMatch(/payments_total\{outcome="authorized"[^}]*\} \d+/);
    expect(texts['billing-address']).toMatch(/billing_lookups_total\{store="sql",found="true"[^}]*\} \d+/);
    for (const [name, text] of Object.entries(texts)) {
      expect(text).toContain('otel_spans_exported_total');
      expect(text).toContain('otel_spans_dropped_total');
      const result = await promtoolCheck(text);
      // The one lint promtool has: the semantic conventions name the pool gauge db.client.connection.count,
      // and promtool wants no "_count" suffix on a gauge. Any other lint, or a format error, fails.
      const allowed = /^db_client_connection_count non-histogram and non-summary metrics should not have "_count" suffix$/;
      const others = result.output.split('\n').filter((line) => line.trim() !== '' && !allowed.test(line.trim()));
      expect({ name, others, code: others.length ? result.code : 0 }).toEqual({ name, others: [], code: 0 });
      expect([0, 3]).toContain(result.code); // 3: lint problems only (the allowed one); 1 would be a parse error
    }
  });
});

describe('privacy', () => {
  it('no personal value, Stripe secret or idempotency key in any span, log line or /metrics output', async () => {
    // A declined and a failed checkout for the same user, so error paths are scanned too.
    const headers = { baggage: `lab.run_id=privacy-${tag}` };
    const created = await post('/carts', { userId: PERSONAL.userId }, headers);
    await post(`/carts/${String(created.body['cartId'])}/items`, { sku: 'MUG-1', quantity: 1, unitPriceCents: 900 }, headers);
    const declined = await post(
      `/carts/${String(created.body['cartId'])}/checkout?email=${encodeURIComponent(PERSONAL.email)}`,
      { paymentMethod: 'pm_card_chargeDeclined' },
      { ...headers, 'idempotency-key': newKey() },
    );
    expect(declined.body['status']).toBe('declined');
    const metricsTexts = await Promise.all(Object.entries(metricsUrls).map(async ([name, url]) => [`${name} /metrics`, await metricsOf(url)] as [string, string]));
    // Stopping flushes the services' last spans and log lines.
    for (const s of services) await s.stop();
    await receiver.flush();

    const haystacks: [string, string][] = [];
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const file of [...walk(traces), ...walk(logs)]) haystacks.push([file, readFileSync(file, 'utf8')]);
    haystacks.push(...metricsTexts);
    expect(haystacks.filter(([, text]) => text.length > 0).length).toBeGreaterThanOrEqual(6);
    expect(haystacks.some(([, text]) => text.includes(`privacy-${tag}`))).toBe(true);

    const secrets = [...Object.entries(PERSONAL).filter(([key]) => key !== 'userId'), ['stripeSecretKey', STRIPE_SECRET_KEY], ...usedIdempotencyKeys.map((k) => ['idempotencyKey', k])];
    const hits = haystacks.flatMap(([where, text]) => secrets.filter(([, value]) => text.includes(String(value))).map(([what]) => `${what} in ${where}`));
    expect(hits).toEqual([]);
  }, 120_000);
});

function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => reject(new Error(`promtool could not run (apt-get install prometheus): ${error.message}`)));
    child.once('exit', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}
