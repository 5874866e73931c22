import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, isAlive } from '@checkout-lab/embedded';
import { loadLabSettings } from '@checkout-lab/stack';
import { startViewerProcess, traceViewerLink } from '../src/commands/traces';
import { spawnLab } from './support/lab-cli';

/** One checkout-flow trace as the receiver writes it: OTLP/JSON, one line per service's batch. */
function writeTrace(runDir: string, traceId: string, runId: string): void {
  const attributes = (extra: Record<string, string>) =>
    Object.entries({ 'lab.run_id': runId, 'lab.variant': 'indexed-sql', ...extra }).map(([key, value]) => ({ key, value: { stringValue: value } }));
  const spanOf = (spanId: string, name: string, parent: string | undefined, start: number, end: number, extra: Record<string, string> = {}) => ({
    traceId,
    spanId,
    ...(parent ? { parentSpanId: parent } : {}),
    name,
    kind: 1,
    startTimeUnixNano: String(1_796_000_000_000_000_000n + BigInt(start) * 1_000_000n),
    endTimeUnixNano: String(1_796_000_000_000_000_000n + BigInt(end) * 1_000_000n),
    attributes: attributes(extra),
    status: { code: 0 },
  });
  const line = (service: string, spans: unknown[]) => JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] }] });
  const file = path.join(runDir, 'spans', 'traces.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${line('load-driver', [spanOf('a000000000000001', 'checkout-flow', undefined, 0, 100)])}\n` +
      `${line('cart', [spanOf('a000000000000002', 'POST /carts/:cartId/checkout', 'a000000000000001', 10, 90), spanOf('a000000000000003', 'checkout', 'a000000000000002', 12, 88, { 'checkout.outcome': 'paid' })])}\n`,
  );
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('checkout-lab traces', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'lab-traces-'));
    writeTrace(path.join(dir, 'store', 'run-1'), TRACE, 'run-1');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the viewer over a directory until Ctrl-C, then exits 0', async () => {
    const port = await freePort();
    const lab = spawnLab(['traces', path.join(dir, 'store')], { LAB_TRACE_VIEWER_PORT: String(port) });
    try {
      await lab.waitFor(/trace viewer: http:\/\/127\.0\.0\.1:\d+ {3}\(Ctrl-C stops it\)/, 60_000);
      expect(lab.output()).toMatch(/reading run 1\/1: run-1 \(1 trace, 3 spans\)\nread 1 traces \(3 spans\) of 1 run\(s\) in [\d.]+ s\n/);
      const list = (await (await fetch(`http://127.0.0.1:${port}/api/traces`)).json()) as { total: number; traces: { traceId: string; outcome: string; variant: string }[] };
      expect(list).toMatchObject({ total: 1, traces: [{ traceId: TRACE, outcome: 'paid', variant: 'indexed-sql' }] });
    } finally {
      lab.child.kill('SIGINT');
    }
    expect(await lab.exited).toBe(0);
    expect(lab.output()).toMatch(/stopping the trace viewer …\n$/);
  }, 90_000);

  it.each([
    [['traces', '/no/such/dir'], 'error: /no/such/dir: no such directory'],
    [['traces', '--jaeger', 'localhost:16686', '.'], 'error: --jaeger "localhost:16686" is not an http(s) URL'],
  ])('answers %j with one line, the hint and exit code 2', async (args, message) => {
    const lab = spawnLab(args, {});
    expect(await lab.exited).toBe(2);
    expect(lab.output()).toBe(`${message}\nrun "checkout-lab traces --help" for usage\n`);
  }, 60_000);

  it('says which directory holds no runs, exit 2', async () => {
    mkdirSync(path.join(dir, 'nothing'), { recursive: true });
    const lab = spawnLab(['traces', path.join(dir, 'nothing')], {});
    expect(await lab.exited).toBe(2);
    expect(lab.output()).toMatch(/^error: .*nothing: no runs here \(expected an experiment directory with runs\/\*\/run\.json, a run directory with run\.json, or directories of span files/);
  }, 60_000);

  it('names the port and its variable when the port is taken, exit 1', async () => {
    const { server, port } = await holdPort();
    try {
      const lab = spawnLab(['traces', path.join(dir, 'store')], { LAB_TRACE_VIEWER_PORT: String(port) });
      expect(await lab.exited).toBe(1);
      expect(lab.output()).toMatch(new RegExp(`checkout-lab: port ${port} \\(LAB_TRACE_VIEWER_PORT\\) is already in use on 127\\.0\\.0\\.1`));
    } finally {
      server.close();
    }
  }, 60_000);
});

describe('the trace viewer beside up and experiment (its own process)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'lab-viewer-process-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves a directory that fills while it runs, at the lowest priority, and stops with the lab', async () => {
    const settings = loadLabSettings({ LAB_DATA_DIR: dir, LAB_TRACE_VIEWER_PORT: String(await freePort()) });
    const lines: string[] = [];
    const experimentDir = path.join(dir, 'experiments', 'not-started-yet');
    const viewer = await startViewerProcess(settings, { dirs: [experimentDir], say: (line) => lines.push(line) });
    expect(lines).toEqual([]);
    expect(viewer?.url).toBe(`http://127.0.0.1:${settings.ports.traceViewer}`);
    try {
      const list = async () => (await (await fetch(`${viewer?.url}/api/traces`)).json()) as { total: number; served: { live: boolean } };
      expect(await list()).toMatchObject({ total: 0, served: { live: true } });
      const health = (await (await fetch(`${viewer?.url}/api/health`)).json()) as { pid: number };
      expect(health.pid).not.toBe(process.pid);
      // Spans written while it runs appear at the next look (here a directory of span files; in an experiment, a run once its run.json is written).
      writeTrace(path.join(experimentDir, 'runs', '01-indexed-sql-r1'), TRACE, 'exp-01');
      await new Promise((resolve) => setTimeout(resolve, 1100)); // past the refresh interval
      expect((await list()).total).toBe(1);
      await viewer?.stop();
      expect(isAlive(health.pid)).toBe(false);
    } finally {
      await viewer?.stop();
    }
  }, 90_000);

  it('goes on without the viewer, with one WARNING line, when its port is taken', async () => {
    const { server, port } = await holdPort();
    try {
      const settings = loadLabSettings({ LAB_DATA_DIR: dir, LAB_TRACE_VIEWER_PORT: String(port) });
      const lines: string[] = [];
      expect(await startViewerProcess(settings, { dirs: [dir], say: (line) => lines.push(line) })).toBeUndefined();
      expect(lines).toEqual([`WARNING: trace viewer not started: port ${port} (LAB_TRACE_VIEWER_PORT) is already in use on 127.0.0.1, perhaps by another trace viewer (checkout-lab up, experiment or traces); stop it, or set LAB_TRACE_VIEWER_PORT to another port`]);
    } finally {
      server.close();
    }
  });

  it("links the report's exemplars to the viewer with the command that serves the runs", () => {
    const settings = loadLabSettings({ LAB_DATA_DIR: dir });
    expect(traceViewerLink(settings, ['/runs/swiftcart-20261201', '/runs/with space'])).toEqual({
      url: 'http://127.0.0.1:16680',
      command: "npm run lab -- traces /runs/swiftcart-20261201 '/runs/with space'",
    });
  });
});

async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}
