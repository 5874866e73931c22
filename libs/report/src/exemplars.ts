import type { FlatSpan } from '@checkout-lab/telemetry';
import { spanDurationMs } from '@checkout-lab/telemetry';
import { spansOnPath, type CriticalPath } from './critical-path';
import { round } from './format';
import type { Exemplar, ExemplarSpan } from './report-types';
import type { CheckoutAttempt, RunFacts } from './run-facts';

// Exemplar traces: a variant's median and p99 checkout request as a waterfall, with links to the trace UIs.

const MAX_WATERFALL_SPANS = 60;

/** Base URLs of the UIs that show a trace at `<base>/trace/<traceId>` (Jaeger's, the lab's viewer), null when there is none. */
export interface TraceLinks {
  jaeger: string | null;
  viewer: string | null;
}

/** The median and the p99 checkout request of `attempts`, by duration (nearest rank); `facts`: the runs they come from. */
export function pickExemplars(attempts: CheckoutAttempt[], facts: RunFacts[], pathOf: Map<CheckoutAttempt, CriticalPath>, links: TraceLinks): Exemplar[] {
  const sorted = [...attempts].sort((a, b) => a.durationMs - b.durationMs);
  const out: Exemplar[] = [];
  if (sorted.length) {
    const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as CheckoutAttempt;
    for (const [which, q] of [['median', 0.5], ['p99', 0.99]] as const) {
      const a = pick(q);
      const f = facts.find((x) => x.run.meta.runId === a.runId) as RunFacts;
      out.push(exemplar(which, a, f.traces.get(a.traceId) ?? [], pathOf.get(a), links));
    }
  }
  return out;
}

function exemplar(which: 'median' | 'p99', attempt: CheckoutAttempt, trace: FlatSpan[], path: CriticalPath | undefined, links: TraceLinks): Exemplar {
  const children = new Map<string, FlatSpan[]>();
  for (const s of trace) {
    if (s.parentSpanId === undefined) continue;
    const list = children.get(s.parentSpanId);
    if (list) list.push(s);
    else children.set(s.parentSpanId, [s]);
  }
  const onPath = path ? spansOnPath(path, new Map(trace.map((s) => [s.spanId, s]))) : new Set<string>();
  const origin = attempt.requestSpan.startUnixNano;
  const out: ExemplarSpan[] = [];
  let total = 0;
  const visit = (span: FlatSpan, depth: number) => {
    total++;
    if (out.length < MAX_WATERFALL_SPANS) {
      out.push({
        span_id: span.spanId,
        parent_span_id: span.parentSpanId ?? null,
        service: span.service,
        name: span.name,
        start_ms: round(Number(span.startUnixNano - origin) / 1e6) as number,
        duration_ms: round(spanDurationMs(span)) as number,
        status: span.status,
        depth,
        on_critical_path: onPath.has(span.spanId),
      });
    }
    const kids = (children.get(span.spanId) ?? []).sort((a, b) => (a.startUnixNano < b.startUnixNano ? -1 : a.startUnixNano > b.startUnixNano ? 1 : 0));
    if (depth < 50) for (const k of kids) visit(k, depth + 1);
  };
  visit(attempt.requestSpan, 0);
  return {
    which,
    trace_id: attempt.traceId,
    run_id: attempt.runId,
    duration_ms: round(attempt.durationMs) as number,
    outcome: attempt.outcome,
    jaeger_url: links.jaeger ? `${links.jaeger}/trace/${attempt.traceId}` : null,
    viewer_url: links.viewer ? `${links.viewer}/trace/${attempt.traceId}` : null,
    spans: out,
    spans_omitted: total - out.length,
  };
}
