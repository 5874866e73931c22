import type { Num } from './report-types';

// Numbers as report.json holds them and as the pages and the summary write them.

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

export function nullable(x: number): Num {
  return Number.isFinite(x) ? x : null;
}

export function round(x: Num, digits = 3): Num {
  if (x === null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
