import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseOtlpJson, readJaegerSpans, readOtlpJsonFiles, readOtlpJsonLines, readOtlpJsonRanges, TraceFormatError, type OtlpJsonLine } from '../src';

/** Two lines as the Collector's file exporter writes them (one ExportTraceServiceRequest per line). */
const line = (spanId: string, service: string, parent?: string) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: '@opentelemetry/instrumentation-grpc', version: '0.223.0' },
            spans: [
              {
                traceId: '5B8EFFF798038103D269B633813FC60C',
                spanId,
                ...(parent ? { parentSpanId: parent } : { parentSpanId: '' }),
                name: 'grpc.checkout.payment.v1.PaymentService/Authorize',
                kind: 'SPAN_KIND_CLIENT',
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000123456789',
                attributes: [
                  { key: 'rpc.grpc.status_code', value: { intValue: '0' } },
                  { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } } },
                  { key: 'ok', value: { boolValue: true } },
                ],
                events: [{ timeUnixNano: '1700000000100000000', name: 'exception', attributes: [{ key: 'exception.type', value: { stringValue: 'Error' } }] }],
                status: { code: 'STATUS_CODE_OK' },
              },
            ],
          },
        ],
      },
    ],
  });

describe('OTLP/JSON files', () => {
  it('reads JSON lines and whole-file documents into FlatSpans', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otlp-json-'));
    const lines = path.join(dir, 'collector.json');
    writeFileSync(lines, `${line('eee19b7ec3c1b174', 'cart')}\n${line('eee19b7ec3c1b175', 'payment', 'eee19b7ec3c1b174')}\n`);
    const whole = path.join(dir, 'whole.json');
    writeFileSync(whole, JSON.stringify(JSON.parse(line('eee19b7ec3c1b176', 'billing-address')), null, 2));
    const spans = await readOtlpJsonFiles([lines, whole]);
    expect(spans.map((s) => [s.service, s.spanId, s.parentSpanId])).toEqual([
      ['cart', 'eee19b7ec3c1b174', undefined],
      ['payment', 'eee19b7ec3c1b175', 'eee19b7ec3c1b174'],
      ['billing-address', 'eee19b7ec3c1b176', undefined],
    ]);
    expect(spans[1]).toMatchObject({
      traceId: '5b8efff798038103d269b633813fc60c',
      kind: 'client',
      status: 'ok',
      startUnixNano: 1700000000000000000n,
      endUnixNano: 1700000000123456789n,
      attributes: { 'rpc.grpc.status_code': 0, tags: ['a', 'b'], ok: true },
      events: [{ name: 'exception', timeUnixNano: 1700000000100000000n, attributes: { 'exception.type': 'Error' } }],
    });
  });

  it('streams lines with their byte ranges, and reads chosen lines again by range, optionally one trace only', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otlp-lines-'));
    const file = path.join(dir, 'traces.json');
    // Multi-byte characters before a line must not shift the offsets (ranges are bytes, not characters).
    const first = line('eee19b7ec3c1b174', 'cärt-ü');
    const other = line('eee19b7ec3c1b176', 'billing-address').replace('5B8EFFF798038103D269B633813FC60C', '0af7651916cd43dd8448eb211c80319c');
    writeFileSync(file, `${first}\n\n${other}\n${line('eee19b7ec3c1b175', 'payment', 'eee19b7ec3c1b174')}`); // a blank line; no newline at the end
    const lines: OtlpJsonLine[] = [];
    for await (const entry of readOtlpJsonLines(file, { events: false })) lines.push(entry);
    expect(lines.map((l) => [l.offset, l.spans.map((s) => s.service)])).toEqual([
      [0, ['cärt-ü']],
      [Buffer.byteLength(first) + 2, ['billing-address']],
      [Buffer.byteLength(first) + 2 + Buffer.byteLength(other) + 1, ['payment']],
    ]);
    expect(lines[0]?.length).toBe(Buffer.byteLength(first));
    expect(lines[0]?.spans[0]?.events).toEqual([]);

    const again = await readOtlpJsonRanges(file, [lines[2], lines[0]] as OtlpJsonLine[]);
    expect(again.map((s) => s.spanId)).toEqual(['eee19b7ec3c1b175', 'eee19b7ec3c1b174']);
    expect(again[0]?.events).toHaveLength(1);
    const oneTrace = await readOtlpJsonRanges(file, lines, { traces: new Set(['0af7651916cd43dd8448eb211c80319c']) });
    expect(oneTrace.map((s) => s.spanId)).toEqual(['eee19b7ec3c1b176']);
  });

  it('names the line of a streamed file that is not OTLP, after yielding the lines before it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otlp-lines-'));
    const file = path.join(dir, 'traces.json');
    writeFileSync(file, `${line('eee19b7ec3c1b174', 'cart')}\n{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"x`);
    const seen: number[] = [];
    const read = async () => {
      for await (const entry of readOtlpJsonLines(file)) seen.push(entry.spans.length);
    };
    await expect(read()).rejects.toThrow(new TraceFormatError(`${file}:2: not JSON`));
    expect(seen).toEqual([1]);
  });

  it('names the line that is not OTLP', () => {
    expect(() => parseOtlpJson(`${line('eee19b7ec3c1b174', 'cart')}\nnot json\n`, 'f.json')).toThrow(new TraceFormatError('f.json:2: not JSON'));
    expect(() => parseOtlpJson('{"resourceSpans":{}}', 'g.json')).toThrow(/g.json: not an OTLP trace request/);
  });
});

describe('Jaeger query API (v2, api/v3)', () => {
  let server: Server;
  let baseUrl: string;
  const requests: URL[] = [];
  const attr = (key: string, value: Record<string, unknown>) => ({ key, value });
  const traceA = '5b8efff798038103d269b633813fc60c';
  const traceB = '6b8efff798038103d269b633813fc60d';
  const cart = {
    resource: { attributes: [attr('service.name', { stringValue: 'cart' }), attr('service.version', { stringValue: '0.1.0' })] },
    scopeSpans: [
      {
        scope: { name: '@opentelemetry/instrumentation-http' },
        spans: [
          {
            traceId: traceA,
            spanId: 'eee19b7ec3c1b174',
            name: 'POST /carts/:cartId/checkout',
            kind: 2,
            startTimeUnixNano: '1700000000000000000',
            endTimeUnixNano: '1700000000250000000',
            attributes: [attr('lab.run_id', { stringValue: 'run-7' }), attr('http.response.status_code', { intValue: '200' })],
            status: {},
          },
          // Another run's trace in the same window: left out.
          { traceId: traceB, spanId: 'aaa19b7ec3c1b174', name: 'POST /carts', kind: 2, startTimeUnixNano: '1700000001000000000', endTimeUnixNano: '1700000001005000000', attributes: [attr('lab.run_id', { stringValue: 'run-8' })], status: {} },
        ],
      },
    ],
  };
  const payment = {
    resource: { attributes: [attr('service.name', { stringValue: 'payment' })] },
    scopeSpans: [
      {
        scope: { name: 'checkout-lab' },
        spans: [
          {
            traceId: traceA,
            spanId: '00e19b7ec3c1b175',
            parentSpanId: 'eee19b7ec3c1b174',
            name: 'payment.authorize',
            kind: 1,
            startTimeUnixNano: '1700000000010000000',
            endTimeUnixNano: '1700000000011500000',
            status: { code: 2, message: 'stripe is unavailable' },
            events: [{ name: 'exception', timeUnixNano: '1700000000011000000', attributes: [attr('exception.message', { stringValue: 'x' })] }],
          },
        ],
      },
    ],
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      requests.push(url);
      if (url.pathname !== '/api/v3/traces') return void response.writeHead(404).end();
      // Jaeger answers 404 when it finds no trace.
      if (url.searchParams.get('query.service_name') === 'billing-address') {
        return void response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"httpCode":404,"message":"No traces found"}}');
      }
      // Each service's answer holds whole traces: the payment span comes with cart's query too.
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { resourceSpans: [cart, payment] } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('queries /api/v3/traces by service and window, reads its OTLP JSON, de-duplicates, and keeps only the run\'s traces', async () => {
    const start = new Date(1700000000000);
    const end = new Date(1700000060000);
    const spans = await readJaegerSpans({ baseUrl, services: ['cart', 'payment', 'billing-address'], start, end, runId: 'run-7', limit: 50 });
    expect(requests.map((u) => [u.pathname, Object.fromEntries(u.searchParams)])).toEqual(
      ['cart', 'payment', 'billing-address'].map((service) => [
        '/api/v3/traces',
        { 'query.service_name': service, 'query.start_time_min': '2023-11-14T22:13:20.000Z', 'query.start_time_max': '2023-11-14T22:14:20.000Z', 'query.search_depth': '50' },
      ]),
    );
    expect(spans.map((s) => s.spanId).sort()).toEqual(['00e19b7ec3c1b175', 'eee19b7ec3c1b174']);
    expect(spans.find((s) => s.spanId === 'eee19b7ec3c1b174')).toMatchObject({
      traceId: traceA,
      kind: 'server',
      service: 'cart',
      status: 'unset',
      startUnixNano: 1700000000000000000n,
      endUnixNano: 1700000000250000000n,
      attributes: { 'lab.run_id': 'run-7', 'http.response.status_code': 200 },
      resource: { 'service.name': 'cart', 'service.version': '0.1.0' },
    });
    expect(spans.find((s) => s.spanId === '00e19b7ec3c1b175')).toMatchObject({
      parentSpanId: 'eee19b7ec3c1b174',
      kind: 'internal',
      service: 'payment',
      status: 'error',
      statusMessage: 'stripe is unavailable',
      events: [{ name: 'exception', timeUnixNano: 1700000000011000000n, attributes: { 'exception.message': 'x' } }],
    });
  });

  it('reports an answer that is not api/v3 trace data, and a failed query', async () => {
    await expect(
      readJaegerSpans({ baseUrl, services: ['cart'], start: new Date(0), end: new Date(1), fetchImpl: async () => new Response('{"data":[]}') }),
    ).rejects.toThrow(/no "result.resourceSpans" in the answer \(is this Jaeger's api\/v3\?\)/);
    await expect(
      readJaegerSpans({ baseUrl, services: ['cart'], start: new Date(0), end: new Date(1), fetchImpl: async () => new Response('', { status: 503 }) }),
    ).rejects.toThrow(/answered 503/);
  });
});
