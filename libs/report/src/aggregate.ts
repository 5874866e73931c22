import type { ExperimentInfo, LoadSummary } from '@checkout-lab/run-record';
import { spanDurationMs } from '@checkout-lab/telemetry';
import { isTimeout } from './checkout-spans';
import { estimateConversion, type Band, type ConversionModel } from './conversion';
import { aggregateCriticalPaths, criticalPath, type CriticalPath } from './critical-path';
import { databaseReport } from './database';
import { pickExemplars, type TraceLinks } from './exemplars';
import { nullable, round } from './format';
import type { LatencyStats, OperationStats, VariantReport } from './report-types';
import { summaryValue, type CheckoutAttempt, type RunFacts } from './run-facts';
import { describe, mean, percentileOfSorted } from './stats';

// One variant: its valid runs pooled into steps, outcomes, span operations, critical paths and exemplars.

const STEP_METRIC = /^http_req_duration\{name:([^}]+)\}$/;
const CURVE_PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9];

/** One variant's report from its runs' facts: only the valid runs count, the database evidence falls back to all runs. */
export function analyseVariant(
  name: string,
  facts: RunFacts[],
  isBaseline: boolean,
  experiment: ExperimentInfo,
  model: ConversionModel,
  traceLinks: TraceLinks,
): VariantReport {
  const valid = facts.filter((f) => f.report.valid);
  const attempts = valid.flatMap((f) => f.attempts);
  const definition = experiment.variants?.find((v) => v.name === name);
  const settings = definition?.settings ?? valid[0]?.run.meta.settings ?? facts[0]?.run.meta.settings ?? {};

  // Steps: client-side latencies from the summaries.
  const stepNames = new Set<string>();
  for (const f of valid) for (const key of Object.keys(f.run.summary.metrics)) {
    const m = STEP_METRIC.exec(key);
    if (m?.[1]) stepNames.add(m[1]);
  }
  const steps: Record<string, LatencyStats> = {};
  for (const step of [...stepNames].sort(stepOrder)) steps[step] = stepStats(valid.map((f) => f.run.summary), step);

  const outcomes: Record<string, number> = {};
  for (const a of attempts) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
  const n = attempts.length;

  // Span operations, pooled.
  const ops = new Map<string, { service: string; operation: string; durations: number[]; errors: number; timeouts: number }>();
  for (const f of valid)
    for (const span of f.run.spans) {
      const key = `${span.service}\u0000${span.name}`;
      let op = ops.get(key);
      if (!op) ops.set(key, (op = { service: span.service, operation: span.name, durations: [], errors: 0, timeouts: 0 }));
      op.durations.push(spanDurationMs(span));
      if (span.status === 'error') op.errors++;
      if (isTimeout(span)) op.timeouts++;
    }
  const operations: OperationStats[] = [...ops.values()]
    .map((op) => ({
      service: op.service,
      operation: op.operation,
      ...latency(op.durations),
      error_rate: round(op.errors / op.durations.length, 6),
      timeout_rate: round(op.timeouts / op.durations.length, 6),
    }))
    .sort((a, b) => a.service.localeCompare(b.service) || (b.count ?? 0) * (b.mean_ms ?? 0) - (a.count ?? 0) * (a.mean_ms ?? 0));

  // Critical paths of the checkout requests.
  const paths: CriticalPath[] = [];
  const pathOf = new Map<CheckoutAttempt, CriticalPath>();
  for (const f of valid)
    for (const a of f.attempts) {
      const p = criticalPath(f.traces.get(a.traceId) ?? [], { rootSpanId: a.requestSpan.spanId });
      if (p) {
        paths.push(p);
        pathOf.set(a, p);
      }
    }
  const aggregate = aggregateCriticalPaths(paths);

  const exemplars = pickExemplars(attempts, valid, pathOf, traceLinks);

  const serverCheckout = attempts.map((a) => a.durationMs).sort((a, b) => a - b);
  return {
    name,
    description: definition?.description ?? '',
    baseline: isBaseline,
    settings,
    runs: facts.map((f) => f.report),
    valid_runs: valid.length,
    steps,
    checkouts: n,
    outcomes,
    success_rate: n ? round((outcomes['paid'] ?? 0) / n, 6) : null,
    timeout_rate: n ? round((outcomes['timeout'] ?? 0) / n, 6) : null,
    error_rate: n ? round(attempts.filter((a) => isLost(a.outcome)).length / n, 6) : null,
    dropped_iterations: valid.reduce((s, f) => s + (f.report.dropped_iterations ?? 0), 0),
    payment: latency(valid.flatMap((f) => f.paymentMs)),
    checkout: latency(serverCheckout),
    checkout_curve: serverCheckout.length ? CURVE_PERCENTILES.map((p) => ({ percentile: p, ms: round(percentileOfSorted(serverCheckout, p)) as number })) : [],
    operations,
    critical_path: {
      traces: aggregate.traces,
      mean_total_ms: aggregate.traces ? round(aggregate.meanTotalMs) : null,
      orphans: aggregate.orphans,
      operations: aggregate.operations.map((o) => ({ service: o.service, operation: o.operation, mean_ms: round(o.meanMs) as number, share: round(o.share, 4) as number })),
    },
    exemplars,
    conversion: roundBand(estimateConversion(attempts.map((a) => ({ durationMs: a.durationMs, lost: isLost(a.outcome) })), model)),
    database: databaseReport(valid.length ? valid : facts, n),
  };
}

function stepStats(summaries: LoadSummary[], step: string): LatencyStats {
  const metric = (s: LoadSummary) => s.metrics[`http_req_duration{name:${step}}`];
  const avg = (key: string) => round(nullable(mean(summaries.map((s) => summaryValue(metric(s), key)).filter((v): v is number => v !== null))));
  const counts = summaries.map((s) => summaryValue(s.metrics[`http_reqs{name:${step}}`], 'count')).filter((v): v is number => v !== null);
  return {
    count: counts.length ? counts.reduce((a, b) => a + b, 0) : null,
    mean_ms: avg('avg'),
    p50_ms: avg('med'),
    p90_ms: avg('p(90)'),
    p95_ms: avg('p(95)'),
    p99_ms: avg('p(99)'),
    max_ms: round(nullable(Math.max(...summaries.map((s) => summaryValue(metric(s), 'max') ?? Number.NEGATIVE_INFINITY)))),
  };
}

/** A checkout lost to the system (failed or timed out); a declined card is the shopper's outcome. */
function isLost(outcome: string): boolean {
  return outcome !== 'paid' && outcome !== 'declined';
}

function roundBand(band: Band | null): Band | null {
  return band ? { low: round(band.low, 6) as number, central: round(band.central, 6) as number, high: round(band.high, 6) as number } : null;
}

function stepOrder(a: string, b: string): number {
  const known = ['create_cart', 'add_item', 'checkout'];
  const ia = known.indexOf(a);
  const ib = known.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

function latency(values: number[]): LatencyStats {
  const d = describe(values);
  return { count: d.count, mean_ms: round(d.mean), p50_ms: round(d.p50), p90_ms: round(d.p90), p95_ms: round(d.p95), p99_ms: round(d.p99), max_ms: round(d.max) };
}
