import { createReadStream, promises as fs } from 'node:fs';
import type { AttributeValue, FlatSpan, SpanKind, SpanStatus } from '../span-model';

/** OTLP/JSON (the protobuf JSON mapping: camelCase, hex ids, 64-bit integers as strings). */
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string;
}
export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  flags?: number;
  name: string;
  kind?: number | string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpKeyValue[];
  events?: { timeUnixNano: string | number; name: string; attributes?: OtlpKeyValue[] }[];
  links?: unknown[];
  status?: { code?: number | string; message?: string };
  [other: string]: unknown;
}
export interface OtlpScopeSpans {
  scope?: { name?: string; version?: string; attributes?: OtlpKeyValue[] };
  spans?: OtlpSpan[];
  schemaUrl?: string;
}
export interface OtlpResourceSpans {
  resource?: { attributes?: OtlpKeyValue[] };
  scopeSpans?: OtlpScopeSpans[];
  schemaUrl?: string;
}
/** ExportTraceServiceRequest (also the Collector file exporter's line format, TracesData). */
export interface OtlpTraceRequest {
  resourceSpans?: OtlpResourceSpans[];
}

/** Thrown for input that is not OTLP/JSON trace data; names the file and line. */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
}

const KINDS: Record<string, SpanKind> = {
  '0': 'internal',
  '1': 'internal',
  '2': 'server',
  '3': 'client',
  '4': 'producer',
  '5': 'consumer',
  SPAN_KIND_UNSPECIFIED: 'internal',
  SPAN_KIND_INTERNAL: 'internal',
  SPAN_KIND_SERVER: 'server',
  SPAN_KIND_CLIENT: 'client',
  SPAN_KIND_PRODUCER: 'producer',
  SPAN_KIND_CONSUMER: 'consumer',
};
const STATUSES: Record<string, SpanStatus> = {
  '0': 'unset',
  '1': 'ok',
  '2': 'error',
  STATUS_CODE_UNSET: 'unset',
  STATUS_CODE_OK: 'ok',
  STATUS_CODE_ERROR: 'error',
};

/**
 * What to keep of each span. An analysis of millions of spans needs a few attributes, not the
 * whole object graph, and a span without the rest takes a fraction of the memory.
 */
export interface OtlpReadOptions {
  /** Keep only these span attributes (default: all). The resource's attributes are always kept. */
  attributes?: readonly string[];
  /** Keep span events (default: true); without them every span shares one empty list. */
  events?: boolean;
  /** Keep only the spans of these traces (lowercase hex ids; default: every trace). */
  traces?: ReadonlySet<string>;
}

/** Shared by every span that keeps no attributes or no events (frozen: nothing may add to them). */
const NO_ATTRIBUTES: FlatSpan['attributes'] = Object.freeze({});
const NO_EVENTS: FlatSpan['events'] = Object.freeze([]) as unknown as FlatSpan['events'];

/** Flattens OTLP/JSON trace requests into FlatSpans. */
export function flattenOtlp(requests: OtlpTraceRequest | OtlpTraceRequest[], options: OtlpReadOptions = {}): FlatSpan[] {
  return flattenWith(requests, readContext(options));
}

/**
 * What one read shares across its requests: the options, and one copy of each trace id and span
 * name (every span of a trace repeats its id; a few dozen names repeat a million times).
 */
interface ReadContext {
  keep: Set<string> | undefined;
  events: boolean;
  traces: ReadonlySet<string> | undefined;
  strings: Map<string, string>;
}

function readContext(options: OtlpReadOptions): ReadContext {
  return { keep: options.attributes ? new Set(options.attributes) : undefined, events: options.events ?? true, traces: options.traces, strings: new Map() };
}

function intern(strings: Map<string, string>, text: string): string {
  const known = strings.get(text);
  if (known !== undefined) return known;
  strings.set(text, text);
  return text;
}

function flattenWith(requests: OtlpTraceRequest | OtlpTraceRequest[], context: ReadContext): FlatSpan[] {
  const spans: FlatSpan[] = [];
  for (const request of Array.isArray(requests) ? requests : [requests]) {
    if (!request || typeof request !== 'object' || (request.resourceSpans !== undefined && !Array.isArray(request.resourceSpans))) {
      throw new TraceFormatError('not an OTLP trace request (expected {"resourceSpans":[…]})');
    }
    for (const resourceSpans of request.resourceSpans ?? []) {
      const resource = toAttributes(resourceSpans.resource?.attributes);
      const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown_service';
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          if (context.traces && !context.traces.has(toHexId(span.traceId, 16))) continue;
          spans.push(flattenSpan(span, service, resource, context));
        }
      }
    }
  }
  return spans;
}

function flattenSpan(span: OtlpSpan, service: string, resource: Record<string, AttributeValue>, { keep, events, strings }: ReadContext): FlatSpan {
  // One literal, the optional fields added after: spreading `...(x ? {…} : {})` costs ten times as much per span.
  const flat: FlatSpan = {
    traceId: intern(strings, toHexId(span.traceId, 16)),
    spanId: toHexId(span.spanId, 8),
    name: intern(strings, span.name),
    kind: KINDS[String(span.kind ?? 0)] ?? 'internal',
    service,
    startUnixNano: BigInt(span.startTimeUnixNano),
    endUnixNano: BigInt(span.endTimeUnixNano),
    status: STATUSES[String(span.status?.code ?? 0)] ?? 'unset',
    attributes: keep ? keptAttributes(span.attributes, keep) : toAttributes(span.attributes),
    resource,
    events: !events
      ? NO_EVENTS
      : (span.events ?? []).map((event) => ({
          name: event.name,
          timeUnixNano: BigInt(event.timeUnixNano),
          attributes: toAttributes(event.attributes),
        })),
  };
  const parent = span.parentSpanId ? toHexId(span.parentSpanId, 8) : '';
  if (parent && !/^0+$/.test(parent)) flat.parentSpanId = parent;
  if (span.status?.message) flat.statusMessage = span.status.message;
  return flat;
}

/** Hex as OTLP/JSON writes ids; base64 (what a generic protobuf JSON encoder writes) is converted. */
export function toHexId(id: string, bytes: number): string {
  if (hexPattern(bytes).test(id)) return id.toLowerCase();
  const decoded = Buffer.from(id, 'base64');
  if (decoded.length === bytes) return decoded.toString('hex');
  throw new TraceFormatError(`bad span or trace id ${JSON.stringify(id)}`);
}

/** toAttributes of the listed keys only; the shared empty record when none is there. */
function keptAttributes(list: OtlpKeyValue[] | undefined, keep: Set<string>): Record<string, AttributeValue> {
  let kept: Record<string, AttributeValue> | undefined;
  for (const { key, value } of list ?? []) {
    const converted = keep.has(key) && value ? toValue(value) : undefined;
    if (converted !== undefined) (kept ??= {})[key] = converted;
  }
  return kept ?? NO_ATTRIBUTES;
}

const HEX_PATTERNS = new Map<number, RegExp>();
function hexPattern(bytes: number): RegExp {
  let pattern = HEX_PATTERNS.get(bytes);
  if (!pattern) HEX_PATTERNS.set(bytes, (pattern = new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`)));
  return pattern;
}

export function toAttributes(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    const converted = value ? toValue(value) : undefined;
    if (converted !== undefined) attributes[key] = converted;
  }
  return attributes;
}

function toValue(value: OtlpAnyValue): AttributeValue | undefined {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue) {
    const items = (value.arrayValue.values ?? []).map(toValue).filter((item) => item !== undefined);
    if (items.every((item) => typeof item === 'string')) return items as string[];
    if (items.every((item) => typeof item === 'number')) return items as number[];
    if (items.every((item) => typeof item === 'boolean')) return items as boolean[];
    return items.map((item) => JSON.stringify(item));
  }
  if (value.kvlistValue) return JSON.stringify(toAttributes(value.kvlistValue.values));
  return undefined;
}

/**
 * Parses an OTLP/JSON file: JSON lines (one request per line, as the Collector's file exporter
 * writes) or one whole JSON document (a request, or an array of them).
 */
export function parseOtlpJson(text: string, source = 'input', options: OtlpReadOptions = {}): FlatSpan[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const context = readContext(options);
  try {
    return flattenWith(JSON.parse(trimmed) as OtlpTraceRequest | OtlpTraceRequest[], context);
  } catch (error) {
    if (error instanceof TraceFormatError) throw new TraceFormatError(`${source}: ${error.message}`);
    // Not one document: JSON lines.
  }
  const spans: FlatSpan[] = [];
  trimmed.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    for (const span of parseLine(line, `${source}:${index + 1}`, context)) spans.push(span);
  });
  return spans;
}

/**
 * Reads OTLP/JSON trace files (see parseOtlpJson) into FlatSpans. Each file is streamed line by
 * line, so only one request's object graph is alive at a time; a file that is not JSON lines
 * (one document over many lines) or has a bad line is read again whole by parseOtlpJson, which
 * returns its spans or names the problem exactly as before.
 */
export async function readOtlpJsonFiles(files: string[], options: OtlpReadOptions = {}): Promise<FlatSpan[]> {
  const spans: FlatSpan[] = [];
  const context = readContext(options);
  for (const file of files) {
    const mark = spans.length;
    if (await streamJsonLines(file, spans, context)) continue;
    spans.length = mark;
    for (const span of parseOtlpJson(await fs.readFile(file, 'utf8'), file, options)) spans.push(span);
  }
  return spans;
}

/** Appends a JSON-lines file's spans to `into`; false at the first line that is not an OTLP request. */
async function streamJsonLines(file: string, into: FlatSpan[], context: ReadContext): Promise<boolean> {
  const input = createReadStream(file, { highWaterMark: 1 << 22 });
  try {
    for await (const { text } of jsonLines(input)) {
      if (!text.trim()) continue;
      let spans: FlatSpan[];
      try {
        spans = flattenWith(JSON.parse(text) as OtlpTraceRequest, context);
      } catch {
        return false;
      }
      for (const span of spans) into.push(span);
    }
    return true;
  } finally {
    input.destroy();
  }
}

/** Where a line is in its file: the byte offset of its first character and its length in bytes (without the newline). */
export interface ByteRange {
  offset: number;
  length: number;
}

/** One line of an OTLP/JSON lines file: where it is, and its spans. */
export interface OtlpJsonLine extends ByteRange {
  spans: FlatSpan[];
}

/**
 * Streams an OTLP/JSON lines file one line (one request) at a time, with each line's byte range,
 * so a caller can note where each trace's spans are and read only those lines again later
 * (readOtlpJsonRanges). Blank lines are skipped; a line that is not an OTLP request throws a
 * TraceFormatError naming the file and line number, after the lines before it were yielded.
 */
export async function* readOtlpJsonLines(file: string, options: OtlpReadOptions = {}): AsyncGenerator<OtlpJsonLine> {
  const context = readContext(options);
  const input = createReadStream(file, { highWaterMark: 1 << 22 });
  let number = 0;
  try {
    for await (const { text, offset, length } of jsonLines(input)) {
      number++;
      if (!text.trim()) continue;
      yield { offset, length, spans: parseLine(text, `${file}:${number}`, context) };
    }
  } finally {
    input.destroy();
  }
}

/** The spans of the lines at `ranges` of an OTLP/JSON lines file (ranges as readOtlpJsonLines gave them). */
export async function readOtlpJsonRanges(file: string, ranges: readonly ByteRange[], options: OtlpReadOptions = {}): Promise<FlatSpan[]> {
  const context = readContext(options);
  const spans: FlatSpan[] = [];
  const handle = await fs.open(file, 'r');
  try {
    for (const { offset, length } of ranges) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead !== length) throw new TraceFormatError(`${file}: bytes ${offset}–${offset + length} are past the end of the file`);
      for (const span of parseLine(buffer.toString('utf8'), `${file}: bytes ${offset}–${offset + length}`, context)) spans.push(span);
    }
  } finally {
    await handle.close();
  }
  return spans;
}

/** One JSON line's spans; a TraceFormatError names `where`. */
function parseLine(text: string, where: string, context: ReadContext): FlatSpan[] {
  let request: OtlpTraceRequest;
  try {
    request = JSON.parse(text) as OtlpTraceRequest;
  } catch {
    throw new TraceFormatError(`${where}: not JSON`);
  }
  try {
    return flattenWith(request, context);
  } catch (error) {
    throw new TraceFormatError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The lines of a byte stream, split at the newline byte (never part of a multi-byte UTF-8
 * character), with the byte range of each. readline does the same far slower on lines of 100 kB
 * and more, which is what the receiver writes (one export batch per line).
 */
async function* jsonLines(input: AsyncIterable<Buffer>): AsyncGenerator<{ text: string } & ByteRange> {
  let partial: Buffer[] = [];
  let partialOffset = 0;
  let position = 0; // the offset of the current chunk's first byte
  for await (const chunk of input) {
    let start = 0;
    for (let end = chunk.indexOf(10); end >= 0; start = end + 1, end = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, end);
      const line = partial.length ? Buffer.concat([...partial, piece]) : piece;
      yield { text: line.toString('utf8'), offset: partial.length ? partialOffset : position + start, length: line.length };
      partial = [];
    }
    if (start < chunk.length) {
      if (!partial.length) partialOffset = position + start;
      partial.push(chunk.subarray(start));
    }
    position += chunk.length;
  }
  if (partial.length) {
    const line = Buffer.concat(partial);
    yield { text: line.toString('utf8'), offset: partialOffset, length: line.length };
  }
}
