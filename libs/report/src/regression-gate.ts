import { formatMs, formatPct, type Report } from './analyse';

/** Per metric: how much worse (in percent of the baseline) a significant regression may be before the gate fails. */
export type RegressionThresholds = Record<string, { maxRegressionPct?: number }>;

export interface GateResult {
  /** 0 when nothing regressed beyond its threshold, 1 otherwise. */
  exitCode: 0 | 1;
  failures: string[];
}

/**
 * The `--fail-on-regression` gate. A comparison fails it when its verdict is "regressed" (the
 * 95 % interval lies entirely on the worse side) and the change is larger than the metric's
 * `maxRegressionPct` (default 0: any significant regression fails); from a baseline of 0 (a
 * timeout rate, say) every significant rise fails, as no percentage describes it. Comparisons without a
 * verdict (too few repetitions, no data) never fail it; invalid runs are already excluded.
 */
export function regressionGate(report: Report, thresholds: RegressionThresholds = {}): GateResult {
  const failures: string[] = [];
  for (const c of report.comparisons) {
    if (c.verdict !== 'regressed') continue;
    const allowed = thresholds[c.metric]?.maxRegressionPct ?? 0;
    const worsePct = relativeChangePct(c);
    if (worsePct > allowed) {
      failures.push(
        worsePct === Number.POSITIVE_INFINITY
          ? `${c.candidate} vs ${c.baseline}: ${c.label} regressed from ${show(c.baseline_value, c.unit)} to ${show(c.candidate_value, c.unit)} (a baseline of 0 allows no relative change)`
          : `${c.candidate} vs ${c.baseline}: ${c.label} regressed by ${worsePct.toFixed(1)} % (allowed ${allowed} %; ${show(c.baseline_value, c.unit)} → ${show(c.candidate_value, c.unit)})`,
      );
    }
  }
  return { exitCode: failures.length ? 1 : 0, failures };
}

/** How much worse, in percent of the baseline: the ratio's change for durations, delta / baseline for rates (∞ from 0). */
function relativeChangePct(c: Report['comparisons'][number]): number {
  if (c.unit === 'ms') return c.delta_pct === null ? Number.POSITIVE_INFINITY : Math.abs(c.delta_pct);
  if (c.delta === null || c.baseline_value === null || c.baseline_value === 0) return Number.POSITIVE_INFINITY;
  return Math.abs(c.delta / c.baseline_value) * 100;
}

function show(value: number | null, unit: 'ms' | 'ratio'): string {
  return unit === 'ms' ? formatMs(value) : formatPct(value);
}
