import { promises as fs } from 'node:fs';
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

/** Flattens OTLP/JSON trace requests into FlatSpans. */
export function flattenOtlp(requests: OtlpTraceRequest | OtlpTraceRequest[]): FlatSpan[] {
  const spans: FlatSpan[] = [];
  for (const request of Array.isArray(requests) ? requests : [requests]) {
    if (!request || typeof request !== 'object' || (request.resourceSpans !== undefined && !Array.isArray(request.resourceSpans))) {
      throw new TraceFormatError('not an OTLP trace request (expected {"resourceSpans":[…]})');
    }
    for (const resourceSpans of request.resourceSpans ?? []) {
      const resource = toAttributes(resourceSpans.resource?.attributes);
      const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown_service';
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) spans.push(flattenSpan(span, service, resource));
      }
    }
  }
  return spans;
}

function flattenSpan(span: OtlpSpan, service: string, resource: Record<string, AttributeValue>): FlatSpan {
  const parent = span.parentSpanId ? toHexId(span.parentSpanId, 8) : '';
  const statusMessage = span.status?.message;
  return {
    traceId: toHexId(span.traceId, 16),
    spanId: toHexId(span.spanId, 8),
    ...(parent && !/^0+$/.test(parent) ? { parentSpanId: parent } : {}),
    name: span.name,
    kind: KINDS[String(span.kind ?? 0)] ?? 'internal',
    service,
    startUnixNano: BigInt(span.startTimeUnixNano),
    endUnixNano: BigInt(span.endTimeUnixNano),
    status: STATUSES[String(span.status?.code ?? 0)] ?? 'unset',
    ...(statusMessage ? { statusMessage } : {}),
    attributes: toAttributes(span.attributes),
    resource,
    events: (span.events ?? []).map((event) => ({
      name: event.name,
      timeUnixNano: BigInt(event.timeUnixNano),
      attributes: toAttributes(event.attributes),
    })),
  };
}

/** Hex as OTLP/JSON writes ids; base64 (what a generic protobuf JSON encoder writes) is converted. */
export function toHexId(id: string, bytes: number): string {
  if (new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(id)) return id.toLowerCase();
  const decoded = Buffer.from(id, 'base64');
  if (decoded.length === bytes) return decoded.toString('hex');
  throw new TraceFormatError(`bad span or trace id ${JSON.stringify(id)}`);
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
export function parseOtlpJson(text: string, source = 'input'): FlatSpan[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  try {
    return flattenOtlp(JSON.parse(trimmed) as OtlpTraceRequest | OtlpTraceRequest[]);
  } catch (error) {
    if (error instanceof TraceFormatError) throw new TraceFormatError(`${source}: ${error.message}`);
    // Not one document: JSON lines.
  }
  const spans: FlatSpan[] = [];
  trimmed.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    let request: OtlpTraceRequest;
    try {
      request = JSON.parse(line) as OtlpTraceRequest;
    } catch {
      throw new TraceFormatError(`${source}:${index + 1}: not JSON`);
    }
    try {
      spans.push(...flattenOtlp(request));
    } catch (error) {
      throw new TraceFormatError(`${source}:${index + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return spans;
}

/** Reads OTLP/JSON trace files (see parseOtlpJson) into FlatSpans. */
export async function readOtlpJsonFiles(files: string[]): Promise<FlatSpan[]> {
  const spans: FlatSpan[] = [];
  for (const file of files) spans.push(...parseOtlpJson(await fs.readFile(file, 'utf8'), file));
  return spans;
}
