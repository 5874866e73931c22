import type { GeneratorVerdict, LoadSummary } from './summary';
import { summaryValue } from './summary';

/**
 * The one rule for "this run is evidence". The load driver applies the generator part while it
 * runs (and records its verdict in summary.json's state.validity), the experiment runner applies
 * the whole rule when it writes run.json, and the report applies it again when it reads a run:
 * the same function and the same bounds everywhere, so the three can never disagree.
 *
 * A run is not evidence when
 * - the generator started iterations late (schedule lag p99) or its event loop stalled (delay
 *   p99): the load it applied is not the load that was planned, and its own latency figures are
 *   inflated by its own waiting;
 * - it started fewer iterations than planned (achieved rate, dropped iterations): an open model
 *   that drops work measures a lighter load than the variant was asked to carry;
 * - the services lost spans before export: the trace-based figures would miss requests.
 */
export interface ValidityBounds {
  /** Achieved iteration rate within this fraction of the target (0.05 = ±5 %). */
  rateTolerance: number;
  /** Dropped iterations at most this fraction of the planned iterations. */
  maxDroppedFraction: number;
  /** Iterations started at most this late at p99 (ms). */
  maxScheduleLagP99Ms: number;
  /** The generator's event loop blocked at most this long at p99 (ms). */
  maxEventLoopDelayP99Ms: number;
  /** Spans the services dropped before export, at most this fraction of the spans they produced. */
  maxSpansLostFraction: number;
}

export const VALIDITY_BOUNDS: ValidityBounds = Object.freeze({
  rateTolerance: 0.05,
  maxDroppedFraction: 0.01,
  maxScheduleLagP99Ms: 10,
  maxEventLoopDelayP99Ms: 20,
  maxSpansLostFraction: 0.01,
});

/** The generator part of the rule, as the driver applies it at the end of a run. */
export function judgeGenerator(
  figures: { scheduleLagP99Ms: number; eventLoopDelayP99Ms: number },
  bounds: Pick<ValidityBounds, 'maxScheduleLagP99Ms' | 'maxEventLoopDelayP99Ms'> = VALIDITY_BOUNDS,
): GeneratorVerdict {
  const { scheduleLagP99Ms, eventLoopDelayP99Ms } = figures;
  const reasons: string[] = [];
  if (scheduleLagP99Ms > bounds.maxScheduleLagP99Ms) {
    reasons.push(`iterations started late: schedule_lag p99 ${scheduleLagP99Ms.toFixed(1)} ms > ${bounds.maxScheduleLagP99Ms} ms`);
  }
  if (eventLoopDelayP99Ms > bounds.maxEventLoopDelayP99Ms) {
    reasons.push(`the generator's event loop stalled: delay p99 ${eventLoopDelayP99Ms.toFixed(1)} ms > ${bounds.maxEventLoopDelayP99Ms} ms`);
  }
  return {
    valid: reasons.length === 0,
    reasons,
    scheduleLagP99Ms,
    eventLoopDelayP99Ms,
    bounds: { scheduleLagP99Ms: bounds.maxScheduleLagP99Ms, eventLoopDelayP99Ms: bounds.maxEventLoopDelayP99Ms },
  };
}

export type ValidityCheckName = 'achieved_rate' | 'dropped_iterations' | 'schedule_lag_p99' | 'event_loop_delay_p99' | 'spans_lost' | 'services_stayed_up';

export interface ValidityCheck {
  name: ValidityCheckName;
  label: string;
  value: number | null;
  bound: string;
  /** null when the run has no figure for it (not counted against the run). */
  ok: boolean | null;
}

export interface RunVerdict {
  valid: boolean;
  checks: ValidityCheck[];
  /** One sentence per failed check; empty when valid. */
  reasons: string[];
}

export interface RunFigures {
  summary: LoadSummary;
  /** Planned iterations per second over the planned window. */
  targetRate: number;
  /** The planned window in seconds (the achieved rate divides by it, not by the stretched test time). */
  durationS: number | undefined;
  telemetry?: { services: Record<string, { exported: number; dropped: number }> };
  /** Services that exited during the run (name and code); absent when not watched. */
  serviceExits?: { service: string; code: number | null; signal: string | null }[];
}

/** The whole rule for one run. */
export function judgeRun(run: RunFigures, bounds: ValidityBounds = VALIDITY_BOUNDS): RunVerdict {
  const { summary } = run;
  const iterations = summaryValue(summary, 'iterations', 'count');
  const dropped = summaryValue(summary, 'dropped_iterations', 'count') ?? (iterations !== null ? 0 : null);
  const durationS = run.durationS && run.durationS > 0 ? run.durationS : undefined;
  const achieved = iterations !== null && durationS ? iterations / durationS : summaryValue(summary, 'iterations', 'rate');
  // In an open model every planned iteration either starts or is dropped.
  const planned = iterations !== null ? iterations + (dropped ?? 0) : durationS ? run.targetRate * durationS : null;

  // The generator's own verdict, judged with the bounds it recorded (so it is the driver's verdict exactly);
  // a k6 summary carries none, and its figures count as absent.
  const recorded = summary.state.validity;
  const lag = recorded?.scheduleLagP99Ms ?? summaryValue(summary, 'schedule_lag', 'p(99)');
  const loop = recorded?.eventLoopDelayP99Ms ?? summaryValue(summary, 'generator_event_loop_delay', 'p(99)');
  const lagBound = recorded?.bounds.scheduleLagP99Ms ?? bounds.maxScheduleLagP99Ms;
  const loopBound = recorded?.bounds.eventLoopDelayP99Ms ?? bounds.maxEventLoopDelayP99Ms;

  let spansLost: number | null = null;
  let spansLostFraction: number | null = null;
  if (run.telemetry) {
    const services = Object.values(run.telemetry.services);
    const lost = services.reduce((s, x) => s + x.dropped, 0);
    const produced = services.reduce((s, x) => s + x.dropped + x.exported, 0);
    spansLost = lost;
    spansLostFraction = produced > 0 ? lost / produced : 0;
  }

  const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;
  const checks: ValidityCheck[] = [
    {
      name: 'achieved_rate',
      label: 'achieved vs target rate (/s)',
      value: achieved,
      bound: `within ±${pct(bounds.rateTolerance)} of ${round(run.targetRate)}/s`,
      ok: achieved === null || run.targetRate === 0 ? null : Math.abs(achieved - run.targetRate) <= bounds.rateTolerance * run.targetRate,
    },
    {
      name: 'dropped_iterations',
      label: 'dropped iterations',
      value: dropped,
      bound: `at most ${pct(bounds.maxDroppedFraction)} of planned${planned !== null ? ` (${Math.floor(bounds.maxDroppedFraction * planned)})` : ''}`,
      ok: dropped === null || planned === null ? null : dropped <= bounds.maxDroppedFraction * planned,
    },
    {
      name: 'schedule_lag_p99',
      label: 'generator schedule lag p99 (ms)',
      value: lag,
      bound: `at most ${lagBound} ms`,
      ok: lag === null ? null : lag <= lagBound,
    },
    {
      name: 'event_loop_delay_p99',
      label: 'generator event-loop delay p99 (ms)',
      value: loop,
      bound: `at most ${loopBound} ms`,
      ok: loop === null ? null : loop <= loopBound,
    },
    {
      name: 'spans_lost',
      label: 'spans lost before export',
      value: spansLost,
      bound: `at most ${pct(bounds.maxSpansLostFraction)} of spans produced`,
      ok: spansLostFraction === null ? null : spansLostFraction <= bounds.maxSpansLostFraction,
    },
  ];
  if (run.serviceExits) {
    checks.push({
      name: 'services_stayed_up',
      label: 'services that exited during the run',
      value: run.serviceExits.length,
      bound: 'none',
      ok: run.serviceExits.length === 0,
    });
  }
  const failed = checks.filter((c) => c.ok === false);
  const reasons = failed.map((c) =>
    c.name === 'services_stayed_up' && run.serviceExits
      ? `a service exited during the run: ${run.serviceExits.map((e) => `${e.service} (${e.signal ?? `code ${String(e.code)}`})`).join(', ')}`
      : `${c.label} ${formatValue(c.value)} (${c.bound})`,
  );
  return { valid: failed.length === 0, checks, reasons };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function formatValue(v: number | null): string {
  return v === null ? '–' : String(round(v));
}
