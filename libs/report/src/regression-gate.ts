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
    const worsePct = c.delta_pct === null ? Number.POSITIVE_INFINITY : Math.abs(c.delta_pct);
    if (worsePct > allowed) {
      failures.push(
        c.delta_pct === null
          ? `${c.candidate} vs ${c.baseline}: ${c.label} regressed from ${show(c.baseline_value, c.unit)} to ${show(c.candidate_value, c.unit)} (a baseline of 0 allows no relative change)`
          : `${c.candidate} vs ${c.baseline}: ${c.label} regressed by ${Math.abs(c.delta_pct).toFixed(1)} % (allowed ${allowed} %)`,
      );
    }
  }
  return { exitCode: failures.length ? 1 : 0, failures };
}

function show(value: number | null, unit: 'ms' | 'ratio'): string {
  return unit === 'ms' ? formatMs(value) : formatPct(value);
}
