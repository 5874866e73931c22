import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ATTR_LAB_RUN_ID, ATTR_LAB_VARIANT, LAB_BAGGAGE_KEYS } from '@checkout-lab/telemetry';
import { applyExecutionShortcuts, applyScenarioEnv, baggageHeader, checkoutFlow, drawUser, loadScenario, parseCount, parseDuration, parseEnvPairs, parseLoadSummary, resolveOptions, ScenarioError, summaryExport, textSummary, thresholdsPassed } from '../src';
import type { FlowRequestParams, LoadClient } from '../src';
import { MetricRegistry } from '../src/driver/metrics';
import { constantStarts, rampingStarts } from '../src/driver/schedule';
import { evaluateThresholds, parseThresholds } from '../src/driver/thresholds';

describe('scenario files', () => {
  it('fill ${VAR:-default} from the environment, numbers as numbers', () => {
    const raw = { rate: '${RATE:-20}', duration: '${DURATION:-30s}', label: 'p(95)<${P95:-500}', keep: 3 };
    expect(applyScenarioEnv(raw, {})).toEqual({ rate: 20, duration: '30s', label: 'p(95)<500', keep: 3 });
    expect(applyScenarioEnv(raw, { RATE: '7.5', DURATION: '1m', P95: '900' })).toEqual({ rate: 7.5, duration: '1m', label: 'p(95)<900', keep: 3 });
    expect(() => applyScenarioEnv({ a: { b: '${MISSING}' } }, {})).toThrow('a.b: ${MISSING} has no default and MISSING is not set');
  });

  it.each(['smoke', 'baseline', 'peak', 'soak', 'breakpoint'])('%s is a runnable k6 options object', (name) => {
    const { options } = loadScenario(name, {});
    expect(Object.keys(options.scenarios).length).toBeGreaterThan(0);
    expect(Object.keys(options.thresholds ?? {}).length).toBeGreaterThan(0);
  });

  it('peak ramps to the peak-hours rate, holds it and ramps down, scaled by env', () => {
    const { options } = loadScenario('peak', { PEAK_RATE: '40', HOLD: '5m' });
    const peak = options.scenarios['peak'];
    expect(peak?.executor).toBe('ramping-arrival-rate');
    expect(peak && 'stages' in peak ? peak.stages.map((s) => s.target) : []).toEqual([40, 40, 2]);
    expect(peak && 'stages' in peak ? peak.stages[1]?.duration : undefined).toBe('5m');
  });

  it('reject an unknown scenario, bad JSON and bad options with a message naming the problem', () => {
    expect(() => loadScenario('nope', {})).toThrow(/unknown scenario "nope" \(known: baseline, breakpoint, peak, smoke, soak/);
    const bad = path.join(__dirname, 'fixtures', 'k6-summary.json'); // JSON, but not options
    expect(() => loadScenario(bad, {})).toThrow(ScenarioError);
    expect(() => loadScenario(bad, {})).toThrow(/scenarios/);
  });

  it('parse k6 durations', () => {
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration(1500)).toBe(1500);
    expect(() => parseDuration('ten seconds')).toThrow(/not a duration/);
  });
});

describe("k6's CLI habits", () => {
  const smoke = loadScenario('smoke', {}).options;

  it('--iterations makes one shared-iterations scenario "default" (maxDuration from --duration), keeping the thresholds', () => {
    const { options } = applyExecutionShortcuts(smoke, { iterations: 10, vus: 2, duration: '1m' });
    expect(options.scenarios).toEqual({ default: { executor: 'shared-iterations', vus: 2, iterations: 10, maxDuration: '1m' } });
    expect(options.thresholds).toEqual(smoke.thresholds);
    expect(applyExecutionShortcuts(smoke, { iterations: 3 }).options.scenarios).toEqual({ default: { executor: 'shared-iterations', vus: 1, iterations: 3 } });
  });

  it('--duration makes one constant-vus scenario "default"; --vus alone changes nothing (as in k6) and says so', () => {
    expect(applyExecutionShortcuts(smoke, { duration: '30s', vus: 5 }).options.scenarios).toEqual({ default: { executor: 'constant-vus', vus: 5, duration: '30s' } });
    expect(applyExecutionShortcuts(smoke, { duration: '30s' }).options.scenarios).toEqual({ default: { executor: 'constant-vus', vus: 1, duration: '30s' } });
    expect(applyExecutionShortcuts(smoke, { vus: 5 })).toEqual({ options: smoke, ignoredVus: true });
    expect(applyExecutionShortcuts(smoke, {})).toEqual({ options: smoke, ignoredVus: false });
  });

  it('refuses what k6 refuses, in one line naming the flag', () => {
    expect(() => applyExecutionShortcuts(smoke, { iterations: 2, vus: 5 })).toThrow("--iterations (2) can't be less than --vus (5), as in k6");
    expect(() => applyExecutionShortcuts(smoke, { duration: '0s' })).toThrow('--duration should be more than 0');
    expect(() => applyExecutionShortcuts(smoke, { duration: 'soon' })).toThrow('--duration: "soon" is not a duration');
    expect(() => resolveOptions({ scenarios: { s: { executor: 'shared-iterations', vus: 4, iterations: 2 } } }, {})).toThrow("the number of iterations (2) can't be less than the number of VUs (4)");
    expect(parseCount('--vus', '12')).toBe(12);
    for (const bad of ['0', '-1', '1.5', 'ten', '']) expect(() => parseCount('--vus', bad)).toThrow(`--vus "${bad}" is not a whole number ≥ 1`);
  });

  it('-e NAME=value, repeatable; the value may hold "="; NAME alone is "" (as k6)', () => {
    expect(parseEnvPairs(['RATE=5', 'URL=http://x/?a=b', 'EMPTY', 'RATE=7'])).toEqual({ RATE: '7', URL: 'http://x/?a=b', EMPTY: '' });
    expect(() => parseEnvPairs(['1X=2'])).toThrow('-e "1X=2": "1X" is not a variable name (use -e NAME=value)');
    expect(() => parseEnvPairs(['=2'])).toThrow(ScenarioError);
  });
});

describe('arrival schedule', () => {
  it('constant rate: rate × duration starts, evenly spaced from 0', () => {
    const starts = [...constantStarts(50, 1000, 10_000)];
    expect(starts).toHaveLength(500);
    expect(starts[1]).toBeCloseTo(20);
    expect(starts.at(-1)).toBeCloseTo(9980);
  });

  it('ramping rate: linear between stages, iterations = area under the rate', () => {
    // 0 → 10/s over 10 s (50 iterations), hold 10/s for 10 s (100), 10 → 0 over 10 s (50)
    const starts = [...rampingStarts(0, 1000, [{ durationMs: 10_000, target: 10 }, { durationMs: 10_000, target: 10 }, { durationMs: 10_000, target: 0 }])];
    expect(starts.length).toBeGreaterThanOrEqual(199);
    expect(starts.length).toBeLessThanOrEqual(201);
    expect(starts.filter((t) => t < 10_000)).toHaveLength(50);
    // during the ramp-up the gaps shrink: the nth start is at sqrt(2n / slope)
    expect(starts[8]).toBeCloseTo(Math.sqrt((2 * 8) / (10 / 1000 / 10_000)), 0);
    for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThan(starts[i - 1] ?? -1);
  });
});

describe('thresholds (k6 syntax)', () => {
  it('evaluate percentiles, rates and counts on metrics and sub-metrics', () => {
    const registry = new MetricRegistry();
    registry.define('http_req_duration', 'trend', 'time');
    registry.define('http_req_failed', 'rate');
    registry.define('dropped_iterations', 'counter');
    const thresholds = parseThresholds(
      {
        http_req_duration: ['p(95)<100', 'avg<=60', 'max<200'],
        'http_req_duration{name:checkout}': ['med>150'],
        http_req_failed: ['rate<0.1'],
        dropped_iterations: [{ threshold: 'count==0', abortOnFail: true, delayAbortEval: '10s' }],
      },
      registry,
    );
    for (let i = 0; i < 100; i++) registry.add('http_req_duration', i < 90 ? 50 : 160, { name: i < 90 ? 'add_item' : 'checkout' });
    for (let i = 0; i < 20; i++) registry.add('http_req_failed', i < 1 ? 1 : 0);
    const failed = evaluateThresholds(thresholds, registry, 10);
    expect(failed.map((t) => `${t.metric} ${t.source}`).sort()).toEqual(['http_req_duration avg<=60', 'http_req_duration p(95)<100']);
    expect(thresholds.find((t) => t.metric === 'dropped_iterations')).toMatchObject({ abortOnFail: true, delayAbortEvalMs: 10_000, ok: true });
    registry.add('dropped_iterations', 1);
    expect(evaluateThresholds(thresholds, registry, 10).map((t) => t.source)).toContain('count==0');
  });

  it('refuse expressions k6 would refuse', () => {
    const registry = new MetricRegistry();
    registry.define('http_req_duration', 'trend', 'time');
    expect(() => parseThresholds({ http_req_duration: ['p95 < 100'] }, registry)).toThrow(/not a k6 threshold/);
    expect(() => parseThresholds({ no_such_metric: ['count<1'] }, registry)).toThrow(/unknown metric "no_such_metric"/);
  });
});

describe('the summary', () => {
  it('parses a real k6 handleSummary JSON with the same code that reads the driver output', () => {
    const summary = parseLoadSummary(readFileSync(path.join(__dirname, 'fixtures', 'k6-summary.json'), 'utf8'));
    expect(summary.metrics['http_req_duration{name:checkout}']?.values['p(95)']).toBeCloseTo(1733.08, 2);
    expect(summary.metrics['dropped_iterations']?.values['count']).toBe(2);
    expect(thresholdsPassed(summary)).toBe(true);
    expect(textSummary(summary)).toMatch(/http_req_duration\.+: avg=184\.22ms/);
    expect(() => parseLoadSummary('{"metrics":{}}')).toThrow(/not a k6 handleSummary JSON/);
  });

  it("writes k6's --summary-export format: values by metric name, a rate's value, thresholds true when failed, checks by name", () => {
    const summary = parseLoadSummary(readFileSync(path.join(__dirname, 'fixtures', 'k6-summary.json'), 'utf8'));
    summary.metrics['http_req_failed'] = { type: 'rate', contains: 'default', values: { rate: 0.02, passes: 2, fails: 98 }, thresholds: { 'rate<0.01': { ok: false } } };
    const exported = JSON.parse(summaryExport(summary)) as { root_group: { checks: Record<string, unknown>; groups: Record<string, unknown> }; metrics: Record<string, Record<string, unknown>> };
    expect(Object.keys(exported)).toEqual(['root_group', 'metrics']);
    expect(exported.metrics['http_req_duration{name:checkout}']?.['p(95)']).toBeCloseTo(1733.08, 2);
    expect(exported.metrics['http_req_failed']).toEqual({ passes: 2, fails: 98, value: 0.02, thresholds: { 'rate<0.01': true } });
    expect(exported.metrics['checks']).toMatchObject({ value: 0.995, thresholds: { 'rate>0.99': false } });
    expect(exported.metrics['http_req_waiting']).toHaveProperty('avg');
    expect(exported.root_group.checks['checkout status 200']).toMatchObject({ passes: 297, fails: 3 });
    expect(exported.root_group.groups).toEqual({});
  });

  it("lays the text out like k6's: thresholds by metric with the value judged, checks, HTTP / EXECUTION / NETWORK, the last progress line", () => {
    const summary = parseLoadSummary(readFileSync(path.join(__dirname, 'fixtures', 'k6-summary.json'), 'utf8'));
    const text = textSummary(summary);
    expect(text).toMatch(/ {2}█ THRESHOLDS\n\n {4}checks\n {4}✓ 'rate>0\.99' rate=99\.50%\n/);
    expect(text).toMatch(/ {4}checks_total\.+: 600 /);
    expect(text).toMatch(/ {4}✗ checkout status 200\n {6}↳ {2}99% — ✓ 297 \/ ✗ 3\n/);
    const sections = ['HTTP', 'EXECUTION', 'NETWORK'].map((title) => text.indexOf(`    ${title}\n`));
    expect(sections.every((i) => i > 0)).toBe(true);
    expect([...sections].sort((a, b) => a - b)).toEqual(sections);
    expect(text.slice(sections[0], sections[1])).toMatch(/http_req_blocked\.+: avg=/);
    expect(text).toMatch(/^running \(1m00\.4s\), 00\/20 VUs, 300 complete and 0 interrupted iterations$/m); // k6 pads the active VUs to the width of the max
    expect(text).not.toContain('\u001b');
    expect(textSummary(summary, { colors: true })).toContain('\u001b[32m✓\u001b[0m');
  });
});

describe('the checkout flow', () => {
  interface Sent { url: string; body: string; params: FlowRequestParams }
  function fakeClient(respond: (url: string) => { status: number; body: string }): LoadClient & { sent: Sent[]; checks: [string, boolean][]; slept: number[] } {
    const sent: Sent[] = [];
    const checks: [string, boolean][] = [];
    const slept: number[] = [];
    return {
      sent,
      checks,
      slept,
      sleep: async (seconds) => {
        slept.push(seconds);
      },
      post: async (url, body, params) => {
        sent.push({ url, body, params });
        return respond(url);
      },
      check: (value, sets) => {
        let all = true;
        for (const [name, fn] of Object.entries(sets)) {
          const ok = fn(value);
          checks.push([name, ok]);
          all &&= ok;
        }
        return all;
      },
    };
  }
  const env = { RUN_ID: 'run 7', VARIANT: 'dynamodb', SEED_USERS: '1000' };

  it('creates a cart, adds 1–3 items and checks out, every request tagged and traced', async () => {
    const client = fakeClient((url) =>
      url.endsWith('/carts') ? { status: 201, body: '{"cartId":"c1"}' } : url.endsWith('/checkout') ? { status: 200, body: '{"status":"paid"}' } : { status: 201, body: '{}' },
    );
    await checkoutFlow(client, { baseUrl: 'http://cart:3000/', env, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', random: () => 0.9999 });
    expect(client.sent.map((s) => s.params.tags.name)).toEqual(['create_cart', 'add_item', 'add_item', 'add_item', 'checkout']);
    expect(client.sent[0]?.url).toBe('http://cart:3000/carts');
    expect(JSON.parse(client.sent[0]?.body ?? '{}')).toEqual({ userId: 'user-1000' });
    for (const s of client.sent) {
      expect(s.params.headers['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      expect(s.params.headers['baggage']).toBe('lab.run_id=run%207,lab.variant=dynamodb');
    }
    expect(client.sent[4]?.params.headers['idempotency-key']).toMatch(/^run 7-[0-9a-f]{24}$/);
    expect(client.checks.every(([, ok]) => ok)).toBe(true);
  });

  it('uses a fresh Idempotency-Key per iteration and stops after a failed step', async () => {
    const keys = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const client = fakeClient((url) => url.endsWith('/carts') ? { status: 201, body: '{"cartId":"c"}' } : url.endsWith('/items') ? { status: 201, body: '{}' } : { status: 200, body: '{"status":"declined"}' });
      let n = i;
      await checkoutFlow(client, { baseUrl: 'http://x', env, traceparent: 't', random: () => ((n = (n * 7 + 3) % 11) / 11) });
      keys.add(client.sent.at(-1)?.params.headers['idempotency-key'] ?? '');
    }
    expect(keys.size).toBe(3);
    const failing = fakeClient(() => ({ status: 503, body: '{"error":{"code":"dependency_unavailable"}}' }));
    await checkoutFlow(failing, { baseUrl: 'http://x', env, traceparent: 't', random: Math.random });
    expect(failing.sent).toHaveLength(1);
    expect(failing.checks).toContainEqual(['create_cart status 201', false]);
  });

  it('sends as baggage the keys the services copy onto every span, though the flow may import nothing (k6)', () => {
    expect(baggageHeader({ RUN_ID: 'run 7', VARIANT: 'dynamodb' })).toBe(`${ATTR_LAB_RUN_ID}=run%207,${ATTR_LAB_VARIANT}=dynamodb`);
    expect(baggageHeader({}).split(',').map((entry) => entry.split('=')[0])).toEqual([...LAB_BAGGAGE_KEYS]);
  });

  it('pauses before the checkout for an exponential think time when THINK_TIME_MEAN_S is set, and not at all by default', async () => {
    const respond = (url: string) => (url.endsWith('/carts') ? { status: 201, body: '{"cartId":"c1"}' } : { status: url.endsWith('/checkout') ? 200 : 201, body: '{"status":"paid"}' });
    const none = fakeClient(respond);
    await checkoutFlow(none, { baseUrl: 'http://x', env: {}, traceparent: 't', random: () => 0.5 });
    expect(none.slept).toEqual([]);

    const thinking = fakeClient(respond);
    let n = 0;
    const draws = 2000;
    for (let i = 0; i < draws; i++) {
      await checkoutFlow(thinking, { baseUrl: 'http://x', env: { THINK_TIME_MEAN_S: '2' }, traceparent: 't', random: () => ((n = (n * 16807 + 11) % 2147483647) / 2147483647) });
    }
    expect(thinking.slept).toHaveLength(draws);
    const mean = thinking.slept.reduce((a, b) => a + b, 0) / draws;
    expect(mean).toBeGreaterThan(1.8);
    expect(mean).toBeLessThan(2.2);
    expect(Math.max(...thinking.slept)).toBeLessThanOrEqual(20); // capped at 10 × the mean
    // The pause comes after the last item and before the checkout request.
    expect(thinking.sent.at(-1)?.url).toMatch(/\/checkout$/);
  });

  it('draws users uniformly by default and skewed toward user-1 with USER_SKEW', () => {
    let seed = 1;
    const random = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const draw = (skew: string): number[] => Array.from({ length: 20_000 }, () => drawUser({ SEED_USERS: '1000', USER_SKEW: skew }, random));
    const uniform = draw('0');
    const skewed = draw('1.2');
    const share = (xs: number[]): number => xs.filter((x) => x <= 10).length / xs.length;
    expect(share(uniform)).toBeGreaterThan(0.005);
    expect(share(uniform)).toBeLessThan(0.02);
    expect(share(skewed)).toBeGreaterThan(0.3);
    expect(Math.min(...skewed)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...uniform)).toBeLessThanOrEqual(1000);
  });
});
