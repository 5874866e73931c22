import { distinctPcts, formatMs, formatPct, pointsRange, signedPct, signedPoints } from './format';
import type { ComparedMetric, Comparison, Report, VariantReport } from './report-types';
import { MIN_REPETITIONS } from './stats';

// The plain-language summary (the first thing a reader sees, in report.md and report.html)

/** The summary's sentences: the A/A check, each candidate against the baseline, the runs left out, the calibration. */
export function plainSummary(report: Report): string[] {
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

/** "The legacy billing server ran on CPU 1 with 0.3 of a CPU (cgroup quota), the rest on CPU 0, in 9 of 9 runs." */
export function isolationSummary(isolation: Report['provenance']['isolation'], runCount: number): string {
  if (isolation.length === 0) return `No CPU isolation was recorded for the ${runCount} run(s): the legacy billing server may have shared the CPUs with everything else.`;
  const groups = new Map<string, number>();
  const pinned = new Map<number, { quotas: number[]; measured: number[]; missed: number }>();
  for (const i of isolation) {
    const where = i.applied ? `on CPU ${i.legacy_cpus ?? '?'}` : `on every CPU, not isolated (${i.reason ?? 'no reason recorded'})`;
    const quota =
      i.legacy_cpu_quota === null
        ? i.legacy_cpu_quota_reason
          ? ` without its CPU quota (${i.legacy_cpu_quota_reason})`
          : ''
        : i.legacy_lookup
          ? ' with a CPU quota scaled before each run'
          : ` with ${i.legacy_cpu_quota} of a CPU (cgroup quota)`;
    const rest = !i.applied
      ? ''
      : i.generator_cpus
        ? `, the rest of the stack on CPU ${i.stack_cpus ?? '?'}, and the load generator on CPU ${i.generator_cpus} beside it at real-time priority (which the server's work cannot delay)`
        : `, the rest of the stack and the load generator on CPU ${i.stack_cpus ?? '?'}`;
    const key = `${where}${quota}${rest}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
    if (i.legacy_lookup && i.legacy_cpu_quota !== null) {
      const p = pinned.get(i.legacy_lookup.target_ms) ?? { quotas: [], measured: [], missed: 0 };
      p.quotas.push(i.legacy_cpu_quota);
      p.measured.push(i.legacy_lookup.cpu_ms);
      if (!i.legacy_lookup.reached) p.missed++;
      pinned.set(i.legacy_lookup.target_ms, p);
    }
  }
  const where = [...groups].map(([text, n]) => `The legacy billing server ran ${text}, in ${n} of ${runCount} runs.`);
  const speeds = [...pinned].map(([target, p]) => {
    const range = (xs: number[], digits: number) => {
      const lo = Math.min(...xs).toFixed(digits);
      const hi = Math.max(...xs).toFixed(digits);
      return lo === hi ? lo : `${lo}–${hi}`;
    };
    const missed = p.missed ? `; in ${p.missed} of them the target was not reached` : '';
    return `Its speed was pinned in ${p.quotas.length} run(s): one unindexed lookup (${range(p.measured, 1)} ms of CPU, measured before each run) in ${target} ms, at ${range(p.quotas, 3)} of a CPU${missed}.`;
  });
  return [...where, ...speeds].join(' ');
}
