/**
 * When arrival-rate iterations start, as k6 plans them: iteration k (k = 0, 1, 2, …) starts when
 * the integral of the rate since the scenario's start reaches k. Constant rate: every
 * timeUnit/rate ms from 0. Ramping: the rate changes linearly within each stage (from the previous
 * stage's target, or startRate, to this stage's target), so the integral is quadratic per stage.
 */
export interface RateStage {
  durationMs: number;
  target: number;
}

export function* constantStarts(rate: number, timeUnitMs: number, durationMs: number): Generator<number> {
  const interval = timeUnitMs / rate;
  for (let k = 0; ; k++) {
    const t = k * interval;
    if (t >= durationMs) return;
    yield t;
  }
}

export function* rampingStarts(startRate: number, timeUnitMs: number, stages: readonly RateStage[]): Generator<number> {
  let segmentStart = 0;
  let reachedAtStart = 0; // iterations planned by the start of the segment (the integral)
  let from = startRate / timeUnitMs; // per ms
  let k = 0;
  for (const stage of stages) {
    const to = stage.target / timeUnitMs;
    const d = stage.durationMs;
    const slope = d > 0 ? (to - from) / d : 0;
    for (;;) {
      const need = k - reachedAtStart;
      const tau = solve(from, slope, need);
      if (tau === undefined || tau >= d) break;
      yield segmentStart + tau;
      k++;
    }
    reachedAtStart += from * d + (slope * d * d) / 2;
    segmentStart += d;
    from = to;
  }
}

/** Smallest τ ≥ 0 with a·τ + b·τ²/2 = need, if any. */
function solve(a: number, b: number, need: number): number | undefined {
  if (need <= 0) return 0;
  if (Math.abs(b) < 1e-15) return a > 0 ? need / a : undefined;
  const disc = a * a + 2 * b * need;
  if (disc < 0) return undefined;
  const tau = (-a + Math.sqrt(disc)) / b;
  return tau >= 0 ? tau : undefined;
}

/** Iterations the plan holds in total (the integral of the rate), for the target rate shown. */
export function plannedIterations(startRate: number, timeUnitMs: number, stages: readonly RateStage[]): number {
  let from = startRate / timeUnitMs;
  let total = 0;
  for (const stage of stages) {
    const to = stage.target / timeUnitMs;
    total += ((from + to) / 2) * stage.durationMs;
    from = to;
  }
  return total;
}

/** A linear ramp of a value (VUs or rate) through stages, at time t ms. */
export function rampValueAt(start: number, stages: readonly RateStage[], t: number): number {
  let from = start;
  let at = 0;
  for (const stage of stages) {
    if (t < at + stage.durationMs) return from + ((stage.target - from) * (t - at)) / stage.durationMs;
    at += stage.durationMs;
    from = stage.target;
  }
  return from;
}
