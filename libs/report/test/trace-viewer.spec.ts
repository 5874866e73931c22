import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { analyse } from '../src/analyse';
import { criticalPath } from '../src/critical-path';
import type { RunData } from '../src/run-data';
import { TraceIndex, ViewerInputError, type TraceDetail, type TraceList } from '../src/viewer/trace-index';
import { startTraceViewer, type TraceViewer } from '../src/viewer/viewer-server';
import { span, toOtlp } from './synthetic';
import { DEADLINE_MESSAGE, traceSpans, writeReceiverRun, writeViewerExperiment } from './viewer-fixture';

/** The trace viewer's JSON API on hand-built span files: what the list and a trace hold, filters, sort, and every bad request as a 4xx JSON error. */
describe('trace viewer API', () => {
  let dir: string;
  let runs: RunData[];
  let viewer: TraceViewer;
  const get = async <T>(url: string): Promise<{ status: number; body: T; type: string | null }> => {
    const response = await fetch(`${viewer.url}${url}`);
    return { status: response.status, body: (await response.json()) as T, type: response.headers.get('content-type') };
  };
  const list = async (query = '') => {
    const { status, body } = await get<TraceList>(`/api/traces${query}`);
    expect(status).toBe(200);
    return body;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'trace-viewer-'));
    runs = writeViewerExperiment(path.join(dir, 'exp'));
    viewer = await startTraceViewer({ dirs: [path.join(dir, 'exp')], port: 0, jaegerUrl: 'http://jaeger.invalid:16686/' });
  });
  afterAll(async () => {
    await viewer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every trace with its run, variant, services and outcome, and the values each filter can take', async () => {
    const all = await list('?limit=1000');
    expect(all.total).toBe(90);
    expect(all.indexed).toEqual({ runs: 3, traces: 90, spans: runs.reduce((n, r) => n + r.spans.length, 0) });
    expect(all.facets.variants.map((f) => [f.value, f.count])).toEqual([['dynamodb', 30], ['indexed-sql', 30], ['legacy-sql', 30]]);
    expect(all.facets.runs.map((f) => f.value)).toEqual(runs.map((r) => r.meta.runId).sort());
    expect(all.problems).toEqual([]);
    const first = all.traces.find((t) => t.variant === 'dynamodb');
    expect(first).toMatchObject({ runId: 'synthetic-dynamodb-r1', rootService: 'load-driver', rootName: 'checkout-flow', services: ['billing-address', 'cart', 'load-driver', 'payment'], spans: 11, errors: 0 });
    expect(first?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('counts outcomes as the report does (the same classification: 504 → timeout, checkout.outcome otherwise)', async () => {
    const all = await list('?limit=1000');
    const report = analyse(runs);
    for (const variant of report.variants) {
      const counts: Record<string, number> = {};
      for (const t of all.traces.filter((x) => x.variant === variant.name)) counts[t.outcome ?? 'none'] = (counts[t.outcome ?? 'none'] ?? 0) + 1;
      expect({ variant: variant.name, counts }).toEqual({ variant: variant.name, counts: variant.outcomes });
    }
    expect(report.variants[0]?.outcomes['timeout']).toBeGreaterThan(0); // the fixture has timeouts to find
  });

  it('filters by run, variant, service, outcome, duration and text', async () => {
    const timeouts = await list('?outcome=timeout&limit=1000');
    expect(timeouts.total).toBeGreaterThan(0);
    expect(new Set(timeouts.traces.map((t) => `${t.variant} ${t.outcome}`))).toEqual(new Set(['legacy-sql timeout']));
    expect(timeouts.traces.every((t) => t.errors > 0)).toBe(true);

    expect((await list('?variant=indexed-sql')).total).toBe(30);
    expect((await list('?run=synthetic-dynamodb-r1')).traces.every((t) => t.runId === 'synthetic-dynamodb-r1')).toBe(true);
    expect((await list('?variant=dynamodb&outcome=declined')).traces.map((t) => t.outcome)).toEqual(['declined', 'declined']);
    expect((await list('?service=payment')).total).toBe(90);
    expect((await list('?service=nobody')).total).toBe(0);

    const slow = await list('?minMs=800&limit=1000');
    expect(slow.total).toBeGreaterThan(0);
    expect(slow.traces.every((t) => t.durationMs >= 800)).toBe(true);
    expect((await list('?maxMs=300&limit=1000')).traces.every((t) => t.durationMs <= 300)).toBe(true);

    // Text: a trace id, an order id, the gRPC error's message; every word must match, in any case.
    const one = timeouts.traces[0];
    expect((await list(`?q=${one?.traceId.toUpperCase()}`)).traces.map((t) => t.traceId)).toEqual([one?.traceId]);
    expect((await list(`?q=ord_${one?.traceId.slice(12)}`)).traces.map((t) => t.traceId)).toEqual([one?.traceId]);
    expect((await list(`?q=${encodeURIComponent('deadline EXCEEDED')}&limit=1000`)).total).toBe(timeouts.total);
    expect((await list('?q=deadline+dynamodb')).total).toBe(0);
    expect((await list('?variant=&outcome=&q=')).total).toBe(90); // empty means any
  });

  it('sorts by duration, checkout duration, span count or start, either way, and pages', async () => {
    const durations = (await list('?sort=duration&limit=1000')).traces.map((t) => t.durationMs);
    expect(durations).toEqual([...durations].sort((a, b) => b - a));
    const ascending = (await list('?sort=checkout&order=asc&limit=1000')).traces.map((t) => t.checkoutMs as number);
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    const starts = (await list('?limit=1000')).traces.map((t) => t.startMs);
    expect(starts).toEqual([...starts].sort((a, b) => b - a)); // default: latest first
    const spans = (await list('?sort=spans&order=asc&limit=1000')).traces.map((t) => t.spans);
    expect(spans).toEqual([...spans].sort((a, b) => a - b));

    const page1 = await list('?sort=duration&limit=40');
    const page3 = await list('?sort=duration&limit=40&offset=80');
    expect([page1.total, page1.traces.length, page3.traces.length, page3.offset]).toEqual([90, 40, 10, 80]);
    expect(page1.traces[0]?.durationMs).toBe(durations[0]);
    expect(page3.traces[9]?.durationMs).toBe(durations[89]);
  });

  it('opens one trace: every span with attributes and events, in waterfall order, and the critical path the report computes', async () => {
    const [slowest] = (await list('?outcome=timeout&sort=duration&limit=1')).traces;
    const { status, body: trace } = await get<TraceDetail & { jaegerUrl: string | null }>(`/api/traces/${slowest?.traceId}`);
    expect(status).toBe(200);
    const source = traceSpans(runs[0] as RunData, slowest?.traceId as string);
    expect(trace.spans.map((s) => s.spanId).sort()).toEqual(source.map((s) => s.spanId).sort());
    expect(trace.spans[0]).toMatchObject({ name: 'checkout-flow', depth: 0, startMs: 0, parentSpanId: null });
    expect(trace.rootSpanId).toBe(trace.spans[0]?.spanId);
    // Waterfall order: each span comes after its parent, one level deeper.
    for (const [i, s] of trace.spans.entries()) {
      if (s.parentSpanId === null) continue;
      const parent = trace.spans.findIndex((p) => p.spanId === s.parentSpanId);
      expect(parent).toBeLessThan(i);
      expect(s.depth).toBe((trace.spans[parent]?.depth ?? -1) + 1);
    }

    // The report's critical path: the spans with time of their own on it are its segments' spans, and the path runs through every span above them.
    const expected = criticalPath(source);
    expect(new Set(trace.spans.filter((s) => s.criticalMs > 0).map((s) => s.spanId))).toEqual(new Set(expected?.segments.map((s) => s.spanId)));
    expect(trace.criticalPath.totalMs).toBeCloseTo(expected?.totalMs as number, 6);
    expect(trace.spans.reduce((sum, s) => sum + s.criticalMs, 0)).toBeCloseTo(trace.criticalPath.totalMs, 6);
    expect(trace.criticalPath.spanIds).toEqual(trace.spans.filter((s) => s.onCriticalPath).map((s) => s.spanId));
    for (const s of trace.spans.filter((x) => x.criticalMs > 0 && x.parentSpanId !== null)) expect(trace.criticalPath.spanIds).toContain(s.parentSpanId);
    const byName = (name: string) => trace.spans.find((s) => s.name === name);
    expect(byName('audit.write')).toMatchObject({ onCriticalPath: false, criticalMs: 0 }); // runs alongside the lookup
    expect(byName('billing.lookup')?.criticalMs).toBeGreaterThan(0);
    expect(trace.spans.find((s) => s.attributes['nestjs.type'] === 'handler')).toMatchObject({ onCriticalPath: true, criticalMs: 0 });

    const call = byName('checkout.payment.v1.PaymentService/Authorize');
    expect(call).toMatchObject({ status: 'error', statusMessage: DEADLINE_MESSAGE, attributes: { 'rpc.grpc.status_code': 4, 'lab.variant': 'legacy-sql' }, resource: { 'service.name': 'cart' } });
    expect(call?.events).toEqual([{ name: 'exception', timeMs: (call?.startMs as number) + (call?.durationMs as number), attributes: { 'exception.type': '4', 'exception.message': DEADLINE_MESSAGE } }]);
    expect(trace.trace).toEqual(slowest);
    expect(trace.jaegerUrl).toBe(`http://jaeger.invalid:16686/trace/${slowest?.traceId}`);
  });

  it('answers a bad request with a 4xx JSON error naming the problem, never a stack trace', async () => {
    const cases: [url: string, status: number, code: string, message: RegExp][] = [
      ['/api/traces?sort=slowest', 400, 'invalid_query', /sort must be one of start, duration, checkout, spans, got "slowest"/],
      ['/api/traces?order=up', 400, 'invalid_query', /order must be asc or desc/],
      ['/api/traces?limit=5000', 400, 'invalid_query', /limit must be a whole number from 1 to 1000, got "5000"/],
      ['/api/traces?limit=2.5', 400, 'invalid_query', /limit must be a whole number/],
      ['/api/traces?offset=-1', 400, 'invalid_query', /offset must be a whole number from 0/],
      ['/api/traces?minMs=fast', 400, 'invalid_query', /minMs must be a number/],
      ['/api/traces?variant=a&variant=b', 400, 'invalid_query', /variant is given 2 times/],
      ['/api/traces?q=%00', 400, 'invalid_query', /q must be at most 200 characters, without control characters/],
      [`/api/traces?q=${'x'.repeat(201)}`, 400, 'invalid_query', /at most 200 characters/],
      ['/api/traces?varient=dynamodb', 400, 'invalid_query', /unknown query parameter "varient"/],
      ['/api/traces/not-a-trace-id', 400, 'invalid_trace_id', /a trace id is 32 hexadecimal digits, got "not-a-trace-id"/],
      ['/api/traces/%E0%A4%A', 400, 'invalid_trace_id', /32 hexadecimal digits/],
      [`/api/traces/${'0'.repeat(31)}1?run=elsewhere`, 404, 'trace_not_found', /no trace 0{31}1 in run elsewhere/],
      [`/api/traces/${'0'.repeat(31)}1?verbose=1`, 400, 'invalid_query', /unknown query parameter "verbose"/],
      ['/api/spans', 404, 'not_found', /no such API/],
      ['/etc/passwd', 404, 'not_found', /nothing at/],
      ['/static/../../package.json', 404, 'not_found', /nothing at/],
    ];
    for (const [url, status, code, message] of cases) {
      const response = await get<{ error: { code: string; message: string } }>(url);
      expect({ url, status: response.status, code: response.body.error.code }).toEqual({ url, status, code });
      expect(response.body.error.message).toMatch(message);
      expect(response.body.error.message).not.toMatch(/\n\s+at /);
      expect(response.type).toBe('application/json; charset=utf-8');
    }
    const post = await fetch(`${viewer.url}/api/traces`, { method: 'POST', body: '{}' });
    expect([post.status, post.headers.get('allow'), ((await post.json()) as { error: { code: string } }).error.code]).toEqual([405, 'GET, HEAD', 'method_not_allowed']);
  });

  it('refuses a request whose Host is not this machine (a rebound DNS name), and serves the page with a strict CSP', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpRequest(`${viewer.url}/api/traces`, { headers: { host: 'attacker.example:16680' } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('error', reject);
      request.end();
    });
    expect(status).toBe(403);
    for (const route of ['/', `/trace/${'a'.repeat(32)}`]) {
      const page = await fetch(`${viewer.url}${route}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
      expect(await page.text()).toContain('<script src="/static/viewer.js" defer></script>');
    }
    expect((await fetch(`${viewer.url}/static/viewer.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });
});

describe('trace index', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'trace-index-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the receiver's store (a trace spread over JSON lines), takes the variant from lab.variant, and sees spans appended later", async () => {
    const [legacy] = writeViewerExperiment(path.join(dir, 'exp'), 6);
    const store = path.join(dir, 'traces');
    const spans = (legacy as RunData).spans;
    const traceIds = [...new Set(spans.map((s) => s.traceId))];
    const firstFour = spans.filter((s) => traceIds.slice(0, 4).includes(s.traceId));
    const file = writeReceiverRun(store, 'run-a', firstFour);
    mkdirSync(path.join(store, '.spool'));
    const index = new TraceIndex({ dirs: [store], live: true, refreshIntervalMs: 0 });
    await index.refresh();
    const before = index.list();
    expect([before.total, before.indexed.runs, before.facets.variants]).toEqual([4, 1, [{ value: 'legacy-sql', count: 4 }]]);
    expect(before.traces.every((t) => t.runId === 'run-a')).toBe(true);
    const detail = await index.trace(traceIds[0] as string);
    expect(detail?.spans).toHaveLength(spans.filter((s) => s.traceId === traceIds[0]).length);

    // The receiver appends a batch: the file is read again.
    const rest = spans.filter((s) => traceIds.slice(4).includes(s.traceId));
    appendFileSync(file, `${JSON.stringify(toOtlp(rest))}\n`);
    await index.refresh();
    expect(index.list().total).toBe(traceIds.length);
  });

  it('lists what it could read of a damaged file and names the line, and takes a whole-document file', async () => {
    const t = (n: number) => `${String(n).padStart(8, '0')}${'c'.repeat(24)}`;
    const trace = (n: number) => [span({ traceId: t(n), name: 'GET /healthz', service: 'cart', kind: 'server', start: n * 10, end: n * 10 + 2 })];
    const damaged = path.join(dir, 'damaged', 'spans', 'traces.json');
    mkdirSync(path.dirname(damaged), { recursive: true });
    writeFileSync(damaged, `${JSON.stringify(toOtlp(trace(1)))}\n${JSON.stringify(toOtlp(trace(2))).slice(0, 50)}\n`);
    const pretty = path.join(dir, 'pretty', 'spans', 'collector.json');
    mkdirSync(path.dirname(pretty), { recursive: true });
    writeFileSync(pretty, JSON.stringify(toOtlp(trace(3)), null, 2));
    const index = new TraceIndex({ dirs: [dir] });
    await index.refresh();
    const { traces, problems } = index.list();
    expect(traces.map((x) => [x.runId, x.traceId, x.outcome, x.checkoutMs])).toEqual([
      ['pretty', t(3), null, null],
      ['damaged', t(1), null, null],
    ]);
    expect(problems).toEqual([`${damaged}:2: not JSON`]);
    expect((await index.trace(t(3)))?.spans.map((s) => s.name)).toEqual(['GET /healthz']);
    expect(index.list({ outcome: 'none' }).total).toBe(2);
  });

  it('names a directory it cannot serve; a live one that does not exist yet is empty', async () => {
    await expect(new TraceIndex({ dirs: [path.join(dir, 'missing')] }).refresh()).rejects.toThrow(new ViewerInputError(`${path.join(dir, 'missing')}: no such directory`));
    mkdirSync(path.join(dir, 'empty'));
    await expect(startTraceViewer({ dirs: [path.join(dir, 'empty')], port: 0 })).rejects.toThrow(/empty: no runs here \(expected an experiment directory/);
    const live = new TraceIndex({ dirs: [path.join(dir, 'missing')], live: true });
    await live.refresh();
    expect(live.list().total).toBe(0);
    // An experiment that has started (experiment.json) but finished no run yet: nothing, and a run being written (no run.json) is not read.
    mkdirSync(path.join(dir, 'exp', 'runs', '01-legacy-sql-r1', 'spans'), { recursive: true });
    writeFileSync(path.join(dir, 'exp', 'experiment.json'), '{"name":"x"}');
    writeFileSync(path.join(dir, 'exp', 'runs', '01-legacy-sql-r1', 'spans', 'traces.json'), '{"resourceSpans":[');
    const started = new TraceIndex({ dirs: [path.join(dir, 'exp')], live: true });
    await started.refresh();
    expect(started.list()).toMatchObject({ total: 0, problems: [] });
  });
});
