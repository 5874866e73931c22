import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { migrateBillingSchema, seedBillingAddresses } from '@checkout-lab/billing-store';
import { isServing } from '@checkout-lab/contracts';
import { freePort, waitUntil } from '@checkout-lab/embedded';
import { startStripeDouble, type RunningStripeDouble } from '@checkout-lab/stripe-double';
import { createTestDatabase } from '@checkout-lab/testing';
import { matcherLabels, metricNames, scrapedSeries } from '../src';
import { INFRA, REPO } from './helpers';

/**
 * Every metric a Grafana dashboard queries must be one something in the stack exports: the
 * services' own /metrics (scraped here from real processes after a real checkout) or the
 * Collector's spanmetrics connector (names derived from infra/otel-collector/config.yaml).
 */
const DASHBOARDS = path.join(INFRA, 'grafana', 'dashboards');
const dashboards = readdirSync(DASHBOARDS)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ file, json: JSON.parse(readFileSync(path.join(DASHBOARDS, file), 'utf8')) as Dashboard }));

interface Dashboard {
  uid: string;
  title: string;
  panels: { title: string; datasource?: { uid: string }; targets?: { expr?: string; refId: string; datasource?: { uid: string } }[] }[];
}

const expressions = dashboards.flatMap(({ file, json }) =>
  json.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `${file}: ${panel.title}`, expr: target.expr ?? '' }))),
);

/** The Prometheus series the spanmetrics connector produces, from the Collector config. */
function spanMetricsSeries(): Map<string, Set<string>> {
  const config = parse(readFileSync(path.join(INFRA, 'otel-collector', 'config.yaml'), 'utf8')) as any;
  const connector = config.connectors.spanmetrics;
  const namespace = String(connector.namespace ?? 'traces.span.metrics').replace(/\./g, '_');
  const unit = connector.histogram?.unit === 's' ? 'seconds' : 'milliseconds';
  const labels = new Set<string>(['service_name', 'span_name', 'span_kind', 'status_code', 'job', 'instance']);
  for (const dimension of connector.dimensions ?? []) labels.add(String(dimension.name).replace(/\./g, '_'));
  const series = new Map<string, Set<string>>([[`${namespace}_calls_total`, labels]]);
  for (const suffix of ['bucket', 'sum', 'count']) series.set(`${namespace}_duration_${unit}_${suffix}`, new Set([...labels, ...(suffix === 'bucket' ? ['le'] : [])]));
  return series;
}

describe('Grafana dashboards', () => {
  it('load: each parses, has a uid and title, and every panel has Prometheus targets on the provisioned data source', () => {
    const provisioned = parse(readFileSync(path.join(INFRA, 'grafana', 'provisioning', 'datasources', 'datasources.yaml'), 'utf8')) as {
      datasources: { uid: string; type: string }[];
    };
    const uids = new Set(provisioned.datasources.map((d) => d.uid));
    expect(provisioned.datasources.map((d) => d.type).sort()).toEqual(['jaeger', 'prometheus']);
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual(['billing-lookups', 'checkout-red', 'payments']);
    for (const { file, json } of dashboards) {
      expect([file, json.panels.length > 0]).toEqual([file, true]);
      for (const panel of json.panels) {
        expect([file, panel.title, (panel.targets ?? []).length > 0]).toEqual([file, panel.title, true]);
        for (const target of panel.targets ?? []) {
          expect([file, panel.title, uids.has(target.datasource?.uid ?? panel.datasource?.uid ?? '')]).toEqual([file, panel.title, true]);
          expect([file, panel.title, metricNames(target.expr ?? '').length > 0]).toEqual([file, panel.title, true]);
        }
      }
    }
  });

  it('(metric names are read from PromQL correctly)', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, service_name) (rate(a_bucket{span_name="x"}[$__rate_interval])))')).toEqual(['a_bucket']);
    expect(metricNames('sum(rate(b_total[5m])) / sum(rate(c_count{x=~"y|z"}[5m]))').sort()).toEqual(['b_total', 'c_count']);
    expect(matcherLabels('rate(m{a="1", b=~"2"}[1m])')).toEqual([{ metric: 'm', labels: ['a', 'b'] }]);
  });
});

describe('dashboards query only what the stack exports (real /metrics scrape)', () => {
  const children: ChildProcess[] = [];
  let stripeDouble: RunningStripeDouble | undefined;
  const scraped = new Map<string, Set<string>>();
  const logs: string[] = [];

  function startService(name: string, env: NodeJS.ProcessEnv, ready: () => Promise<boolean>): Promise<void> {
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', '-r', path.join(REPO, 'libs/telemetry/src/preload.ts'), path.join(REPO, `services/${name}/src/main.ts`)],
      { cwd: REPO, env: { PATH: process.env['PATH'], SWC_NODE_PROJECT: path.join(REPO, 'tsconfig.base.json'), LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    const keep = (chunk: Buffer) => logs.push(`${name}: ${chunk.toString().trim()}`);
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return waitUntil(name, ready, 120_000);
  }

  beforeAll(async () => {
    stripeDouble = await startStripeDouble({ port: 0, latency: { medianMs: 5, p99Ms: 20 }, seed: 1 });
    const billingDb = await createTestDatabase('billing');
    await migrateBillingSchema(billingDb);
    await seedBillingAddresses(billingDb, { users: 20, addressesPerUser: 2 });
    const [cartDb, paymentDb] = await Promise.all([createTestDatabase('cart'), createTestDatabase('payment')]);
    const [billingPort, billingMetrics, paymentPort, paymentMetrics, cartPort, otlpPort] = await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    );
    // Spans go nowhere that listens (a free port): the export counters still count.
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
    await startService('billing-address', { ...otel, BILLING_GRPC_PORT: String(billingPort), BILLING_METRICS_PORT: String(billingMetrics), BILLING_STORE: 'sql', BILLING_DATABASE_URL: billingDb }, () =>
      isServing(`127.0.0.1:${billingPort}`),
    );
    await startService(
      'payment',
      {
        ...otel,
        PAYMENT_GRPC_PORT: String(paymentPort),
        PAYMENT_METRICS_PORT: String(paymentMetrics),
        DATABASE_URL: paymentDb,
        BILLING_ADDRESS_GRPC_TARGET: `127.0.0.1:${billingPort}`,
        STRIPE_API_BASE: stripeDouble.url,
        STRIPE_SECRET_KEY: 'sk_test_infra',
      },
      () => isServing(`127.0.0.1:${paymentPort}`),
    );
    const cartUrl = `http://127.0.0.1:${cartPort}`;
    await startService('cart', { ...otel, CART_HTTP_PORT: String(cartPort), DATABASE_URL: cartDb, PAYMENT_GRPC_TARGET: `127.0.0.1:${paymentPort}` }, () =>
      fetch(`${cartUrl}/readyz`).then((r) => r.ok, () => false),
    );

    // One real checkout, so every business counter and histogram has a sample.
    const post = async (pathname: string, body: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${cartUrl}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      return (await response.json()) as Record<string, string>;
    };
    const { cartId } = await post('/carts', { userId: 'user-1' });
    await post(`/carts/${cartId}/items`, { sku: 'MUG-1', quantity: 1, unitPriceCents: 1500 });
    const paid = await post(`/carts/${cartId}/checkout`, {}, { 'idempotency-key': `infra-${process.pid}` });
    expect(paid['status']).toBe('paid');

    for (const url of [`${cartUrl}/metrics`, `http://127.0.0.1:${paymentMetrics}/metrics`, `http://127.0.0.1:${billingMetrics}/metrics`]) {
      const text = await (await fetch(url)).text();
      for (const [name, labels] of scrapedSeries(text)) scraped.set(name, new Set([...(scraped.get(name) ?? []), ...labels, 'job', 'instance', 'service']));
    }
  });

  afterAll(async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    await stripeDouble?.close();
  });

  it('serves the business and span-export counters under their agreed names', () => {
    for (const name of ['checkouts_total', 'payments_total', 'billing_lookups_total', 'otel_spans_exported_total', 'otel_spans_dropped_total']) {
      expect([name, scraped.has(name)]).toEqual([name, true]);
    }
  });

  it('every metric and label a dashboard queries is exported by a service or the spanmetrics connector', () => {
    const exported = new Map([...scraped, ...spanMetricsSeries()]);
    const missing: string[] = [];
    for (const { where, expr } of expressions) {
      for (const name of metricNames(expr)) if (!exported.has(name)) missing.push(`${where}: metric ${name}`);
      for (const { metric, labels } of matcherLabels(expr)) {
        for (const label of labels) if (exported.has(metric) && !exported.get(metric)!.has(label)) missing.push(`${where}: label ${metric}{${label}}`);
      }
      for (const by of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
        const names = metricNames(expr).filter((name) => exported.has(name));
        for (const label of (by[1] ?? '').split(',').map((l) => l.trim()).filter(Boolean)) {
          if (names.length > 0 && !names.some((name) => exported.get(name)!.has(label))) missing.push(`${where}: grouped by unknown label ${label}`);
        }
      }
    }
    if (missing.length > 0) logs.push(`scraped: ${[...scraped.keys()].sort().join(' ')}`);
    expect(missing).toEqual([]);
  });
});
