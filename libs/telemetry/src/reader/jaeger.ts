import { ATTR_LAB_RUN_ID } from '../lab-conventions';
import type { FlatSpan } from '../span-model';
import { flattenOtlp, TraceFormatError, type OtlpTraceRequest } from './otlp-json';

export interface JaegerQuery {
  /** Jaeger query's base URL, e.g. http://localhost:16686 */
  baseUrl: string;
  /** Services to read (the API takes one per call; spans are de-duplicated). */
  services: string[];
  start: Date;
  end: Date;
  /** Only the traces in which a span carries this `lab.run_id` attribute (filtered here: the API ignores attribute filters). */
  runId?: string;
  /** Traces per service (`query.search_depth`), default 1500. */
  limit?: number;
  fetchImpl?: typeof fetch;
}

/**
 * Reads spans from Jaeger v2's query API, `GET /api/v3/traces` (the supported one; v1's
 * `/api/traces` JSON is internal and not served by Jaeger v2), by service and time window. Its
 * answer is OTLP JSON in a `{"result": {"resourceSpans": […]}}` envelope, read by the same code as
 * the receiver's files; a 404 is Jaeger's "no traces found".
 */
export async function readJaegerSpans(query: JaegerQuery): Promise<FlatSpan[]> {
  const get = query.fetchImpl ?? fetch;
  const seen = new Map<string, FlatSpan>();
  for (const service of query.services) {
    const url = new URL('/api/v3/traces', query.baseUrl);
    url.searchParams.set('query.service_name', service);
    url.searchParams.set('query.start_time_min', query.start.toISOString());
    url.searchParams.set('query.start_time_max', query.end.toISOString());
    url.searchParams.set('query.search_depth', String(query.limit ?? 1500));
    const response = await get(url);
    if (response.status === 404) continue;
    if (!response.ok) throw new Error(`Jaeger query ${url.toString()} answered ${response.status}`);
    const body = (await response.json()) as { result?: OtlpTraceRequest };
    if (!body.result || !Array.isArray(body.result.resourceSpans)) {
      throw new TraceFormatError(`Jaeger query ${url.toString()}: no "result.resourceSpans" in the answer (is this Jaeger's api/v3?)`);
    }
    for (const span of flattenOtlp(body.result)) seen.set(`${span.traceId}/${span.spanId}`, span);
  }
  const spans = [...seen.values()];
  if (query.runId === undefined) return spans;
  const traces = new Set(spans.filter((s) => s.attributes[ATTR_LAB_RUN_ID] === query.runId).map((s) => s.traceId));
  return spans.filter((s) => traces.has(s.traceId));
}
