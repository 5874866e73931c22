import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AttributeValue, FlatSpan, SpanKind, SpanStatus } from '@checkout-lab/telemetry';
import type { LoadSummary } from '@checkout-lab/run-record';
import type { RunData } from '../src/run-data';
import { seededRandom } from '@checkout-lab/config';
import { percentile, mean } from '../src/stats';

/**
 * Synthetic runs with known shapes: each iteration is a checkout-flow trace through cart,
 * payment and billing-address, with the billing lookup's latency drawn from a log-normal
 * (median `lookupMedianMs`) and a payment deadline that turns slow lookups into timeouts.
 */
export interface SyntheticRunSpec {
  variant: string;
  repetition: number;
  store: 'sql' | 'dynamodb';
  lookupMedianMs: number;
  lookupSigma?: number;
  stripeMs?: number;
  /** Lookups slower than this time out (the checkout answers 504). */
  deadlineMs?: number;
  iterations?: number;
  rate?: number;
  durationS?: number;
  dropped?: number;
  scheduleLagP99Ms?: number;
  spansDropped?: number;
  warmup?: boolean;
  seed?: number;
}

let idCounter = 0;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const ms = (x: number) => BigInt(Math.round(x * 1e6));

export function span(
  fields: Partial<FlatSpan> & { traceId: string; name: string; service: string; start: number; end: number; kind?: SpanKind; status?: SpanStatus; attributes?: Record<string, AttributeValue> },
): FlatSpan {
  const { start, end, ...rest } = fields;
  return {
    spanId: hex(++idCounter, 16),
    kind: 'internal',
    status: 'unset',
    attributes: {},
    resource: { 'service.name': fields.service },
    events: [],
    ...rest,
    startUnixNano: 1_700_000_000_000_000_000n + ms(start),
    endUnixNano: 1_700_000_000_000_000_000n + ms(end),
  };
}

export function syntheticRun(spec: SyntheticRunSpec): RunData {
  const random = seededRandom(spec.seed ?? spec.repetition * 7919 + spec.variant.length * 104729);
  const normal = () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const iterations = spec.iterations ?? 200;
  const rate = spec.rate ?? 10;
  const durationS = spec.durationS ?? iterations / rate;
  const deadline = spec.deadlineMs ?? Number.POSITIVE_INFINITY;
  const runId = `synthetic-${spec.variant}-r${spec.repetition}`;
  const spans: FlatSpan[] = [];
  const checkoutDurations: number[] = [];
  const createDurations: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const traceId = hex(spec.repetition * 1_000_000 + i + 1, 16) + hex(spec.variant.length * 1000 + spec.variant.charCodeAt(0), 16);
    const t0 = (i * 1000) / rate;
    const lookup = spec.lookupMedianMs * Math.exp((spec.lookupSigma ?? 0.25) * normal());
    const stripe = (spec.stripeMs ?? 200) * Math.exp(0.1 * normal());
    const timedOut = lookup > deadline;
    const base = { traceId, attributes: { 'lab.run_id': runId, 'lab.variant': spec.variant } };
    const root = span({ ...base, name: 'checkout-flow', service: 'load-driver', kind: 'client', start: t0, end: t0 });
    const createMs = 5 + 2 * random();
    const create = span({ ...base, parentSpanId: root.spanId, name: 'POST /carts', service: 'cart', kind: 'server', start: t0 + 1, end: t0 + 1 + createMs });
    createDurations.push(createMs + 1);
    const cStart = t0 + 10;
    const lookupEnd = cStart + 4 + Math.min(lookup, deadline);
    const paymentEnd = timedOut ? lookupEnd + 1 : lookupEnd + 2 + stripe;
    const cEnd = paymentEnd + 3;
    const server = span({
      ...base,
      parentSpanId: root.spanId,
      name: 'POST /carts/:cartId/checkout',
      service: 'cart',
      kind: 'server',
      start: cStart,
      end: cEnd,
      attributes: { ...base.attributes, 'http.response.status_code': timedOut ? 504 : 200 },
    });
    const outcome = timedOut ? 'timeout' : i % 20 === 0 ? 'declined' : 'paid';
    // NestJS's instrumentation names its handler span after the method ("checkout") and the business span sits under it, as in the real services' traces.
    const handler = span({ ...base, parentSpanId: server.spanId, name: 'checkout', service: 'cart', start: cStart + 1, end: cEnd - 1, attributes: { ...base.attributes, 'nestjs.type': 'handler', 'nestjs.callback': 'checkout' } });
    const checkout = span({ ...base, parentSpanId: handler.spanId, name: 'checkout', service: 'cart', start: cStart + 1, end: cEnd - 1, status: timedOut ? 'error' : 'unset', attributes: { ...base.attributes, 'checkout.outcome': outcome } });
    const grpcClient = span({
      ...base,
      parentSpanId: checkout.spanId,
      name: 'checkout.payment.v1.PaymentService/Authorize',
      service: 'cart',
      kind: 'client',
      start: cStart + 2,
      end: paymentEnd,
      status: timedOut ? 'error' : 'unset',
      attributes: { ...base.attributes, 'rpc.grpc.status_code': timedOut ? 4 : 0 },
    });
    const authorize = span({ ...base, parentSpanId: grpcClient.spanId, name: 'payment.authorize', service: 'payment', start: cStart + 3, end: paymentEnd - 0.5, status: timedOut ? 'error' : 'unset' });
    const billing = span({ ...base, parentSpanId: authorize.spanId, name: 'billing.lookup', service: 'billing-address', start: cStart + 4, end: lookupEnd, attributes: { ...base.attributes, 'billing.store': spec.store } });
    const db = span({
      ...base,
      parentSpanId: billing.spanId,
      name: spec.store === 'sql' ? 'SELECT billing' : 'DynamoDB.GetItem',
      service: 'billing-address',
      kind: 'client',
      start: cStart + 4.2,
      end: lookupEnd - 0.2,
    });
    // A metrics flush span that runs in parallel with the lookup: never on the critical path.
    const side = span({ ...base, parentSpanId: authorize.spanId, name: 'audit.write', service: 'payment', start: cStart + 4, end: cStart + 5 });
    spans.push(root, create, server, handler, checkout, grpcClient, authorize, billing, db, side);
    if (!timedOut) spans.push(span({ ...base, parentSpanId: authorize.spanId, name: 'POST /v1/payment_intents', service: 'payment', kind: 'client', start: lookupEnd + 1, end: lookupEnd + 1 + stripe }));
    root.endUnixNano = server.endUnixNano + ms(1);
    checkoutDurations.push(cEnd - cStart + 1);
  }
  const trend = (values: number[]) => ({
    type: 'trend' as const,
    contains: 'time' as const,
    values: { avg: mean(values), min: Math.min(...values), med: percentile(values, 50), max: Math.max(...values), 'p(90)': percentile(values, 90), 'p(95)': percentile(values, 95), 'p(99)': percentile(values, 99) },
  });
  const lag = spec.scheduleLagP99Ms ?? 3;
  const summary: LoadSummary = {
    root_group: { name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e', groups: [], checks: [] },
    options: {},
    state: { testRunDurationMs: durationS * 1000 },
    metrics: {
      iterations: { type: 'counter', contains: 'default', values: { count: iterations, rate: iterations / durationS } },
      dropped_iterations: { type: 'counter', contains: 'default', values: { count: spec.dropped ?? 0, rate: (spec.dropped ?? 0) / durationS } },
      http_reqs: { type: 'counter', contains: 'default', values: { count: iterations * 2, rate: (iterations * 2) / durationS } },
      'http_req_duration{name:create_cart}': trend(createDurations),
      'http_req_duration{name:checkout}': trend(checkoutDurations),
      'http_reqs{name:checkout}': { type: 'counter', contains: 'default', values: { count: iterations, rate: iterations / durationS } },
      schedule_lag: trend([lag / 3, lag / 2, lag]),
      generator_event_loop_delay: trend([1, 2, 4]),
    },
  };
  return {
    dir: `/synthetic/${runId}`,
    meta: {
      runId,
      experiment: 'synthetic',
      variant: spec.variant,
      repetition: spec.repetition,
      warmup: spec.warmup ?? false,
      startedAt: '2025-01-01T00:00:00.000Z',
      endedAt: '2025-01-01T00:01:00.000Z',
      scenario: 'peak',
      target: { rate, durationS },
      settings: { billingStore: spec.store },
    },
    summary,
    spans,
    database:
      spec.store === 'sql'
        ? {
            store: 'sql',
            profile: spec.lookupMedianMs > 100 ? 'legacy' : 'indexed',
            plan:
              spec.lookupMedianMs > 100
                ? 'Limit  (cost=9876.00..9876.01 rows=1 width=120) (actual time=412.1..412.1 rows=1 loops=1)\n  ->  Sort\n        ->  Seq Scan on billing_addresses  (actual time=0.02..411.0 rows=5 loops=1)\n              Filter: ((user_id = $1) AND is_default)'
                : 'Limit  (actual time=0.05..0.05 rows=1 loops=1)\n  ->  Index Scan using billing_addresses_user_default_idx on billing_addresses  (actual time=0.04..0.04 rows=1 loops=1)',
            statements: [{ query: 'SELECT * FROM billing_addresses WHERE user_id = $1 AND is_default ORDER BY updated_at DESC LIMIT $2', calls: iterations, mean_ms: spec.lookupMedianMs, total_ms: spec.lookupMedianMs * iterations, rows: iterations }],
          }
        : { store: 'dynamodb', consumedCapacity: { readUnits: iterations * 0.5, writeUnits: 0 } },
    host: { cpus: 2, loadavg: [1.2, 1, 0.8], cpuUtilisation: 0.7, memory: { totalBytes: 8e9, usedBytes: 4e9, rssBytes: 6e8 } },
    telemetry: { services: { cart: { exported: iterations * 5, dropped: spec.spansDropped ?? 0 }, payment: { exported: iterations * 3, dropped: 0 } } },
  };
}

/** The swiftcart shape: legacy SQL (slow lookups, some timeouts), DynamoDB and indexed SQL (fast lookups), three repetitions each. */
export function swiftcartRuns(options: { repetitions?: number; iterations?: number } = {}): RunData[] {
  const runs: RunData[] = [];
  const reps = options.repetitions ?? 3;
  for (let r = 1; r <= reps; r++) {
    runs.push(syntheticRun({ variant: 'legacy-sql', repetition: r, store: 'sql', lookupMedianMs: 600, lookupSigma: 0.35, deadlineMs: 1000, iterations: options.iterations }));
    runs.push(syntheticRun({ variant: 'dynamodb', repetition: r, store: 'dynamodb', lookupMedianMs: 15, iterations: options.iterations }));
    runs.push(syntheticRun({ variant: 'indexed-sql', repetition: r, store: 'sql', lookupMedianMs: 8, iterations: options.iterations }));
  }
  return runs;
}

/** Writes runs as an experiment directory (run.json, summary.json, spans/*.json as OTLP/JSON, evidence files). */
export function writeRunDirs(outDir: string, runs: RunData[], experiment?: Record<string, unknown>): string[] {
  const dirs: string[] = [];
  if (experiment) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'experiment.json'), JSON.stringify(experiment));
  }
  runs.forEach((run, i) => {
    const dir = path.join(outDir, 'runs', `${String(i + 1).padStart(2, '0')}-${run.meta.variant}-r${run.meta.repetition}`);
    mkdirSync(path.join(dir, 'spans'), { recursive: true });
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run.meta));
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(run.summary));
    if (run.database) writeFileSync(path.join(dir, 'database.json'), JSON.stringify(run.database));
    if (run.host) writeFileSync(path.join(dir, 'host.json'), JSON.stringify(run.host));
    if (run.telemetry) writeFileSync(path.join(dir, 'telemetry.json'), JSON.stringify(run.telemetry));
    writeFileSync(path.join(dir, 'spans', 'traces.json'), JSON.stringify(toOtlp(run.spans)));
    dirs.push(dir);
  });
  return dirs;
}

const KIND_NUMBERS: Record<SpanKind, number> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const STATUS_NUMBERS: Record<SpanStatus, number> = { unset: 0, ok: 1, error: 2 };

/** FlatSpans as one OTLP/JSON request (one resource per service), as a receiver or a Collector file writes a line. */
export function toOtlp(spans: FlatSpan[]) {
  const byService = new Map<string, FlatSpan[]>();
  for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  const value = (v: AttributeValue) => (typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : typeof v === 'number' ? (Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v }) : { stringValue: JSON.stringify(v) });
  const attrs = (a: Record<string, AttributeValue>) => Object.entries(a).map(([key, v]) => ({ key, value: value(v) }));
  return {
    resourceSpans: [...byService.entries()].map(([service, list]) => ({
      resource: { attributes: attrs({ 'service.name': service }) },
      scopeSpans: [
        {
          scope: { name: 'synthetic' },
          spans: list.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
            name: s.name,
            kind: KIND_NUMBERS[s.kind],
            startTimeUnixNano: s.startUnixNano.toString(),
            endTimeUnixNano: s.endUnixNano.toString(),
            attributes: attrs(s.attributes),
            ...(s.events.length ? { events: s.events.map((e) => ({ timeUnixNano: e.timeUnixNano.toString(), name: e.name, attributes: attrs(e.attributes) })) } : {}),
            status: { code: STATUS_NUMBERS[s.status], ...(s.statusMessage ? { message: s.statusMessage } : {}) },
          })),
        },
      ],
    })),
  };
}
