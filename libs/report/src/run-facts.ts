import type { FlatSpan } from '@checkout-lab/telemetry';
import { SPAN_PAYMENT_AUTHORIZE, spanDurationMs } from '@checkout-lab/telemetry';
import { judgeRun, type ValidityBounds, type ValidityCheck } from '@checkout-lab/run-record';
import type { RunData } from './run-data';
import { checkoutResult, isCheckoutSpan } from './checkout-spans';
import { nullable, round } from './format';
import type { ComparedMetric, Num, RunReport } from './report-types';
import { mean, percentileOfSorted } from './stats';

// One run: its checkout attempts, its figures and whether its load was valid.

export interface CheckoutAttempt {
  traceId: string;
  runId: string;
  outcome: string;
  /** Cart's span for the checkout request (or the business span when there is no server span). */
  requestSpan: FlatSpan;
  durationMs: number;
  timedOut: boolean;
}

/** A run and what the variant-level analysis needs of it. */
export interface RunFacts {
  run: RunData;
  report: RunReport;
  attempts: CheckoutAttempt[];
  traces: Map<string, FlatSpan[]>;
  paymentMs: number[];
}

/** One run's checkout attempts (from its spans), its figures and whether its load was valid (libs/run-record's judgeRun). */
export function analyseRun(run: RunData, bounds: ValidityBounds): RunFacts {
  const { meta, summary } = run;
  const traces = new Map<string, FlatSpan[]>();
  for (const span of run.spans) {
    const list = traces.get(span.traceId);
    if (list) list.push(span);
    else traces.set(span.traceId, [span]);
  }
  // Span ids per trace, built only for the traces that hold a checkout (a run can have a million spans).
  const indexes = new Map<string, Map<string, FlatSpan>>();
  const spansById = (traceId: string) => {
    let index = indexes.get(traceId);
    if (!index) indexes.set(traceId, (index = new Map((traces.get(traceId) ?? []).map((s) => [s.spanId, s]))));
    return index;
  };

  const attempts: CheckoutAttempt[] = [];
  for (const span of run.spans) {
    if (!isCheckoutSpan(span)) continue;
    const { requestSpan, outcome, timedOut } = checkoutResult(span, spansById(span.traceId));
    attempts.push({ traceId: span.traceId, runId: meta.runId, outcome, requestSpan, durationMs: spanDurationMs(requestSpan), timedOut });
  }
  const paymentSpans = run.spans.filter((s) => s.name === SPAN_PAYMENT_AUTHORIZE);
  const paymentMs = (paymentSpans.length ? paymentSpans : run.spans.filter((s) => s.service === 'payment' && s.kind === 'server')).map(spanDurationMs);

  const checkoutMetric = summary.metrics['http_req_duration{name:checkout}'];
  const serverCheckout = attempts.map((a) => a.durationMs).sort((a, b) => a - b);
  const p95 = summaryValue(checkoutMetric, 'p(95)') ?? nullable(percentileOfSorted(serverCheckout, 95));
  const p99 = summaryValue(checkoutMetric, 'p(99)') ?? nullable(percentileOfSorted(serverCheckout, 99));
  const n = attempts.length;
  const counts = { checkouts: n, paid: attempts.filter((a) => a.outcome === 'paid').length, timeouts: attempts.filter((a) => a.timedOut).length };
  const metrics: Record<ComparedMetric, Num> = {
    payment_mean_ms: nullable(mean(paymentMs)),
    checkout_mean_ms: nullable(mean(serverCheckout)),
    checkout_p95_ms: p95,
    checkout_p99_ms: p99,
    success_rate: n ? counts.paid / n : null,
    timeout_rate: n ? counts.timeouts / n : null,
  };

  const iterations = summaryValue(summary.metrics['iterations'], 'count');
  const dropped = summaryValue(summary.metrics['dropped_iterations'], 'count') ?? (iterations !== null ? 0 : null);
  const verdict = judgeRun(
    {
      summary,
      targetRate: meta.target.rate,
      durationS: meta.target.durationS,
      ...(run.telemetry ? { telemetry: run.telemetry } : {}),
      ...(meta.serviceExits ? { serviceExits: meta.serviceExits } : {}),
    },
    bounds,
  );
  const { checks } = verdict;
  const figure = (name: ValidityCheck['name']) => checks.find((c) => c.name === name)?.value ?? null;
  const excluded = meta.warmup ? 'warm-up run' : verdict.valid ? undefined : `failed load validity: ${verdict.reasons.join('; ')}`;

  const report: RunReport = {
    run_id: meta.runId,
    dir: run.dir,
    variant: meta.variant,
    repetition: meta.repetition,
    warmup: meta.warmup,
    valid: excluded === undefined,
    ...(excluded !== undefined ? { excluded_reason: excluded } : {}),
    started_at: meta.startedAt ?? null,
    target_rate: meta.target.rate,
    achieved_rate: round(figure('achieved_rate')),
    iterations,
    dropped_iterations: dropped,
    schedule_lag_p99_ms: round(figure('schedule_lag_p99')),
    event_loop_delay_p99_ms: round(figure('event_loop_delay_p99')),
    spans: run.spans.length,
    spans_lost: figure('spans_lost'),
    checks,
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, round(v, 6)])) as Record<ComparedMetric, Num>,
    counts,
    host: run.host ?? null,
  };
  return { run, report, attempts, traces, paymentMs };
}

/** A load-summary metric's figure (`key`: `count`, `p(95)`, …), null when it is absent or not finite. */
export function summaryValue(metric: { values: Record<string, number | null> } | undefined, key: string): Num {
  const v = metric?.values[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
