import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { applyScenarioEnv, listScenarios, loadScenario, parseLoadSummary, resolveOptions, SCENARIOS_DIR } from '../src';

// k6 is not installed here, so the k6 entry script runs under Jest as k6 would run it: `__ENV` is
// what `k6 run -e NAME=value …` puts there, `open()` reads relative to the script (as k6's does in
// the init context), and k6's own modules are stubs that record what the script asks of them.
const K6_DIR = path.resolve(__dirname, '../k6');

interface K6Request {
  method: string;
  url: string;
  body: string;
  params: { headers: Record<string, string>; tags: Record<string, string> };
}

interface K6Entry {
  options: Record<string, unknown>;
  iteration: () => Promise<void>;
  handleSummary: (data: unknown) => Record<string, string>;
  requests: K6Request[];
  checks: [string, boolean][];
}

function loadK6Entry(env: Record<string, string>): K6Entry {
  const requests: K6Request[] = [];
  const checks: [string, boolean][] = [];
  let entry: Omit<K6Entry, 'requests' | 'checks'> | undefined;
  jest.isolateModules(() => {
    jest.doMock(
      'k6',
      () => ({
        check: (value: unknown, sets: Record<string, (v: unknown) => boolean>) => {
          let all = true;
          for (const [name, fn] of Object.entries(sets)) {
            const ok = fn(value);
            checks.push([name, ok]);
            all &&= ok;
          }
          return all;
        },
        sleep: () => undefined,
      }),
      { virtual: true },
    );
    jest.doMock(
      'k6/http',
      () => ({
        __esModule: true,
        default: {
          asyncRequest: async (method: string, url: string, body: string, params: K6Request['params']) => {
            requests.push({ method, url, body, params });
            if (url.endsWith('/carts')) return { status: 201, body: '{"cartId":"c-1"}' };
            if (url.endsWith('/checkout')) return { status: 200, body: '{"status":"paid"}' };
            return { status: 201, body: '{}' };
          },
        },
      }),
      { virtual: true },
    );
    const globals = globalThis as unknown as Record<string, unknown>;
    globals['__ENV'] = env;
    globals['open'] = (file: string) => readFileSync(path.resolve(K6_DIR, file), 'utf8');
    const script = require(path.join(K6_DIR, 'checkout.ts')) as { options: Record<string, unknown>; default: () => Promise<void>; handleSummary: (data: unknown) => Record<string, string> };
    entry = { options: script.options, iteration: script.default, handleSummary: script.handleSummary };
  });
  if (!entry) throw new Error('k6/checkout.ts did not load');
  return { ...entry, requests, checks };
}

describe('the k6 entry script (k6/checkout.ts)', () => {
  it.each(listScenarios())('runs scenarios/%s.json with the options the built-in driver runs', (name) => {
    const k6 = loadK6Entry({ SCENARIO: name });
    const raw: unknown = JSON.parse(readFileSync(path.join(SCENARIOS_DIR, `${name}.json`), 'utf8'));
    expect(k6.options).toEqual(applyScenarioEnv(raw, {}));
    expect(resolveOptions(k6.options, {})).toEqual(loadScenario(name, {}).options);
  });

  it('fills ${VAR:-default} from -e exactly as the driver fills it from the environment', () => {
    const env = { SCENARIO: 'peak', PEAK_RATE: '40', HOLD: '5m', CHECKOUT_P95_MS: '900', MAX_VUS: '400' };
    const k6 = loadK6Entry(env);
    expect(resolveOptions(k6.options, {})).toEqual(loadScenario('peak', env).options);
    const scenarios = k6.options['scenarios'] as Record<string, { stages: { target: number; duration: string }[]; maxVUs: number }>;
    expect(scenarios['peak']?.stages.map((s) => s.target)).toEqual([40, 40, 2]);
    expect(scenarios['peak']?.stages[1]?.duration).toBe('5m');
    expect(scenarios['peak']?.maxVUs).toBe(400);
    expect(k6.options['thresholds']).toMatchObject({ 'http_req_duration{name:checkout}': ['p(95)<900'] });
  });

  it('runs smoke when SCENARIO is not given', () => {
    expect(loadK6Entry({}).options).toEqual(applyScenarioEnv(JSON.parse(readFileSync(path.join(SCENARIOS_DIR, 'smoke.json'), 'utf8')), {}));
  });

  it('runs the same checkout flow, with BASE_URL and the flow variables from -e', async () => {
    const k6 = loadK6Entry({ BASE_URL: 'http://cart.test:3000', RUN_ID: 'k6-run', VARIANT: 'dynamodb', SEED_USERS: '10' });
    await k6.iteration();
    const names = k6.requests.map((r) => r.params.tags['name']);
    expect(names[0]).toBe('create_cart');
    expect(names.at(-1)).toBe('checkout');
    expect(names.slice(1, -1).every((n) => n === 'add_item')).toBe(true);
    expect(k6.requests[0]?.url).toBe('http://cart.test:3000/carts');
    expect(JSON.parse(k6.requests[0]?.body ?? '{}')).toMatchObject({ userId: expect.stringMatching(/^user-([1-9]|10)$/) });
    const traceparents = new Set(k6.requests.map((r) => r.params.headers['traceparent']));
    expect(traceparents.size).toBe(1); // one trace per iteration
    expect([...traceparents][0]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    for (const r of k6.requests) expect(r.params.headers['baggage']).toBe('lab.run_id=k6-run,lab.variant=dynamodb');
    expect(k6.requests.at(-1)?.params.headers['idempotency-key']).toMatch(/^k6-run-[0-9a-f]{24}$/);
    expect(k6.checks.every(([, ok]) => ok)).toBe(true);
  });

  it('handleSummary writes SUMMARY_FILE in the JSON the driver reads back', () => {
    const k6 = loadK6Entry({ SUMMARY_FILE: 'out/peak-summary.json' });
    const data: unknown = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'k6-summary.json'), 'utf8'));
    const files = k6.handleSummary(data);
    expect(Object.keys(files).sort()).toEqual(['out/peak-summary.json', 'stdout']);
    expect(parseLoadSummary(files['out/peak-summary.json'] ?? '').metrics['http_req_waiting']).toBeDefined();
    expect(files['stdout']).toMatch(/http_req_duration\.+: avg=/);
  });
});
