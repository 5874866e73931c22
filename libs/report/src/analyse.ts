import type { AttributeValue, FlatSpan, SpanStatus } from '@checkout-lab/telemetry';
import { spanDurationMs } from '@checkout-lab/telemetry';
import { aggregateCriticalPaths, criticalPath, spansOnPath, type CriticalPath } from './critical-path';
import { judgeRun, VALIDITY_BOUNDS, type DatabaseEvidence, type ExperimentInfo, type HostStats, type LoadSummary, type ValidityBounds, type ValidityCheck } from '@checkout-lab/run-record';
import type { RunData } from './run-data';
import { conversionAssumptions, conversionModel, estimateConversion, SEED_CONVERSION_SETTINGS, type Band, type ConversionModel, type ConversionModelSettings } from './conversion';
import { ALPHA, compareRates, compareRatio, describe, mean, MIN_REPETITIONS, percentileOfSorted, POWER, type Direction, type Verdict } from './stats';

// ---------------------------------------------------------------------------------------------
// Options and their documented defaults

/** When a run's load counts as valid: the one rule of libs/run-record (validity.ts), with its bounds. */
export type { ValidityBounds } from '@checkout-lab/run-record';
export const DEFAULT_VALIDITY: ValidityBounds = VALIDITY_BOUNDS;

export interface AnalyseOptions {
  /** Variant to compare the others against; default: the experiment's baseline, else the first variant. */
  baseline?: string;
  validity?: Partial<ValidityBounds>;
  /** The conversion model's calibration (default: the experiment's `conversion`, else the seed incident's). */
  conversion?: ConversionModelSettings;
  /** Base URL of a Jaeger UI: exemplar traces link to `<url>/trace/<traceId>`. */
  jaegerUrl?: string;
  /**
   * The lab's trace viewer: exemplar traces link to `<url>/trace/<traceId>`, which answers while
   * `command` (the one that serves these runs) is running.
   */
  traceViewer?: TraceViewerLink;
  experiment?: ExperimentInfo;
  /** Clock for `generated_at` (tests pin it). */
  now?: () => Date;
}

export interface TraceViewerLink {
  url: string;
  command: string;
}

// ---------------------------------------------------------------------------------------------
// The report model: exactly what report.json holds (libs/report/report.schema.json)

export type Num = number | null;

export interface LatencyStats {
  count: Num;
  mean_ms: Num;
  p50_ms: Num;
  p90_ms: Num;
  p95_ms: Num;
  p99_ms: Num;
  max_ms: Num;
}

export type { ValidityCheck } from '@checkout-lab/run-record';

export interface RunReport {
  run_id: string;
  dir: string;
  variant: string;
  repetition: number;
  warmup: boolean;
  valid: boolean;
  /** Why the run is not used for verdicts (warm-up or failed checks); absent when it is. */
  excluded_reason?: string;
  started_at: string | null;
  target_rate: number;
  achieved_rate: Num;
  iterations: Num;
  dropped_iterations: Num;
  schedule_lag_p99_ms: Num;
  event_loop_delay_p99_ms: Num;
  spans: number;
  spans_lost: Num;
  checks: ValidityCheck[];
  metrics: Record<ComparedMetric, Num>;
  /** The counts behind the run's rates: checkout attempts, paid, timed out. */
  counts: { checkouts: number; paid: number; timeouts: number };
  host: HostStats | null;
}

export interface OperationStats extends LatencyStats {
  service: string;
  operation: string;
  error_rate: Num;
  timeout_rate: Num;
}

export interface ExemplarSpan {
  span_id: string;
  parent_span_id: string | null;
  service: string;
  name: string;
  start_ms: number;
  duration_ms: number;
  status: SpanStatus;
  depth: number;
  on_critical_path: boolean;
}

export interface Exemplar {
  which: 'median' | 'p99';
  trace_id: string;
  run_id: string;
  duration_ms: number;
  outcome: string;
  jaeger_url: string | null;
  /** The trace in the lab's trace viewer (see Report.trace_viewer). */
  viewer_url: string | null;
  spans: ExemplarSpan[];
  /** Spans left out of the waterfall to keep it readable. */
  spans_omitted: number;
}

export interface DatabaseReport {
  store: 'sql' | 'dynamodb';
  profile: string | null;
  plan: string | null;
  /** What the plan does to find one user's address. */
  access: 'sequential_scan' | 'index_scan' | 'key_lookup' | 'unknown';
  statements: { query: string; calls: number; mean_ms: number; total_ms: number; rows: number }[];
  consumed_capacity: { read_units: number; write_units: number; read_units_per_lookup: Num } | null;
}

export interface CriticalPathReport {
  traces: number;
  mean_total_ms: Num;
  orphans: number;
  operations: { service: string; operation: string; mean_ms: number; share: number }[];
}

export interface VariantReport {
  name: string;
  description: string;
  baseline: boolean;
  settings: Record<string, unknown>;
  runs: RunReport[];
  valid_runs: number;
  /** Client-side latency per step of the flow, from the load summaries: the mean over valid runs of each run's figure. */
  steps: Record<string, LatencyStats>;
  checkouts: number;
  outcomes: Record<string, number>;
  success_rate: Num;
  timeout_rate: Num;
  error_rate: Num;
  dropped_iterations: number;
  payment: LatencyStats;
  /** Server-side checkout latency (cart's span for the checkout request), pooled over valid runs. */
  checkout: LatencyStats;
  checkout_curve: { percentile: number; ms: number }[];
  operations: OperationStats[];
  critical_path: CriticalPathReport;
  exemplars: Exemplar[];
  /** Estimated conversion (a model, see conversion.ts): low / central / high; null without checkouts. */
  conversion: Band | null;
  database: DatabaseReport | null;
}

export const COMPARED_METRICS = ['payment_mean_ms', 'checkout_mean_ms', 'checkout_p95_ms', 'checkout_p99_ms', 'success_rate', 'timeout_rate'] as const;
export type ComparedMetric = (typeof COMPARED_METRICS)[number];

/**
 * How each metric is compared: durations as a ratio of means of per-run values (interval on the
 * log scale), rates as counts pooled over runs (interval on the difference, in points).
 */
export const METRIC_INFO: Record<ComparedMetric, { label: string; unit: 'ms' | 'ratio'; direction: Direction; counts?: 'paid' | 'timeouts' }> = {
  payment_mean_ms: { label: 'payment processing time (mean)', unit: 'ms', direction: 'lower_is_better' },
  checkout_mean_ms: { label: 'checkout latency (mean, server side)', unit: 'ms', direction: 'lower_is_better' },
  checkout_p95_ms: { label: 'checkout latency p95', unit: 'ms', direction: 'lower_is_better' },
  checkout_p99_ms: { label: 'checkout latency p99', unit: 'ms', direction: 'lower_is_better' },
  success_rate: { label: 'checkout success rate', unit: 'ratio', direction: 'higher_is_better', counts: 'paid' },
  timeout_rate: { label: 'checkout timeout rate', unit: 'ratio', direction: 'lower_is_better', counts: 'timeouts' },
};

export interface Comparison {
  metric: ComparedMetric;
  label: string;
  unit: 'ms' | 'ratio';
  direction: Direction;
  baseline: string;
  candidate: string;
  baseline_value: Num;
  candidate_value: Num;
  /** Candidate minus baseline: ms for durations, a fraction (0.01 = 1 point) for rates. */
  delta: Num;
  /** Durations: the ratio's change in percent. Rates: null (a change from 0 has no percentage). */
  delta_pct: Num;
  /** 95 % interval of delta (durations: the ratio's interval times the baseline's mean). */
  ci95: [number, number] | null;
  /** Durations: the ratio's 95 % interval in percent, always inside (−100 %, +∞). Rates: null. */
  ci95_pct: [number, number] | null;
  /**
   * The smallest change this design detects with 80 % power at the 5 % level, from the observed
   * run-to-run spread: in percent for durations, as a fraction (points / 100) for rates.
   */
  min_detectable: Num;
  /** The observed change is smaller than min_detectable: the verdict is worded as such. */
  below_detectable: boolean;
  verdict: Verdict | 'no_data';
  /** Valid runs per side. */
  n_baseline: number;
  n_candidate: number;
  /** Rates: checkouts pooled per side; durations: null. */
  trials_baseline: number | null;
  trials_candidate: number | null;
  /** Rates: run-to-run variance over the binomial's (quasi-binomial φ); durations: null. */
  dispersion: Num;
}

export interface Attribution {
  baseline: string;
  candidate: string;
  /** Per service + operation: mean critical-path ms per checkout, before and after. Largest change first. */
  operations: { service: string; operation: string; baseline_ms: number; candidate_ms: number; delta_ms: number }[];
}

/**
 * A calibration check: a variant injected a known delay at a known span; did the report find it?
 * End-to-end: the change in mean checkout latency is within ±10 % of the injection and its 95 %
 * interval contains it. Attribution: at least 90 % of the change in the critical path lies in
 * the span where it was injected.
 */
export interface CalibrationCheck {
  variant: string;
  baseline: string;
  service: string;
  operation: string;
  injected_ms: number;
  end_to_end_delta_ms: Num;
  end_to_end_ci95: [number, number] | null;
  critical_path_delta_ms: Num;
  in_span_delta_ms: Num;
  /** in_span_delta_ms / critical_path_delta_ms */
  attributed_share: Num;
  passed: boolean;
  /** Why it did not pass; empty when it did. */
  problems: string[];
}

export const CALIBRATION_TOLERANCE = { endToEndFraction: 0.1, minAttributedShare: 0.9 } as const;

/** Exit code of `experiment` / `report` when a calibration check was not recovered. */
export const CALIBRATION_FAILED_EXIT_CODE = 4;

export interface Report {
  schema_version: 1;
  generated_at: string;
  title: string;
  experiment: { name: string | null; title: string | null; description: string | null; baseline: string };
  summary: string[];
  variants: VariantReport[];
  comparisons: Comparison[];
  attribution: Attribution[];
  /** Present for experiments whose variants declare an injected delay (calibration). */
  calibration: CalibrationCheck[];
  validity: { bounds: ValidityBounds; runs: number; valid_runs: number; invalid: { run_id: string; reason: string }[] };
  conversion_model: {
    calibration: ConversionModel['calibration'];
    loss_per_second: Band;
    sources: string[];
    assumptions: string[];
    /** Per candidate: estimated conversion change in points (a fraction) under each end of the band. */
    changes: { baseline: string; candidate: string; low: number; central: number; high: number }[];
  };
  statistics: { percentile_method: string; interval_method: string; rate_method: string; min_repetitions: number; alpha: number; power: number };
  /** Present when the experiment ran the baseline against a copy of itself (`--aa`). */
  aa: { comparisons: number; false_verdicts: number; false_verdict_metrics: string[] } | null;
  provenance: {
    git: unknown;
    machine: unknown;
    node: unknown;
    started_at: string | null;
    rationale: Record<string, string>;
    sources: string[];
    /** CPU isolation per run: where the legacy billing server and the rest of the stack ran. */
    isolation: {
      run_id: string;
      applied: boolean;
      legacy_cpus: string | null;
      stack_cpus: string | null;
      reason: string | null;
      /** The legacy PostgreSQL's CPU quota as a fraction of one CPU; null when none was asked for or it could not be applied. */
      legacy_cpu_quota: number | null;
      legacy_cpu_quota_reason: string | null;
    }[];
    /** One sentence on where the legacy server ran, for the pages. */
    isolation_summary: string;
    /** The order the runs ran in (shuffled within each round) and the seed that shuffled it. */
    run_order: { seed: number; runs: string[] } | null;
  };
  jaeger_url: string | null;
  /** Where the exemplar links point in the lab's trace viewer, and the command that serves them. */
  trace_viewer: TraceViewerLink | null;
}

// ---------------------------------------------------------------------------------------------

/**
 * The span attributes the analysis reads (below: the checkout span's outcome, NestJS's handler
 * marker, HTTP and gRPC status codes). The file reader keeps only these: add any new one here.
 * gRPC's status comes under three names, depending on the instrumentation's conventions:
 * `rpc.status_code` (current: the name, `DEADLINE_EXCEEDED`), `rpc.response.status_code` (an
 * interim name, the same values) and `rpc.grpc.status_code` (deprecated: the number, 4).
 */
export const ANALYSED_ATTRIBUTES = [
  'nestjs.type',
  'checkout.outcome',
  'http.response.status_code',
  'http.status_code',
  'rpc.status_code',
  'rpc.response.status_code',
  'rpc.grpc.status_code',
] as const;

const STEP_METRIC = /^http_req_duration\{name:([^}]+)\}$/;
const CURVE_PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9];
const MAX_WATERFALL_SPANS = 60;

/** Turns loaded runs into the report model. Pure: same runs and options, same report. */
export function analyse(runs: readonly RunData[], options: AnalyseOptions = {}): Report {
  if (runs.length === 0) throw new Error('no runs to analyse');
  const bounds: ValidityBounds = { ...DEFAULT_VALIDITY, ...options.validity };
  const experiment = options.experiment ?? {};
  const model = conversionModel(options.conversion ?? (experiment.conversion as ConversionModelSettings | undefined) ?? SEED_CONVERSION_SETTINGS);
  const jaegerUrl = options.jaegerUrl?.replace(/\/+$/, '') ?? null;
  const traceViewer = options.traceViewer ? { url: options.traceViewer.url.replace(/\/+$/, ''), command: options.traceViewer.command } : null;
  const traceLinks: TraceLinks = { jaeger: jaegerUrl, viewer: traceViewer?.url ?? null };

  const order = variantOrder(runs, experiment);
  const baseline = options.baseline ?? experiment.baseline ?? order[0];
  if (baseline === undefined || !order.includes(baseline)) {
    throw new Error(`baseline "${String(baseline)}" names no variant in the runs (variants: ${order.join(', ')})`);
  }
  const ordered = [baseline, ...order.filter((v) => v !== baseline)];

  const runFacts = runs.map((run) => analyseRun(run, bounds));
  const variants = ordered.map((name) =>
    analyseVariant(
      name,
      runFacts.filter((f) => f.run.meta.variant === name),
      name === baseline,
      experiment,
      model,
      traceLinks,
    ),
  );

  const comparisons: Comparison[] = [];
  const attribution: Attribution[] = [];
  const base = variants[0] as VariantReport;
  for (const candidate of variants.slice(1)) {
    for (const metric of COMPARED_METRICS) comparisons.push(compare(metric, base, candidate));
    attribution.push(attribute(base, candidate));
  }

  const allRuns = variants.flatMap((v) => v.runs);
  const report: Report = {
    schema_version: 1,
    generated_at: (options.now ?? (() => new Date()))().toISOString(),
    title: experiment.title ?? (experiment.name ? `Experiment ${experiment.name}` : `Checkout experiment: ${ordered.join(' vs ')}`),
    experiment: {
      name: experiment.name ?? null,
      title: experiment.title ?? null,
      description: experiment.description ?? null,
      baseline,
    },
    summary: [],
    variants,
    comparisons,
    attribution,
    calibration: calibrationChecks(variants, comparisons, attribution, experiment),
    validity: {
      bounds,
      runs: allRuns.length,
      valid_runs: allRuns.filter((r) => r.valid).length,
      invalid: allRuns.filter((r) => !r.valid).map((r) => ({ run_id: r.run_id, reason: r.excluded_reason ?? '' })),
    },
    conversion_model: {
      calibration: model.calibration,
      loss_per_second: { low: round(model.lossPerSecond.low, 5) as number, central: round(model.lossPerSecond.central, 5) as number, high: round(model.lossPerSecond.high, 5) as number },
      sources: model.sources,
      assumptions: conversionAssumptions(model),
      changes: variants.slice(1).flatMap((v) => {
        if (!base.conversion || !v.conversion) return [];
        const d = (k: keyof Band) => round((v.conversion as Band)[k] - (base.conversion as Band)[k], 6) as number;
        return [{ baseline: base.name, candidate: v.name, low: d('low'), central: d('central'), high: d('high') }];
      }),
    },
    statistics: {
      percentile_method: 'linear interpolation between closest ranks (as k6 computes Trend percentiles)',
      interval_method:
        'durations: ratio of the means of per-run values (runs as the unit), 95 % interval exp(log ratio ± t·SE) with SE² the sum of each side\'s squared coefficient of variation over n (delta method) and Student\'s t on n_b + n_c − 2 degrees of freedom (Welch–Satterthwaite when the sides have different numbers of valid runs)',
      rate_method:
        'rates: counts pooled over runs, deflated by the quasi-binomial dispersion of the runs (Pearson χ² over its degrees of freedom, as R\'s quasibinomial, at least 0.25); 95 % interval of the difference by Newcombe\'s hybrid score method from Wilson intervals, critical value Student\'s t on the dispersion\'s degrees of freedom',
      min_repetitions: MIN_REPETITIONS,
      alpha: ALPHA,
      power: POWER,
    },
    aa: experiment.aa ? aaSummary(comparisons) : null,
    provenance: {
      git: experiment.git ?? null,
      machine: experiment.machine ?? null,
      node: experiment.node ?? null,
      started_at: typeof experiment.startedAt === 'string' ? experiment.startedAt : null,
      rationale: experiment.rationale ?? {},
      sources: [...new Set(runs.map((r) => r.dir))],
      isolation: runs
        .filter((r) => r.meta.isolation)
        .map((r) => {
          const i = r.meta.isolation as NonNullable<RunData['meta']['isolation']>;
          const quota = i.legacyCpuQuota;
          return {
            run_id: r.meta.runId,
            applied: i.applied,
            legacy_cpus: i.legacyCpus,
            stack_cpus: i.stackCpus,
            reason: i.reason ?? null,
            legacy_cpu_quota: quota?.applied ? quota.cpus : null,
            legacy_cpu_quota_reason: quota && !quota.applied ? (quota.reason ?? null) : null,
          };
        }),
      isolation_summary: '',
      run_order: experiment.runOrder ?? null,
    },
    jaeger_url: jaegerUrl,
    trace_viewer: traceViewer,
  };
  report.provenance.isolation_summary = isolationSummary(report.provenance.isolation, runs.length);
  report.summary = plainSummary(report);
  return report;
}

/** "The legacy billing server ran on CPU 1 with 0.3 of a CPU (cgroup quota), the rest on CPU 0, in 9 of 9 runs." */
export function isolationSummary(isolation: Report['provenance']['isolation'], runCount: number): string {
  if (isolation.length === 0) return `No CPU isolation was recorded for the ${runCount} run(s): the legacy billing server may have shared the CPUs with everything else.`;
  const groups = new Map<string, number>();
  for (const i of isolation) {
    const where = i.applied ? `on CPU ${i.legacy_cpus ?? '?'}` : `on every CPU, not isolated (${i.reason ?? 'no reason recorded'})`;
    const quota =
      i.legacy_cpu_quota !== null
        ? ` with ${i.legacy_cpu_quota} of a CPU (cgroup quota)`
        : i.legacy_cpu_quota_reason
          ? ` without its CPU quota (${i.legacy_cpu_quota_reason})`
          : '';
    const rest = i.applied ? `, the rest of the stack and the load generator on CPU ${i.stack_cpus ?? '?'}` : '';
    const key = `${where}${quota}${rest}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].map(([text, n]) => `The legacy billing server ran ${text}, in ${n} of ${runCount} runs.`).join(' ');
}

// ---------------------------------------------------------------------------------------------
// One run

interface CheckoutAttempt {
  traceId: string;
  runId: string;
  outcome: string;
  /** Cart's span for the checkout request (or the business span when there is no server span). */
  requestSpan: FlatSpan;
  durationMs: number;
  timedOut: boolean;
}

interface RunFacts {
  run: RunData;
  report: RunReport;
  attempts: CheckoutAttempt[];
  traces: Map<string, FlatSpan[]>;
  paymentMs: number[];
}

function analyseRun(run: RunData, bounds: ValidityBounds): RunFacts {
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
  const paymentSpans = run.spans.filter((s) => s.name === 'payment.authorize');
  const paymentMs = (paymentSpans.length ? paymentSpans : run.spans.filter((s) => s.service === 'payment' && s.kind === 'server')).map(spanDurationMs);

  const checkoutMetric = summary.metrics['http_req_duration{name:checkout}'];
  const serverCheckout = attempts.map((a) => a.durationMs).sort((a, b) => a - b);
  const p95 = value(checkoutMetric, 'p(95)') ?? nullable(percentileOfSorted(serverCheckout, 95));
  const p99 = value(checkoutMetric, 'p(99)') ?? nullable(percentileOfSorted(serverCheckout, 99));
  const n = attempts.length;
  const metrics: Record<ComparedMetric, Num> = {
    payment_mean_ms: nullable(mean(paymentMs)),
    checkout_mean_ms: nullable(mean(serverCheckout)),
    checkout_p95_ms: p95,
    checkout_p99_ms: p99,
    success_rate: n ? attempts.filter((a) => a.outcome === 'paid').length / n : null,
    timeout_rate: n ? attempts.filter((a) => a.timedOut).length / n : null,
  };
  const counts = { checkouts: n, paid: attempts.filter((a) => a.outcome === 'paid').length, timeouts: attempts.filter((a) => a.timedOut).length };

  const iterations = value(summary.metrics['iterations'], 'count');
  const dropped = value(summary.metrics['dropped_iterations'], 'count') ?? (iterations !== null ? 0 : null);
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

// ---------------------------------------------------------------------------------------------
// One variant

function analyseVariant(
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

  // Exemplars: the median and the p99 checkout request, by duration (nearest rank).
  const sorted = [...attempts].sort((a, b) => a.durationMs - b.durationMs);
  const exemplars: Exemplar[] = [];
  if (sorted.length) {
    const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as CheckoutAttempt;
    for (const [which, q] of [['median', 0.5], ['p99', 0.99]] as const) {
      const a = pick(q);
      const f = valid.find((x) => x.run.meta.runId === a.runId) as RunFacts;
      exemplars.push(exemplar(which, a, f.traces.get(a.traceId) ?? [], pathOf.get(a), traceLinks));
    }
  }

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
    error_rate: n ? round(attempts.filter((a) => a.outcome !== 'paid' && a.outcome !== 'declined').length / n, 6) : null,
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
  const avg = (key: string) => round(nullable(mean(summaries.map((s) => value(metric(s), key)).filter((v): v is number => v !== null))));
  const counts = summaries.map((s) => value(s.metrics[`http_reqs{name:${step}}`], 'count')).filter((v): v is number => v !== null);
  return {
    count: counts.length ? counts.reduce((a, b) => a + b, 0) : null,
    mean_ms: avg('avg'),
    p50_ms: avg('med'),
    p90_ms: avg('p(90)'),
    p95_ms: avg('p(95)'),
    p99_ms: avg('p(99)'),
    max_ms: round(nullable(Math.max(...summaries.map((s) => value(metric(s), 'max') ?? Number.NEGATIVE_INFINITY)))),
  };
}

/** Base URLs of the UIs that show a trace at `<base>/trace/<traceId>` (Jaeger's, the lab's viewer), null when there is none. */
interface TraceLinks {
  jaeger: string | null;
  viewer: string | null;
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

function databaseReport(facts: RunFacts[], lookupsHint: number): DatabaseReport | null {
  const withDb = facts.filter((f) => f.run.database);
  const first = withDb[0]?.run.database as DatabaseEvidence | undefined;
  if (!first) return null;
  switch (first.store) {
    case 'sql': {
      const statements = new Map<string, { query: string; calls: number; total_ms: number; rows: number }>();
      for (const f of withDb) {
        const db = f.run.database;
        if (db?.store !== 'sql') continue;
        for (const s of db.statements) {
          const agg = statements.get(s.query) ?? { query: s.query, calls: 0, total_ms: 0, rows: 0 };
          agg.calls += s.calls;
          agg.total_ms += s.total_ms;
          agg.rows += s.rows;
          statements.set(s.query, agg);
        }
      }
      return {
        store: 'sql',
        profile: first.profile,
        plan: first.plan,
        access: planAccess(first.plan),
        statements: [...statements.values()]
          .map((s) => ({ ...s, total_ms: round(s.total_ms) as number, mean_ms: s.calls ? (round(s.total_ms / s.calls) as number) : 0 }))
          .sort((a, b) => b.total_ms - a.total_ms),
        consumed_capacity: null,
      };
    }
    case 'dynamodb': {
      let read = 0;
      let write = 0;
      let lookups = 0;
      for (const f of withDb) {
        const db = f.run.database;
        if (db?.store !== 'dynamodb') continue;
        read += db.consumedCapacity.readUnits;
        write += db.consumedCapacity.writeUnits;
        lookups += f.run.spans.filter((s) => s.name === 'billing.lookup').length;
      }
      if (lookups === 0) lookups = lookupsHint;
      return {
        store: 'dynamodb',
        profile: null,
        plan: first.plan ?? 'GetItem on the table key (user id): one key lookup per billing address request',
        access: 'key_lookup',
        statements: [],
        consumed_capacity: { read_units: round(read) as number, write_units: round(write) as number, read_units_per_lookup: lookups ? round(read / lookups, 4) : null },
      };
    }
  }
}

/** Reads a PostgreSQL plan: does it scan the table or use an index to find the user's rows? */
export function planAccess(plan: string): DatabaseReport['access'] {
  if (/\b(Index Scan|Index Only Scan|Bitmap Index Scan)\b/.test(plan)) return 'index_scan';
  if (/\bSeq Scan\b/.test(plan)) return 'sequential_scan';
  if (/GetItem|Query|key lookup/i.test(plan)) return 'key_lookup';
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Comparisons

function compare(metric: ComparedMetric, base: VariantReport, cand: VariantReport): Comparison {
  const info = METRIC_INFO[metric];
  const validRuns = (v: VariantReport) => v.runs.filter((r) => r.valid);
  const common = { metric, label: info.label, unit: info.unit, direction: info.direction, baseline: base.name, candidate: cand.name };
  const none = { baseline_value: null, candidate_value: null, delta: null, delta_pct: null, ci95: null, ci95_pct: null, min_detectable: null, below_detectable: false };

  if (info.counts) {
    const key = info.counts;
    const counts = (v: VariantReport) => validRuns(v).filter((r) => r.counts.checkouts > 0).map((r) => ({ events: r.counts[key], trials: r.counts.checkouts }));
    const b = counts(base);
    const c = counts(cand);
    const sides = { n_baseline: b.length, n_candidate: c.length };
    if (b.length === 0 || c.length === 0) return { ...common, ...none, ...sides, verdict: 'no_data', trials_baseline: null, trials_candidate: null, dispersion: null };
    const est = compareRates(b, c, info.direction);
    const mde = est.minDetectableDifference ?? null;
    return {
      ...common,
      ...sides,
      baseline_value: round(est.baselineRate, 6),
      candidate_value: round(est.candidateRate, 6),
      delta: round(est.difference, 6),
      delta_pct: null,
      ci95: est.ci95 ? [round(est.ci95[0], 6) as number, round(est.ci95[1], 6) as number] : null,
      ci95_pct: null,
      min_detectable: round(mde, 6),
      below_detectable: mde !== null && Math.abs(est.difference) < mde,
      verdict: est.verdict,
      trials_baseline: est.baselineTrials,
      trials_candidate: est.candidateTrials,
      dispersion: round(est.dispersion ?? null, 3),
    };
  }

  const values = (v: VariantReport) => validRuns(v).map((r) => r.metrics[metric]).filter((x): x is number => x !== null && x > 0);
  const b = values(base);
  const c = values(cand);
  const sides = { n_baseline: b.length, n_candidate: c.length, trials_baseline: null, trials_candidate: null, dispersion: null };
  if (b.length === 0 || c.length === 0) return { ...common, ...none, ...sides, verdict: 'no_data' };
  const est = compareRatio(b, c, info.direction);
  const mde = est.minDetectablePct ?? null;
  const toMs = (r: number) => round((r - 1) * est.baselineMean, 6) as number;
  return {
    ...common,
    ...sides,
    baseline_value: round(est.baselineMean, 6),
    candidate_value: round(est.candidateMean, 6),
    delta: round(est.candidateMean - est.baselineMean, 6),
    delta_pct: round(est.changePct, 3),
    ci95: est.ci95Ratio ? [toMs(est.ci95Ratio[0]), toMs(est.ci95Ratio[1])] : null,
    ci95_pct: est.ci95Pct ? [round(est.ci95Pct[0], 3) as number, round(est.ci95Pct[1], 3) as number] : null,
    min_detectable: round(mde, 3),
    // The detectable change is stated upward; a fall of the same size on the log scale is 1 − 1/(1 + x).
    below_detectable: mde !== null && Math.abs(Math.log(est.ratio)) < Math.log(1 + mde / 100),
    verdict: est.verdict,
  };
}

/** A/A: every verdict other than "no significant change" between a variant and its copy is false. */
function aaSummary(comparisons: Comparison[]): NonNullable<Report['aa']> {
  const judged = comparisons.filter((c) => c.verdict !== 'too_few_repetitions' && c.verdict !== 'no_data');
  const falseVerdicts = judged.filter((c) => c.verdict !== 'no_significant_change');
  return { comparisons: judged.length, false_verdicts: falseVerdicts.length, false_verdict_metrics: falseVerdicts.map((c) => c.label) };
}

/** A checkout lost to the system (failed or timed out); a declined card is the shopper's outcome. */
function isLost(outcome: string): boolean {
  return outcome !== 'paid' && outcome !== 'declined';
}

function roundBand(band: Band | null): Band | null {
  return band ? { low: round(band.low, 6) as number, central: round(band.central, 6) as number, high: round(band.high, 6) as number } : null;
}

function attribute(base: VariantReport, cand: VariantReport): Attribution {
  const key = (o: { service: string; operation: string }) => `${o.service}\u0000${o.operation}`;
  const rows = new Map<string, { service: string; operation: string; baseline_ms: number; candidate_ms: number }>();
  for (const o of base.critical_path.operations) rows.set(key(o), { service: o.service, operation: o.operation, baseline_ms: o.mean_ms, candidate_ms: 0 });
  for (const o of cand.critical_path.operations) {
    const row = rows.get(key(o)) ?? { service: o.service, operation: o.operation, baseline_ms: 0, candidate_ms: 0 };
    row.candidate_ms = o.mean_ms;
    rows.set(key(o), row);
  }
  return {
    baseline: base.name,
    candidate: cand.name,
    operations: [...rows.values()]
      .map((r) => ({ ...r, delta_ms: round(r.candidate_ms - r.baseline_ms) as number }))
      .sort((a, b) => Math.abs(b.delta_ms) - Math.abs(a.delta_ms)),
  };
}

function calibrationChecks(variants: VariantReport[], comparisons: Comparison[], attribution: Attribution[], experiment: ExperimentInfo): CalibrationCheck[] {
  const out: CalibrationCheck[] = [];
  const base = variants[0];
  if (!base) return out;
  for (const v of experiment.variants ?? []) {
    if (!v.expect || v.name === base.name || !variants.some((x) => x.name === v.name)) continue;
    const { injectedMs, service, operation } = v.expect;
    const e2e = comparisons.find((c) => c.candidate === v.name && c.metric === 'checkout_mean_ms');
    const cand = variants.find((x) => x.name === v.name) as VariantReport;
    const rows = attribution.find((a) => a.candidate === v.name)?.operations ?? [];
    const inSpan = rows.find((o) => o.service === service && o.operation === operation)?.delta_ms ?? null;
    const pathDelta =
      cand.critical_path.mean_total_ms !== null && base.critical_path.mean_total_ms !== null ? cand.critical_path.mean_total_ms - base.critical_path.mean_total_ms : null;
    const share = inSpan !== null && pathDelta !== null && pathDelta !== 0 ? inSpan / pathDelta : null;
    const problems: string[] = [];
    const delta = e2e?.delta ?? null;
    const ci = e2e?.ci95 ?? null;
    if (delta === null) problems.push('no end-to-end figure (too few valid runs?)');
    else if (Math.abs(delta - injectedMs) > CALIBRATION_TOLERANCE.endToEndFraction * injectedMs) {
      problems.push(`end-to-end change ${delta.toFixed(1)} ms is not within ±${CALIBRATION_TOLERANCE.endToEndFraction * 100} % of the injected ${injectedMs} ms`);
    }
    if (delta !== null && (ci === null || ci[0] > injectedMs || ci[1] < injectedMs)) {
      problems.push(ci === null ? 'no confidence interval for the end-to-end change' : `the 95 % interval ${ci[0].toFixed(1)} to ${ci[1].toFixed(1)} ms does not contain the injected ${injectedMs} ms`);
    }
    if (share === null || share < CALIBRATION_TOLERANCE.minAttributedShare) {
      problems.push(
        `${share === null ? 'no' : `only ${(share * 100).toFixed(1)} % of the`} critical-path change attributed to ${service}: ${operation} (at least ${CALIBRATION_TOLERANCE.minAttributedShare * 100} % expected)`,
      );
    }
    out.push({
      variant: v.name,
      baseline: base.name,
      service,
      operation,
      injected_ms: injectedMs,
      end_to_end_delta_ms: round(delta),
      end_to_end_ci95: ci ? [round(ci[0]) as number, round(ci[1]) as number] : null,
      critical_path_delta_ms: round(pathDelta),
      in_span_delta_ms: round(inSpan),
      attributed_share: round(share, 4),
      passed: problems.length === 0,
      problems,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The plain-language summary (the first thing a reader sees, in report.md and report.html)

function plainSummary(report: Report): string[] {
  const lines: string[] = [];
  const base = report.variants[0] as VariantReport;
  if (report.aa) {
    const cand = report.variants[1];
    lines.push(
      `A/A check: ${base.name} against ${cand ? cand.name : 'a copy of itself'}, the same configuration run as two variants. ` +
        `${report.aa.false_verdicts} false verdict(s) in ${report.aa.comparisons} comparisons${report.aa.false_verdict_metrics.length ? ` (${report.aa.false_verdict_metrics.join(', ')})` : ''}; at the 5 % level about 1 in 20 is expected by chance.`,
    );
  }
  for (const cand of report.variants.slice(1)) {
    const get = (m: ComparedMetric) => report.comparisons.find((c) => c.metric === m && c.candidate === cand.name);
    const parts: string[] = [];
    const pay = get('payment_mean_ms');
    if (pay && pay.baseline_value !== null && pay.candidate_value !== null) {
      parts.push(`payment processing ${movement(pay)} from ${formatMs(pay.baseline_value)} to ${formatMs(pay.candidate_value)} (${signedPct(pay.delta_pct)}${ciText(pay)})`);
    }
    const to = get('timeout_rate');
    if (to && to.baseline_value !== null && to.candidate_value !== null) {
      parts.push(
        to.baseline_value === to.candidate_value
          ? `timeouts stayed at ${formatPct(to.baseline_value)} of checkouts (${to.trials_baseline} and ${to.trials_candidate} checkouts)`
          : `timeouts ${to.candidate_value < to.baseline_value ? 'fell' : 'rose'} from ${distinctPcts(to.baseline_value, to.candidate_value).join(' to ')} of checkouts (${signedPoints(to.delta)}${ciText(to)})`,
      );
    }
    const p95 = get('checkout_p95_ms');
    if (p95 && p95.baseline_value !== null && p95.candidate_value !== null) {
      parts.push(`the slowest 5 % of checkouts took over ${formatMs(p95.candidate_value)} instead of ${formatMs(p95.baseline_value)}`);
    }
    const conv = report.conversion_model.changes.find((c) => c.candidate === cand.name);
    if (conv) {
      parts.push(`estimated conversion (a model, see below) ${signedPoints(conv.central)} (band ${pointsRange(conv.low, conv.high)})`);
    }
    const verdicts = report.comparisons.filter((c) => c.candidate === cand.name);
    const missing = [base, cand].filter((v) => v.valid_runs < report.statistics.min_repetitions);
    const verdict = missing.length
      ? `Too few repetitions for a verdict: ${missing.map((v) => `${v.name} has ${v.valid_runs} valid run(s)`).join(' and ')}, at least ${report.statistics.min_repetitions} needed${parts.length ? '; treat the figures as indicative' : ''}.`
      : `${overallVerdict(verdicts)} ${detectableText(verdicts)}`;
    lines.push(`${cand.name} vs ${base.name}: ${parts.length ? `${parts.join('; ')}.` : 'no comparable data.'} ${verdict}`);
  }
  const excluded = report.validity.invalid.filter((r) => !r.reason.startsWith('warm-up'));
  if (excluded.length) {
    const byRun = excluded.map((r) => `${r.run_id.replace(/^.*?-\d{14}-/, '')}: ${r.reason.replace(/^failed load validity: /, '')}`);
    lines.push(`${excluded.length} of ${report.validity.runs} runs failed the load-validity checks and are left out of every verdict (${byRun.join(' | ')}).`);
  }
  for (const c of report.calibration) {
    lines.push(
      c.passed
        ? `Calibration: ${c.variant} injected ${c.injected_ms} ms into ${c.service}: ${c.operation}; the report measured ${formatMs(c.end_to_end_delta_ms)} end to end and put ${formatPct(c.attributed_share)} of the critical-path change in that span: recovered.`
        : `Calibration FAILED for ${c.variant} (${c.injected_ms} ms into ${c.service}: ${c.operation}): ${c.problems.join('; ')}.`,
    );
  }
  return lines;
}

function overallVerdict(comparisons: Comparison[]): string {
  const n = Math.min(...comparisons.map((c) => Math.min(c.n_baseline, c.n_candidate)));
  if (comparisons.some((c) => c.verdict === 'too_few_repetitions')) {
    return `Too few repetitions for a verdict (${Number.isFinite(n) ? n : 0} valid run(s) per variant; at least ${MIN_REPETITIONS} needed): treat the figures as indicative.`;
  }
  const named = (c: Comparison) => (c.below_detectable ? `${c.label}, by less than this experiment reliably detects` : c.label);
  const improved = comparisons.filter((c) => c.verdict === 'improved').map(named);
  const regressed = comparisons.filter((c) => c.verdict === 'regressed').map(named);
  const runs = `${n} valid run(s) a side`;
  if (regressed.length) return `Verdict (${runs}): regressed (${regressed.join('; ')})${improved.length ? `; improved: ${improved.join('; ')}` : ''}.`;
  if (improved.length) return `Verdict (${runs}): improved (${improved.join('; ')}); no metric regressed.`;
  return `Verdict (${runs}): no significant change.`;
}

/** "Changes in payment time smaller than 12 % … cannot be told from noise in this experiment." */
function detectableText(comparisons: Comparison[]): string {
  const parts = comparisons
    .filter((c) => (c.min_detectable !== null || c.below_detectable) && (c.metric === 'payment_mean_ms' || c.metric === 'timeout_rate' || c.verdict === 'no_significant_change'))
    .map((c) =>
      c.min_detectable === null
        ? `${c.label}: no change at all`
        : `${c.label} ${c.unit === 'ms' ? `${c.min_detectable.toFixed(1)} %` : `${(c.min_detectable * 100).toFixed(1)} points`}`,
    );
  return parts.length ? `Changes smaller than these cannot be told from noise in this experiment (80 % power): ${parts.join(', ')}.` : '';
}

function movement(c: Comparison): string {
  if (c.delta === null || c.delta === 0) return 'stayed';
  return c.delta < 0 ? 'fell' : 'rose';
}

function ciText(c: Comparison): string {
  const n = c.trials_baseline !== null ? `${c.trials_baseline} vs ${c.trials_candidate} checkouts in ${c.n_baseline} vs ${c.n_candidate} runs` : `${c.n_baseline} vs ${c.n_candidate} runs`;
  if (c.ci95_pct) return `, 95 % CI ${signedPct(c.ci95_pct[0])} to ${signedPct(c.ci95_pct[1])}, ${n}`;
  if (c.unit === 'ratio' && c.ci95) return `, 95 % CI ${signedPoints(c.ci95[0])} to ${signedPoints(c.ci95[1])}, ${n}`;
  if (c.verdict === 'too_few_repetitions') return `, too few repetitions for a confidence interval (${n})`;
  return '';
}

/** Two changes in points as a range, smaller first: "−6.8 points to −4.0 points". */
export function pointsRange(a: number, b: number): string {
  return `${signedPoints(Math.min(a, b))} to ${signedPoints(Math.max(a, b))}`;
}

/** A difference of two rates in percentage points: "−3.1 points". */
export function signedPoints(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return '–';
  const r = Math.round(fraction * 1000) / 10;
  return `${r > 0 ? '+' : r < 0 ? '−' : '±'}${Math.abs(r).toFixed(1)} points`;
}

// ---------------------------------------------------------------------------------------------
// Small helpers, exported for the renderers

export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function formatPct(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '–';
  return `${(ratio * 100).toFixed(1)} %`;
}

/** Two different rates in percent with enough decimals to tell them apart ("0.21 %" and "0.24 %", never "0.2 %" twice). */
export function distinctPcts(a: number, b: number): [string, string] {
  for (let digits = 1; digits < 4; digits++) {
    const [x, y] = [a, b].map((r) => `${(r * 100).toFixed(digits)} %`) as [string, string];
    if (x !== y) return [x, y];
  }
  return [formatPct(a), formatPct(b)];
}

export function signedPct(pct: number | null): string {
  if (pct === null || !Number.isFinite(pct)) return '–';
  const r = Math.round(pct * 10) / 10;
  return `${r > 0 ? '+' : r < 0 ? '−' : '±'}${Math.abs(r).toFixed(1)} %`;
}

function variantOrder(runs: readonly RunData[], experiment: ExperimentInfo): string[] {
  const seen = [...new Set(runs.map((r) => r.meta.variant))];
  const declared = (experiment.variants ?? []).map((v) => v.name).filter((n) => seen.includes(n));
  return [...declared, ...seen.filter((n) => !declared.includes(n))];
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

/** Cart's business span of a checkout (NestJS's instrumentation also names its handler span after the method, "checkout"; that one carries nestjs.type). */
export function isCheckoutSpan(span: FlatSpan): boolean {
  return span.name === 'checkout' && span.service === 'cart' && span.attributes['nestjs.type'] === undefined;
}

/** How one checkout ended, as the report counts it. */
export interface CheckoutResult {
  /** Cart's span for the checkout request (the business span itself when there is no server span above it). */
  requestSpan: FlatSpan;
  /** `checkout.outcome` (paid, declined, error, timeout, unavailable), `timeout` for an HTTP 504, else `error` / `unknown` from the status. */
  outcome: string;
  timedOut: boolean;
}

/** The result of the checkout whose business span is `checkoutSpan` (see isCheckoutSpan); `traceById`: its trace's spans by id. */
export function checkoutResult(checkoutSpan: FlatSpan, traceById: Map<string, FlatSpan>): CheckoutResult {
  const requestSpan = topOfService(checkoutSpan, traceById);
  const recorded = stringAttr(checkoutSpan.attributes['checkout.outcome']) ?? (checkoutSpan.status === 'error' ? 'error' : 'unknown');
  const timedOut = recorded === 'timeout' || httpStatus(requestSpan) === 504;
  return { requestSpan, outcome: timedOut ? 'timeout' : recorded, timedOut };
}

/** The outermost span of the same service above `span`, within its trace (`byId`: the trace's spans by id). */
function topOfService(span: FlatSpan, byId: Map<string, FlatSpan>): FlatSpan {
  let current = span;
  for (let i = 0; i < 100; i++) {
    const parent = current.parentSpanId === undefined ? undefined : byId.get(current.parentSpanId);
    if (!parent || parent.service !== span.service) return current;
    current = parent;
  }
  return current;
}

function httpStatus(span: FlatSpan): number | undefined {
  const v = span.attributes['http.response.status_code'] ?? span.attributes['http.status_code'];
  return typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : undefined;
}

/** A span that ran out of time: gRPC DEADLINE_EXCEEDED, a checkout that timed out, or an HTTP 504. */
export function isTimeout(span: FlatSpan): boolean {
  if (span.attributes['checkout.outcome'] === 'timeout') return true;
  if (httpStatus(span) === 504) return true;
  if (span.status !== 'error') return false;
  const grpc = span.attributes['rpc.status_code'] ?? span.attributes['rpc.response.status_code'] ?? span.attributes['rpc.grpc.status_code'];
  return grpc === 4 || grpc === '4' || grpc === 'DEADLINE_EXCEEDED' || /DEADLINE_EXCEEDED|deadline exceeded/i.test(span.statusMessage ?? '');
}

function stringAttr(v: AttributeValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function value(metric: { values: Record<string, number | null> } | undefined, key: string): Num {
  const v = metric?.values[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function nullable(x: number): Num {
  return Number.isFinite(x) ? x : null;
}

function round(x: Num, digits = 3): Num {
  if (x === null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
