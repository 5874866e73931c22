/**
 * The lab's flat view of one span, whatever it came from (the embedded receiver's OTLP JSON
 * files, a Collector's file exporter, Jaeger's query API). The report works on these only.
 */
export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatus = 'unset' | 'ok' | 'error';
export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];

export interface FlatSpan {
  traceId: string; // 32 lowercase hex
  spanId: string; // 16 lowercase hex
  parentSpanId?: string; // absent for a root span
  name: string;
  kind: SpanKind;
  service: string; // resource service.name
  startUnixNano: bigint;
  endUnixNano: bigint;
  status: SpanStatus;
  statusMessage?: string;
  attributes: Record<string, AttributeValue>; // span attributes (the resource's are not merged in)
  resource: Record<string, AttributeValue>;
  events: { name: string; timeUnixNano: bigint; attributes: Record<string, AttributeValue> }[];
}

/** Duration in milliseconds (fractional). */
export function spanDurationMs(span: Pick<FlatSpan, 'startUnixNano' | 'endUnixNano'>): number {
  return Number(span.endUnixNano - span.startUnixNano) / 1e6;
}
