import { VALIDITY_BOUNDS, type ExperimentInfo, type ValidityBounds } from '@checkout-lab/run-record';
import { analyseVariant } from './aggregate';
import { aaSummary, attribute, calibrationChecks, compare } from './compare';
import { conversionAssumptions, conversionModel, SEED_CONVERSION_SETTINGS, type Band, type ConversionModelSettings } from './conversion';
import type { TraceLinks } from './exemplars';
import { round } from './format';
import { isolationSummary, plainSummary } from './narrative';
import { COMPARED_METRICS, type Attribution, type Comparison, type Report, type TraceViewerLink, type VariantReport } from './report-types';
import type { RunData } from './run-data';
import { analyseRun } from './run-facts';
import { ALPHA, MIN_REPETITIONS, POWER } from './stats';

// The analysis of an experiment's runs, in order: each run (run-facts.ts), each variant
// (aggregate.ts, exemplars.ts, database.ts), the comparisons with the baseline (compare.ts) and the
// plain-language summary (narrative.ts), into the report model (report-types.ts).

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
            legacy_lookup: i.legacySpeed ? { target_ms: i.legacySpeed.targetMs, cpu_ms: i.legacySpeed.cpuMs, reached: i.legacySpeed.reached } : null,
            generator_cpus: i.generatorCpus ?? null,
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

function variantOrder(runs: readonly RunData[], experiment: ExperimentInfo): string[] {
  const seen = [...new Set(runs.map((r) => r.meta.variant))];
  const declared = (experiment.variants ?? []).map((v) => v.name).filter((n) => seen.includes(n));
  return [...declared, ...seen.filter((n) => !declared.includes(n))];
}
