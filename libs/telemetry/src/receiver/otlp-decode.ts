import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import type { OtlpAnyValue, OtlpTraceRequest } from '../reader/otlp-json';

const PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');

let types: { request: protobuf.Type; response: protobuf.Type; status: protobuf.Type } | undefined;

function otlpTypes() {
  if (!types) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
    root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'google/rpc/status.proto'], { keepCase: false });
    types = {
      request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
      response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
      status: root.lookupType('google.rpc.Status'),
    };
  }
  return types;
}

/** Decodes a protobuf ExportTraceServiceRequest into its OTLP/JSON form (hex ids, 64-bit integers as strings). */
export function decodeTraceRequest(body: Buffer): OtlpTraceRequest {
  const { request } = otlpTypes();
  const message = request.decode(body);
  const object = request.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false, arrays: false });
  return toOtlpJson(object) as OtlpTraceRequest;
}

/** Encodes a protobuf message (the receiver's responses). */
export function encodeTraceResponse(): Uint8Array {
  const { response } = otlpTypes();
  return response.encode(response.create({})).finish();
}

export function encodeStatus(code: number, message: string): Uint8Array {
  const { status } = otlpTypes();
  return status.encode(status.create({ code, message })).finish();
}

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** protobufjs gives bytes as base64; OTLP/JSON writes trace and span ids as hex. */
function toOtlpJson(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => toOtlpJson(item));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [field, child] of Object.entries(value)) out[field] = toOtlpJson(child, field);
    return out;
  }
  if (ID_FIELDS.has(key) && typeof value === 'string') return Buffer.from(value, 'base64').toString('hex');
  return value;
}

export type { OtlpAnyValue };
