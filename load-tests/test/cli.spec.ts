import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from '@checkout-lab/embedded';
import { parseLoadSummary } from '../src';

const ROOT = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'load-cli-'));

function lab(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/checkout-lab/src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json', OTEL_EXPORTER_OTLP_ENDPOINT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function scenarioFile(name: string, threshold: string, more: Record<string, string[]> = {}): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      scenarios: { s: { executor: 'constant-arrival-rate', rate: '${RATE:-10}', timeUnit: '1s', duration: '2s', preAllocatedVUs: 5, maxVUs: 10 } },
      thresholds: { http_req_duration: [threshold], http_req_failed: ['rate<0.01'], ...more },
    }),
  );
  return file;
}

/** A progress line as k6 prints it, with the driver's figures after the semicolon. */
const PROGRESS = /^running \((\d+m\d\d\.\ds)\), (\d+)\/(\d+) VUs, (\d+) complete and (\d+) interrupted iterations; /gm;

/** A one-request flow is not what the CLI runs: the CLI runs the checkout flow, so the target mimics cart. */
function fakeCart(onRequest: (req: http.IncomingMessage) => void = () => undefined): http.Server {
  return http.createServer((req, res) => {
    onRequest(req);
    req.resume();
    const url = req.url ?? '';
    setTimeout(() => {
      if (url === '/carts') res.writeHead(201).end('{"cartId":"c-1"}');
      else if (url.endsWith('/items')) res.writeHead(201).end('{}');
      else if (url.endsWith('/checkout')) res.writeHead(200).end('{"orderId":"o-1","status":"paid"}');
      else res.writeHead(404).end('{}');
    }, 5);
  });
}

describe('checkout-lab load', () => {
  let server: http.Server;
  let baseUrl: string;
  beforeAll(async () => {
    server = fakeCart();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('exits 0 when every threshold holds and writes a k6-shaped summary', async () => {
    const out = path.join(dir, 'pass', 'summary.json');
    const result = await lab(['load', scenarioFile('pass', 'p(95)<2000'), '--base-url', baseUrl, '--out', out]);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ {4}http_req_duration\n {4}✓ 'p\(95\)<2000' p\(95\)=/);
    expect(result.stdout).toMatch(/http_req_duration\.+: avg=/);
    expect(result.stdout).toMatch(/\{ name:checkout \}\.+: avg=/);
    const summary = parseLoadSummary(readFileSync(out, 'utf8'));
    expect(summary.metrics['iterations']?.values['count']).toBe(20);
    expect(summary.metrics['http_req_duration{name:create_cart}']?.values['p(95)']).toBeGreaterThan(0);
    expect(summary.metrics['http_reqs']?.values['count']).toBeGreaterThanOrEqual(60); // create, 1–3 items, checkout
    expect(summary.metrics['checks']?.values['fails']).toBe(0);
  });

  it('exits 99 when a threshold fails, as k6 does', async () => {
    const result = await lab(['load', scenarioFile('fail', 'p(95)<1'), '--base-url', baseUrl]);
    expect(result.code).toBe(99);
    expect(result.stdout).toMatch(/ {4}http_req_duration\n {4}✗ 'p\(95\)<1' p\(95\)=/);
    expect(result.stderr).toMatch(/some thresholds have failed/);
  });

  it('refuses an unknown scenario and bad JSON (exit 2) and an unreachable target (exit 1) with one clear line', async () => {
    const unknown = await lab(['load', 'no-such-scenario', '--base-url', baseUrl]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown scenario "no-such-scenario" \(known: baseline, breakpoint, peak, smoke, soak/);
    const badFile = path.join(dir, 'bad.json');
    writeFileSync(badFile, '{"scenarios": ');
    const bad = await lab(['load', badFile, '--base-url', baseUrl]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.json is not valid JSON/);
    const port = await freePort();
    const down = await lab(['load', 'smoke'], { BASE_URL: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    for (const r of [unknown, bad, down]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('starts each trace with a checkout-flow span whose context is the traceparent every request carries', async () => {
    const traceparents: string[] = [];
    const baggages: string[] = [];
    const target = fakeCart((req) => {
      traceparents.push(String(req.headers['traceparent']));
      baggages.push(String(req.headers['baggage']));
    });
    const exports: Buffer[] = [];
    const collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces' && req.headers['content-type'] === 'application/x-protobuf') exports.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    target.listen(0, '127.0.0.1');
    collector.listen(0, '127.0.0.1');
    await Promise.all([once(target, 'listening'), once(collector, 'listening')]);
    try {
      const result = await lab(['load', scenarioFile('traced', 'p(95)<5000'), '--base-url', `http://127.0.0.1:${(target.address() as AddressInfo).port}`], {
        RATE: '5',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
        RUN_ID: 'run-42',
        VARIANT: 'sql',
      });
      expect(result.code).toBe(0);
      const body = Buffer.concat(exports);
      expect(body.includes(Buffer.from('checkout-flow'))).toBe(true);
      expect(body.includes(Buffer.from('load-driver'))).toBe(true);
      expect(body.includes(Buffer.from('run-42'))).toBe(true);
      const iterations = new Set(traceparents);
      expect(iterations.size).toBe(10); // 5/s for 2 s; all requests of one iteration share one traceparent
      expect(traceparents.length).toBeGreaterThanOrEqual(30);
      for (const tp of iterations) {
        const [, traceId, spanId, flags] = tp.split('-');
        expect(flags).toBe('01');
        expect(body.includes(Buffer.from(traceId ?? '', 'hex'))).toBe(true); // the exported span's own ids
        expect(body.includes(Buffer.from(spanId ?? '', 'hex'))).toBe(true);
      }
      expect(new Set(baggages)).toEqual(new Set(['lab.run_id=run-42,lab.variant=sql']));
    } finally {
      target.close();
      collector.close();
    }
  });

  it('takes k6 flags: --vus/--duration make one constant-vus "default" scenario; off a terminal it prints plain progress lines; --summary-export writes k6\'s format', async () => {
    const exported = path.join(dir, 'export', 'k6-export.json');
    const file = scenarioFile('flags', 'p(95)<${P95_LIMIT:-2000}', { 'http_req_waiting{name:checkout}': ['p(95)<2000'] });
    const result = await lab(['load', file, '--base-url', baseUrl, '--vus', '2', '--duration', '6s', '--summary-export', exported]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/against http:\/\/127\.0\.0\.1:\d+: default \(constant-vus\)/);
    // stdout is a pipe here: a plain line every 5 s, no terminal escapes
    const progress = [...result.stdout.matchAll(PROGRESS)];
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]?.[1]).toMatch(/^0m0[5-6]\.\ds$/);
    expect(progress[0]?.[3]).toBe('2');
    expect(Number(progress[0]?.[4])).toBeGreaterThan(0);
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).not.toMatch(/\r/);
    // the summary ends with k6's last line: 0 active of 2 VUs
    expect(result.stdout).toMatch(/^running \(0m06\.\ds\), 0\/2 VUs, \d+ complete and 0 interrupted iterations$/m);
    expect(result.stdout).toMatch(/ {2}default: constant-vus, /);
    for (const metric of ['http_req_blocked', 'http_req_connecting', 'http_req_tls_handshaking', 'http_req_sending', 'http_req_waiting', 'http_req_receiving']) {
      expect(result.stdout).toMatch(new RegExp(`${metric}\\.+: avg=`));
    }
    const k6 = JSON.parse(readFileSync(exported, 'utf8')) as { root_group: { checks: Record<string, { passes: number; fails: number }> }; metrics: Record<string, Record<string, unknown>> };
    expect(Object.keys(k6).sort()).toEqual(['metrics', 'root_group']);
    expect(k6.metrics['http_req_waiting{name:checkout}']).toMatchObject({ thresholds: { 'p(95)<2000': false } }); // false: not failed
    expect(k6.metrics['http_req_duration']?.['p(95)']).toEqual(expect.any(Number));
    expect(k6.metrics['http_req_failed']).toMatchObject({ value: 0, passes: 0 });
    expect(k6.metrics['iterations']?.['count']).toEqual(expect.any(Number));
    expect(k6.root_group.checks['checkout status 200']?.fails).toBe(0);
  });

  it('--iterations runs exactly that many (shared-iterations); -e reaches the templating and the flow; --quiet prints no progress', async () => {
    const baggages = new Set<string>();
    const target = fakeCart((req) => baggages.add(String(req.headers['baggage'])));
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    try {
      const out = path.join(dir, 'iterations.json');
      const file = scenarioFile('iterations', 'p(95)<${P95_LIMIT:-2000}');
      const result = await lab(
        ['load', file, '--base-url', `http://127.0.0.1:${(target.address() as AddressInfo).port}`, '-i', '7', '--vus', '2', '-e', 'P95_LIMIT=1', '-e', 'RUN_ID=from-e', '--out', out, '--quiet', '--no-color'],
        { RUN_ID: 'from-env' },
      );
      expect(result.code).toBe(99); // -e P95_LIMIT=1 made the threshold p(95)<1
      expect(result.stdout).toMatch(/✗ 'p\(95\)<1'/);
      expect([...result.stdout.matchAll(PROGRESS)]).toHaveLength(0);
      expect(result.stderr).not.toMatch(/against/);
      expect(baggages).toEqual(new Set(['lab.run_id=from-e,lab.variant=default'])); // -e wins over the process environment
      const summary = parseLoadSummary(readFileSync(out, 'utf8'));
      expect(summary.metrics['iterations']?.values['count']).toBe(7);
      expect(summary.state.scenarios?.['default']).toMatchObject({ executor: 'shared-iterations', startedIterations: 7, maxVUs: 2 });
      expect(summary.options['noColor']).toBe(true);
    } finally {
      target.close();
    }
  });

  it('refuses bad flag values with one line naming the flag', async () => {
    const file = scenarioFile('bad-flags', 'p(95)<2000');
    const cases: [string[], RegExp][] = [
      [['--vus', '0'], /--vus "0" is not a whole number ≥ 1/],
      [['--vus', 'ten'], /--vus "ten" is not a whole number ≥ 1/],
      [['--iterations', '2.5'], /--iterations "2\.5" is not a whole number ≥ 1/],
      [['--duration', 'ten seconds'], /--duration: "ten seconds" is not a duration/],
      [['--duration', '0s'], /--duration should be more than 0/],
      [['-e', '1X=2'], /-e "1X=2": "1X" is not a variable name/],
      [['--iterations', '2', '--vus', '5'], /--iterations \(2\) can't be less than --vus \(5\)/],
    ];
    for (const [flags, message] of cases) {
      const result = await lab(['load', file, '--base-url', baseUrl, ...flags]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stdout).toBe('');
    }
  });

  it('documents every flag in --help, with examples', async () => {
    const help = await lab(['load', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['-e, --env <NAME=value>', '-u, --vus <n>', '-d, --duration <d>', '-i, --iterations <n>', '--summary-export <file>', '-q, --quiet', '--no-color', '--out <file>', '--base-url <url>', '--otlp [endpoint]']) {
      expect(help.stdout).toContain(flag);
    }
    expect(help.stdout).toMatch(/Examples/);
    expect(help.stdout).toMatch(/checkout-lab load smoke --vus 5 --duration 30s/);
  });
});
