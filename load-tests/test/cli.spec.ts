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
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'libs/lab/src/bin/checkout-lab.ts', ...args], {
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

function scenarioFile(name: string, threshold: string): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      scenarios: { s: { executor: 'constant-arrival-rate', rate: '${RATE:-10}', timeUnit: '1s', duration: '2s', preAllocatedVUs: 5, maxVUs: 10 } },
      thresholds: { http_req_duration: [threshold], http_req_failed: ['rate<0.01'] },
    }),
  );
  return file;
}

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
    expect(result.stdout).toMatch(/✓ http_req_duration 'p\(95\)<2000'/);
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
    expect(result.stdout).toMatch(/✗ http_req_duration 'p\(95\)<1'/);
    expect(result.stderr).toMatch(/some thresholds have failed/);
  });

  it('refuses an unknown scenario, bad JSON and an unreachable target with one clear line', async () => {
    const unknown = await lab(['load', 'no-such-scenario', '--base-url', baseUrl]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown scenario "no-such-scenario" \(known: baseline, breakpoint, peak, smoke, soak/);
    const badFile = path.join(dir, 'bad.json');
    writeFileSync(badFile, '{"scenarios": ');
    const bad = await lab(['load', badFile, '--base-url', baseUrl]);
    expect(bad.code).toBe(1);
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
});
