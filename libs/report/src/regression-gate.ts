import { formatMs, formatPct } from './format';
import type { Report } from './report-types';

/** Per metric: how much worse (in percent of the baseline) a significant regression may be before the gate fails. */
export type RegressionThresholds = Record<string, { maxRegressionPct?: number }>;

/**
 * The exit code of `checkout-lab experiment|report --fail-on-regression` when the gate fails: its own,
 * so CI tells a regression from a crash (1) or a usage error (2). 3 to 6 are taken (migrate's mismatch,
 * calibration, faults, reconcile findings).
 */
export const REGRESSION_EXIT_CODE = 7;

export interface GateResult {
  /** 0 when nothing regressed beyond its threshold, REGRESSION_EXIT_CODE otherwise. */
  exitCode: 0 | typeof REGRESSION_EXIT_CODE;
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
  return { exitCode: failures.length ? REGRESSION_EXIT_CODE : 0, failures };
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
