import type { SpanStatus } from '@checkout-lab/telemetry';
import type { HostStats, ValidityBounds, ValidityCheck } from '@checkout-lab/run-record';
import type { Band, ConversionModel } from './conversion';
import type { Direction, Verdict } from './stats';

// The report model: exactly what report.json holds (libs/report/report.schema.json)

export interface TraceViewerLink {
  url: string;
  command: string;
}

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
      /** The legacy server's pinned speed (legacyLookupMs): the target time of one lookup and its CPU time measured before the run; null when not pinned. */
      legacy_lookup: { target_ms: number; cpu_ms: number; reached: boolean } | null;
      /** Where the load generator's main thread ran during the load when it left the stack's CPUs (beside the legacy server); null: with the stack. */
      generator_cpus: string | null;
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
