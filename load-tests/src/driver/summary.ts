import { type GeneratorVerdict, type LoadSummary, type ScenarioState } from '@checkout-lab/run-record';
import type { MetricRegistry } from './metrics';
import type { Threshold } from './thresholds';

/**
 * The summary in k6's handleSummary JSON shape (its schema lives in libs/run-record, beside the
 * other files of a run directory). The driver adds `state.validity` (was the generator able to
 * keep its schedule?) and `state.scenarios` (target vs achieved rate).
 */
export { loadSummarySchema, parseLoadSummary } from '@checkout-lab/run-record';
export type { LoadSummary, SummaryMetric, ScenarioState, GeneratorVerdict as RunValidity } from '@checkout-lab/run-record';

const ALWAYS_LISTED = ['dropped_iterations', 'iterations', 'http_reqs'];

export const DEFAULT_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

export function buildSummary(input: {
  registry: MetricRegistry;
  thresholds: Threshold[];
  trendStats: string[];
  durationMs: number;
  checks: Map<string, { passes: number; fails: number }>;
  validity: GeneratorVerdict;
  scenarios: Record<string, ScenarioState>;
  aborted?: string;
  isStdOutTTY: boolean;
  isStdErrTTY: boolean;
}): LoadSummary {
  const durationS = input.durationMs / 1000;
  const metrics: LoadSummary['metrics'] = {};
  for (const entry of input.registry.entries()) {
    const own = input.thresholds.filter((t) => t.metric === entry.key);
    // Metrics that saw samples or carry thresholds, as k6; plus the iteration counters even at zero.
    if (entry.sink.samples === 0 && own.length === 0 && !ALWAYS_LISTED.includes(entry.key)) continue;
    metrics[entry.key] = {
      type: entry.type,
      contains: entry.contains,
      values: entry.sink.values(input.trendStats, durationS),
      ...(own.length > 0 ? { thresholds: Object.fromEntries(own.map((t) => [t.source, { ok: t.ok }])) } : {}),
    };
  }
  return {
    root_group: {
      name: '',
      path: '',
      id: 'd41d8cd98f00b204e9800998ecf8427e',
      groups: [],
      checks: [...input.checks.entries()].map(([name, c]) => ({ name, path: `::${name}`, id: checkId(name), passes: c.passes, fails: c.fails })),
    },
    options: { summaryTrendStats: input.trendStats, summaryTimeUnit: '', noColor: false },
    state: {
      isStdOutTTY: input.isStdOutTTY,
      isStdErrTTY: input.isStdErrTTY,
      testRunDurationMs: input.durationMs,
      validity: input.validity,
      scenarios: input.scenarios,
      ...(input.aborted ? { aborted: input.aborted } : {}),
    },
    metrics,
  };
}

/** True when every threshold in the summary held (k6 exits 99 otherwise). */
export function thresholdsPassed(summary: LoadSummary): boolean {
  return Object.values(summary.metrics).every((m) => Object.values(m.thresholds ?? {}).every((t) => t.ok));
}

function checkId(name: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

function formatDuration(ms: number): string {
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${((ms % 60_000) / 1000).toFixed(1)}s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 1) return `${ms.toFixed(2)}ms`;
  return `${(ms * 1000).toFixed(2)}µs`;
}

function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** The end-of-test text summary, laid out like k6's. */
export function textSummary(summary: LoadSummary): string {
  const lines: string[] = [];
  const thresholdLines: string[] = [];
  for (const [key, metric] of Object.entries(summary.metrics)) {
    for (const [source, result] of Object.entries(metric.thresholds ?? {})) {
      thresholdLines.push(`    ${result.ok ? '✓' : '✗'} ${key} '${source}'`);
    }
  }
  if (thresholdLines.length > 0) lines.push('  █ THRESHOLDS', '', ...thresholdLines, '');
  lines.push('  █ TOTAL RESULTS', '');
  for (const check of summary.root_group.checks) {
    lines.push(`    ${check.fails === 0 ? '✓' : '✗'} ${check.name}${check.fails > 0 ? `  ↳ ${Math.round((100 * check.passes) / (check.passes + check.fails))}% — ✓ ${check.passes} / ✗ ${check.fails}` : ''}`);
  }
  if (summary.root_group.checks.length > 0) lines.push('');
  for (const [key, metric] of Object.entries(summary.metrics)) {
    const isSub = key.includes('{');
    const label = isSub ? `  { ${key.slice(key.indexOf('{') + 1, -1)} }` : key;
    const v = metric.values;
    let text: string;
    switch (metric.type) {
      case 'trend':
        text = Object.entries(v).map(([stat, value]) => `${stat}=${metric.contains === 'time' ? formatDuration(value) : value.toFixed(2)}`).join(' ');
        break;
      case 'counter':
        text = metric.contains === 'data' ? `${formatBytes(v['count'] ?? 0)}  ${formatBytes(v['rate'] ?? 0)}/s` : `${v['count'] ?? 0}  ${(v['rate'] ?? 0).toFixed(2)}/s`;
        break;
      case 'rate':
        text = `${((v['rate'] ?? 0) * 100).toFixed(2)}%  ${v['passes'] ?? 0} out of ${(v['passes'] ?? 0) + (v['fails'] ?? 0)}`;
        break;
      case 'gauge':
        text = `${v['value'] ?? 0}  min=${v['min'] ?? 0} max=${v['max'] ?? 0}`;
        break;
    }
    lines.push(`    ${`${label}`.padEnd(40, '.')}: ${text}`);
  }
  const state = summary.state;
  lines.push('', `  running ${formatDuration(state.testRunDurationMs)}`);
  for (const [name, s] of Object.entries(state.scenarios ?? {})) {
    const target = s.targetRate === null ? '' : `, target ${s.targetRate.toFixed(2)}/s`;
    lines.push(`  ${name}: ${s.executor}, ${s.startedIterations}/${s.plannedIterations} iterations started (${s.droppedIterations} dropped), achieved ${s.achievedRate.toFixed(2)}/s${target}, VUs ${s.peakVUs}/${s.maxVUs}`);
  }
  if (state.validity) {
    const v = state.validity;
    lines.push(v.valid
      ? `  generator kept its schedule: schedule_lag p99 ${v.scheduleLagP99Ms.toFixed(2)} ms, event-loop delay p99 ${v.eventLoopDelayP99Ms.toFixed(2)} ms`
      : `  WARNING: this run is INVALID — ${v.reasons.join('; ')}`);
  }
  if (state.aborted) lines.push(`  aborted: ${state.aborted}`);
  return `${lines.join('\n')}\n`;
}
