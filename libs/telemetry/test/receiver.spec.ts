import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as protobuf from 'protobufjs';
import { readRunSpans, startTraceReceiver, type OtlpTraceRequest, type TraceReceiver } from '../src';

const PROTO_DIR = path.resolve(__dirname, '..', 'proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto']);
const RequestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

const TRACE = '5b8efff798038103d269b633813fc60c';
const span = (id: string, runId: string | undefined, parent?: string) => ({
  traceId: TRACE,
  spanId: id,
  ...(parent ? { parentSpanId: parent } : {}),
  name: `span-${id.slice(-2)}`,
  kind: 2,
  startTimeUnixNano: '1700000000000000000',
  endTimeUnixNano: '1700000000250000000',
  attributes: [
    ...(runId ? [{ key: 'lab.run_id', value: { stringValue: runId } }] : []),
    { key: 'http.response.status_code', value: { intValue: '200' } },
  ],
  status: { code: 2, message: 'boom' },
});
const request = (spans: ReturnType<typeof span>[]): OtlpTraceRequest => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }] },
      scopeSpans: [{ scope: { name: 'test' }, spans }],
    },
  ],
});

/** The protobuf encoding of an OTLP/JSON request (ids hex → bytes). */
function toProtobuf(json: OtlpTraceRequest): Uint8Array {
  const hexToBase64 = (value: unknown, key: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => hexToBase64(v, ''));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hexToBase64(v, k)]));
    if (['traceId', 'spanId', 'parentSpanId'].includes(key) && typeof value === 'string') return Buffer.from(value, 'hex').toString('base64');
    return value;
  };
  return RequestType.encode(RequestType.fromObject(hexToBase64(json, '') as Record<string, unknown>)).finish();
}

let dir: string;
let receiver: TraceReceiver;
const post = (body: Uint8Array | string, headers: Record<string, string>) =>
  fetch(`${receiver.endpoint}/v1/traces`, { method: 'POST', headers, body });

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'otlp-receiver-'));
  receiver = await startTraceReceiver({ dir, port: 0 });
});
afterEach(() => receiver.stop());

describe('the OTLP/HTTP trace receiver', () => {
  it('accepts protobuf, stores spans by lab.run_id as OTLP/JSON lines, and reads them back as FlatSpans', async () => {
    const body = toProtobuf(request([span('00f067aa0ba902b7', 'run-a'), span('00f067aa0ba902b8', 'run-b', '00f067aa0ba902b7'), span('00f067aa0ba902b9', undefined)]));
    const response = await post(body, { 'content-type': 'application/x-protobuf' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    expect(receiver.spanCounts()).toEqual({ 'run-a': 1, 'run-b': 1, unassigned: 1 });

    const file = readFileSync(path.join(dir, 'run-b', 'spans', 'traces.json'), 'utf8').trim();
    const stored = JSON.parse(file) as OtlpTraceRequest;
    expect(stored.resourceSpans?.[0]?.scopeSpans?.[0]?.spans?.[0]).toMatchObject({
      traceId: TRACE,
      spanId: '00f067aa0ba902b8',
      parentSpanId: '00f067aa0ba902b7',
      startTimeUnixNano: '1700000000000000000',
    });
    const [flat] = await readRunSpans(dir, 'run-b');
    expect(flat).toEqual({
      traceId: TRACE,
      spanId: '00f067aa0ba902b8',
      parentSpanId: '00f067aa0ba902b7',
      name: 'span-b8',
      kind: 'server',
      service: 'cart',
      startUnixNano: 1700000000000000000n,
      endUnixNano: 1700000000250000000n,
      status: 'error',
      statusMessage: 'boom',
      attributes: { 'lab.run_id': 'run-b', 'http.response.status_code': 200 },
      resource: { 'service.name': 'cart' },
      events: [],
    });
    expect(await readRunSpans(dir, 'unassigned')).toHaveLength(1);
    expect(await readRunSpans(dir, 'never-seen')).toEqual([]);
  });

  it('accepts JSON and gzip, appending batch after batch', async () => {
    const first = JSON.stringify(request([span('00000000000000a1', 'run-j')]));
    expect((await post(first, { 'content-type': 'application/json' })).status).toBe(200);
    const second = gzipSync(JSON.stringify(request([span('00000000000000a2', 'run-j')])));
    const response = await post(second, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    const gzippedProto = gzipSync(toProtobuf(request([span('00000000000000a3', 'run-j')])));
    expect((await post(gzippedProto, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })).status).toBe(200);
    await receiver.stop();
    expect((await readRunSpans(dir, 'run-j')).map((s) => s.spanId)).toEqual(['00000000000000a1', '00000000000000a2', '00000000000000a3']);
  });

  it('answers 400 for a body it cannot decode, 415 for another content type, 404 elsewhere, and stores nothing', async () => {
    expect((await post('{not json', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await post('{"resourceSpans":5}', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await post(Buffer.from([0xff, 0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' })).status).toBe(400);
    expect((await post('abc', { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(400);
    const unsupported = await post('x', { 'content-type': 'text/plain' });
    expect(unsupported.status).toBe(415);
    expect(await unsupported.json()).toMatchObject({ message: expect.stringContaining('text/plain') });
    expect((await fetch(`${receiver.endpoint}/v1/metrics`, { method: 'POST' })).status).toBe(404);
    expect(receiver.spanCounts()).toEqual({});
  });

  it('keeps run ids inside its directory', async () => {
    await post(JSON.stringify(request([span('00000000000000b1', '../../escape')])), { 'content-type': 'application/json' });
    expect(Object.keys(receiver.spanCounts())).toEqual(['.._.._escape']);
    expect(await readRunSpans(dir, '../../escape')).toHaveLength(1);
  });
});

describe('the receiver with deferred decoding (the lab runs it so)', () => {
  let deferred: TraceReceiver;
  let spoolDir: string;
  const postTo = (target: TraceReceiver, body: Uint8Array | string, path_ = '/v1/traces') =>
    fetch(`${target.endpoint}${path_}`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });

  beforeEach(async () => {
    spoolDir = mkdtempSync(path.join(tmpdir(), 'otlp-deferred-'));
    deferred = await startTraceReceiver({ dir: spoolDir, port: 0, deferDecoding: true, settleIdleMs: 60_000, warn: () => undefined });
  });
  afterEach(() => deferred.stop());

  it('acknowledges a batch before decoding it, and decodes it on POST /lab/flush, in the order received', async () => {
    expect((await postTo(deferred, toProtobuf(request([span('00000000000000c1', 'run-d')])))).status).toBe(200);
    expect((await postTo(deferred, toProtobuf(request([span('00000000000000c2', 'run-d')])))).status).toBe(200);
    expect(await readRunSpans(spoolDir, 'run-d')).toEqual([]); // spooled, not decoded yet
    const flushed = await postTo(deferred, '', '/lab/flush');
    expect(await flushed.json()).toEqual({ spans: { 'run-d': 2 } });
    expect((await readRunSpans(spoolDir, 'run-d')).map((s) => s.spanId)).toEqual(['00000000000000c1', '00000000000000c2']);
  });

  it('refuses a body that is not protobuf at once, with 400', async () => {
    expect((await postTo(deferred, Buffer.from([0xff, 0xff, 0xff, 0xff]))).status).toBe(400);
    expect((await postTo(deferred, 'not protobuf')).status).toBe(400);
    await deferred.flush();
    expect(deferred.spanCounts()).toEqual({});
  });

  it('decodes on its own once no batch has come for settleIdleMs', async () => {
    const quick = await startTraceReceiver({ dir: spoolDir, port: 0, deferDecoding: true, settleIdleMs: 100, warn: () => undefined });
    try {
      await postTo(quick, toProtobuf(request([span('00000000000000d1', 'run-idle')])));
      const until = Date.now() + 5000;
      while ((await readRunSpans(spoolDir, 'run-idle')).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect((await readRunSpans(spoolDir, 'run-idle')).map((s) => s.spanId)).toEqual(['00000000000000d1']);
    } finally {
      await quick.stop();
    }
  });

  it('decodes what a receiver that was stopped left in its spool when the next one starts', async () => {
    await postTo(deferred, toProtobuf(request([span('00000000000000e1', 'run-left')])));
    // Simulate a kill: the spool file stays; a new receiver on the same directory takes it over.
    const next = await startTraceReceiver({ dir: spoolDir, port: 0, deferDecoding: true, settleIdleMs: 60_000, warn: () => undefined });
    try {
      expect((await readRunSpans(spoolDir, 'run-left')).map((s) => s.spanId)).toEqual(['00000000000000e1']);
    } finally {
      await next.stop();
    }
  });
});
