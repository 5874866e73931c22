import type { ExperimentInfo } from '@checkout-lab/run-record';
import { round } from './format';
import { METRIC_INFO, type Attribution, type CalibrationCheck, type ComparedMetric, type Comparison, type Report, type VariantReport } from './report-types';
import { compareRates, compareRatio } from './stats';

// Comparisons of each candidate with the baseline: the compared metrics, the critical-path
// attribution, the calibration checks and the A/A summary.

export const CALIBRATION_TOLERANCE = { endToEndFraction: 0.1, minAttributedShare: 0.9 } as const;

/** Exit code of `experiment` / `report` when a calibration check was not recovered. */
export const CALIBRATION_FAILED_EXIT_CODE = 4;

/** One metric, candidate against baseline, over each side's valid runs. */
export function compare(metric: ComparedMetric, base: VariantReport, cand: VariantReport): Comparison {
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
export function aaSummary(comparisons: Comparison[]): NonNullable<Report['aa']> {
  const judged = comparisons.filter((c) => c.verdict !== 'too_few_repetitions' && c.verdict !== 'no_data');
  const falseVerdicts = judged.filter((c) => c.verdict !== 'no_significant_change');
  return { comparisons: judged.length, false_verdicts: falseVerdicts.length, false_verdict_metrics: falseVerdicts.map((c) => c.label) };
}

/** Where the critical path's time went, per service and operation, in the baseline and the candidate. */
export function attribute(base: VariantReport, cand: VariantReport): Attribution {
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

/** One check per variant that declares an injected delay (`expect`): was it recovered end to end and in its span? */
export function calibrationChecks(variants: VariantReport[], comparisons: Comparison[], attribution: Attribution[], experiment: ExperimentInfo): CalibrationCheck[] {
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
