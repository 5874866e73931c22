import type { AttributeValue, FlatSpan, SpanKind, SpanStatus } from '../span-model';
import { TraceFormatError } from './otlp-json';

/** Jaeger query API JSON (GET /api/traces): the fields the reader uses. */
interface JaegerTag {
  key: string;
  type?: string;
  value: unknown;
}
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; traceID: string; spanID: string }[];
  startTime: number; // µs since the epoch
  duration: number; // µs
  tags?: JaegerTag[];
  logs?: { timestamp: number; fields?: JaegerTag[] }[];
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags?: JaegerTag[] }>;
}

export interface JaegerQuery {
  /** Jaeger query's base URL, e.g. http://localhost:16686 */
  baseUrl: string;
  /** Services to read (Jaeger's API takes one per call; spans are de-duplicated). */
  services: string[];
  start: Date;
  end: Date;
  /** Only traces whose spans carry this lab.run_id tag. */
  runId?: string;
  /** Traces per service, default 1500. */
  limit?: number;
  fetchImpl?: typeof fetch;
}

const STATUS_TAGS = new Set(['span.kind', 'otel.status_code', 'otel.status_description', 'error', 'internal.span.format']);
const KINDS = new Set<SpanKind>(['internal', 'server', 'client', 'producer', 'consumer']);

/** Reads spans from Jaeger's HTTP query API (by service, time window and `lab.run_id` tag). */
export async function readJaegerSpans(query: JaegerQuery): Promise<FlatSpan[]> {
  const get = query.fetchImpl ?? fetch;
  const seen = new Map<string, FlatSpan>();
  for (const service of query.services) {
    const url = new URL('/api/traces', query.baseUrl);
    url.searchParams.set('service', service);
    url.searchParams.set('start', String(query.start.getTime() * 1000));
    url.searchParams.set('end', String(query.end.getTime() * 1000));
    url.searchParams.set('limit', String(query.limit ?? 1500));
    if (query.runId) url.searchParams.set('tags', JSON.stringify({ 'lab.run_id': query.runId }));
    const response = await get(url);
    if (!response.ok) throw new Error(`Jaeger query ${url.toString()} answered ${response.status}`);
    const body = (await response.json()) as { data?: JaegerTrace[] };
    if (!Array.isArray(body.data)) throw new TraceFormatError(`Jaeger query ${url.toString()}: no "data" array in the answer`);
    for (const span of flattenJaeger(body.data)) seen.set(`${span.traceId}/${span.spanId}`, span);
  }
  return [...seen.values()];
}

/** Flattens Jaeger query API traces into FlatSpans. */
export function flattenJaeger(traces: JaegerTrace[]): FlatSpan[] {
  const spans: FlatSpan[] = [];
  for (const trace of traces) {
    for (const span of trace.spans ?? []) {
      const process = trace.processes?.[span.processID];
      const tags = toAttributes(span.tags);
      const kind = String(tags['span.kind'] ?? 'internal') as SpanKind;
      const statusCode = String(tags['otel.status_code'] ?? '').toUpperCase();
      const status: SpanStatus = statusCode === 'ERROR' || tags['error'] === true ? 'error' : statusCode === 'OK' ? 'ok' : 'unset';
      const statusMessage = tags['otel.status_description'];
      const parent = span.references?.find((reference) => reference.refType === 'CHILD_OF') ?? span.references?.[0];
      const start = BigInt(Math.round(span.startTime)) * 1000n;
      spans.push({
        traceId: hexId(span.traceID, 32),
        spanId: hexId(span.spanID, 16),
        ...(parent ? { parentSpanId: hexId(parent.spanID, 16) } : {}),
        name: span.operationName,
        kind: KINDS.has(kind) ? kind : 'internal',
        service: process?.serviceName ?? 'unknown_service',
        startUnixNano: start,
        endUnixNano: start + BigInt(Math.round(span.duration)) * 1000n,
        status,
        ...(typeof statusMessage === 'string' && statusMessage ? { statusMessage } : {}),
        attributes: Object.fromEntries(Object.entries(tags).filter(([key]) => !STATUS_TAGS.has(key))),
        resource: { 'service.name': process?.serviceName ?? 'unknown_service', ...toAttributes(process?.tags) },
        events: (span.logs ?? []).map((log) => {
          const fields = toAttributes(log.fields);
          const { event, ...rest } = fields;
          return { name: typeof event === 'string' ? event : 'log', timeUnixNano: BigInt(Math.round(log.timestamp)) * 1000n, attributes: rest };
        }),
      });
    }
  }
  return spans;
}

/** Jaeger drops leading zeros of ids; FlatSpan wants fixed-width lowercase hex. */
function hexId(id: string, width: number): string {
  if (!/^[0-9a-fA-F]{1,32}$/.test(id)) throw new TraceFormatError(`bad Jaeger id ${JSON.stringify(id)}`);
  return id.toLowerCase().padStart(width, '0');
}

function toAttributes(tags: JaegerTag[] | undefined): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const tag of tags ?? []) {
    const value = tag.value;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[tag.key] = value;
    else if (value !== null && value !== undefined) attributes[tag.key] = JSON.stringify(value);
  }
  return attributes;
}
