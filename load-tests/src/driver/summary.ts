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
  noColor?: boolean;
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
    options: { summaryTrendStats: input.trendStats, summaryTimeUnit: '', noColor: input.noColor ?? false },
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

/**
 * The summary in the format of k6's `--summary-export` (k6's legacy JSON, as its summary wrapper
 * makes it from the handleSummary data): no `options`/`state`; each metric is its values by name
 * (`{ "avg": …, "p(95)": … }`, a rate's `rate` renamed `value`), with `thresholds` mapping each
 * expression to true when it FAILED (k6's legacy meaning); groups and checks keyed by name.
 */
export function summaryExport(summary: LoadSummary): string {
  const metrics: Record<string, Record<string, number | Record<string, boolean>>> = {};
  for (const [name, metric] of Object.entries(summary.metrics)) {
    const values: Record<string, number | Record<string, boolean>> = { ...metric.values };
    const thresholds = Object.entries(metric.thresholds ?? {});
    if (thresholds.length > 0) values['thresholds'] = Object.fromEntries(thresholds.map(([source, t]) => [source, !t.ok]));
    if (metric.type === 'rate' && 'rate' in values) {
      values['value'] = values['rate'] as number;
      delete values['rate'];
    }
    metrics[name] = values;
  }
  return `${JSON.stringify({ root_group: legacyGroup(summary.root_group), metrics }, null, 4)}\n`;
}

type Group = LoadSummary['root_group'];
interface LegacyGroup {
  name: string;
  path: string;
  id: string;
  groups: Record<string, LegacyGroup>;
  checks: Record<string, Group['checks'][number]>;
}

function legacyGroup(group: Group): LegacyGroup {
  return {
    name: group.name,
    path: group.path,
    id: group.id,
    groups: Object.fromEntries(group.groups.map((g) => [g.name, legacyGroup(g)])),
    checks: Object.fromEntries(group.checks.map((c) => [c.name, c])),
  };
}

function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${((ms % 60_000) / 1000).toFixed(1)}s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 1) return `${ms.toFixed(2)}ms`;
  return `${(ms * 1000).toFixed(2)}µs`;
}

function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${Math.round(n)} B`;
}

/** k6's clock in its progress lines: 0m05.0s, 1m30.0s, 1h02m03.0s. */
export function formatClock(ms: number): string {
  const tenths = Math.floor(ms / 100);
  const h = Math.floor(tenths / 36_000);
  const m = Math.floor((tenths % 36_000) / 600);
  const s = ((tenths % 600) / 10).toFixed(1).padStart(4, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${s}s` : `${m}m${s}s`;
}

/** k6's progress line: `running (0m05.0s), 02/10 VUs, 120 complete and 0 interrupted iterations`. */
export function runningLine(elapsedMs: number, activeVUs: number, maxVUs: number, complete: number, interrupted: number): string {
  const width = String(maxVUs).length;
  return `running (${formatClock(elapsedMs)}), ${String(activeVUs).padStart(width, '0')}/${maxVUs} VUs, ${complete} complete and ${interrupted} interrupted iterations`;
}

export interface TextSummaryOptions {
  /** ANSI colours for ✓/✗ and the section titles (the CLI: on a terminal, unless --no-color or NO_COLOR) */
  colors?: boolean;
}

const SECTIONS: { title: string; has: (name: string) => boolean }[] = [
  { title: 'HTTP', has: (name) => name.startsWith('http_') },
  { title: 'EXECUTION', has: (name) => ['dropped_iterations', 'iteration_duration', 'iterations', 'vus', 'vus_max'].includes(name) },
  { title: 'NETWORK', has: (name) => name === 'data_received' || name === 'data_sent' },
  // the driver's own trends: how well the generator kept its schedule
  { title: 'GENERATOR', has: (name) => name === 'schedule_lag' || name === 'generator_event_loop_delay' },
];

/**
 * The end-of-test text summary, laid out like k6's (v1, full mode): THRESHOLDS (each metric with
 * its expressions and the value judged), TOTAL RESULTS (checks, then the metrics in k6's sections
 * HTTP, EXECUTION, NETWORK; any other metric first as CUSTOM), then k6's last progress line and
 * the driver's per-scenario figures and validity verdict.
 */
export function textSummary(summary: LoadSummary, options: TextSummaryOptions = {}): string {
  const paint = (code: string, text: string): string => (options.colors ? `\x1b[${code}m${text}\x1b[0m` : text);
  const mark = (ok: boolean): string => (ok ? paint('32', '✓') : paint('31', '✗'));
  const title = (text: string): string => `  ${paint('1', `█ ${text}`)}`;
  const durationS = summary.state.testRunDurationMs / 1000;
  const lines: string[] = [];

  const withThresholds = Object.entries(summary.metrics).filter(([, m]) => Object.keys(m.thresholds ?? {}).length > 0);
  if (withThresholds.length > 0) {
    lines.push(title('THRESHOLDS'), '');
    for (const [key, metric] of withThresholds) {
      lines.push(`    ${key}`);
      for (const [source, result] of Object.entries(metric.thresholds ?? {})) {
        const stat = /^\s*(avg|min|max|med|count|rate|value|p\(\d+(?:\.\d+)?\))/.exec(source)?.[1];
        const value = stat === undefined ? undefined : metric.values[stat];
        const shown = stat === undefined || value === undefined ? '' : ` ${stat}=${formatStat(metric, stat, value)}`;
        lines.push(`    ${mark(result.ok)} '${source}'${shown}`);
      }
      lines.push('');
    }
    lines.push('');
  }

  lines.push(title('TOTAL RESULTS'), '');
  const rows: [string, string][] = [];
  const checks = summary.metrics['checks'];
  const checkRows: [string, string][] = [];
  if (checks) {
    const passes = checks.values['passes'] ?? 0;
    const fails = checks.values['fails'] ?? 0;
    const total = passes + fails;
    const pct = (n: number): string => `${total === 0 ? '0.00' : ((100 * n) / total).toFixed(2)}%`;
    checkRows.push(
      ['checks_total', `${total}  ${(durationS > 0 ? total / durationS : 0).toFixed(2)}/s`],
      ['checks_succeeded', `${pct(passes)} ${passes} out of ${total}`],
      ['checks_failed', `${pct(fails)} ${fails} out of ${total}`],
    );
  }
  const sections = new Map<string, [string, string][]>();
  const trendColumns = trendWidths(summary);
  for (const [key, metric] of Object.entries(summary.metrics)) {
    if (key === 'checks') continue;
    const parent = key.includes('{') ? key.slice(0, key.indexOf('{')) : key;
    const section = SECTIONS.find((s) => s.has(parent))?.title ?? 'CUSTOM';
    const label = key.includes('{') ? `  { ${key.slice(key.indexOf('{') + 1, -1)} }` : key;
    const row: [string, string] = [label, metricText(metric, trendColumns)];
    sections.set(section, [...(sections.get(section) ?? []), row]);
    rows.push(row);
  }
  const width = Math.max(20, ...[...rows, ...checkRows].map(([label]) => label.length)) + 3;
  const render = ([label, text]: [string, string]): string => `    ${label.padEnd(width, '.')}: ${text}`.trimEnd();
  if (checkRows.length > 0) {
    lines.push(...checkRows.map(render), '');
    for (const check of summary.root_group.checks) {
      lines.push(`    ${mark(check.fails === 0)} ${check.name}`);
      if (check.fails > 0) lines.push(`      ↳  ${Math.floor((100 * check.passes) / (check.passes + check.fails))}% — ✓ ${check.passes} / ✗ ${check.fails}`);
    }
    lines.push('');
  }
  for (const name of ['CUSTOM', ...SECTIONS.map((s) => s.title)]) {
    const sectionRows = sections.get(name);
    if (!sectionRows) continue;
    lines.push(`    ${paint('1', name)}`, ...sectionRows.map(render), '');
  }

  const state = summary.state;
  const scenarios = Object.entries(state.scenarios ?? {});
  const complete = summary.metrics['iterations']?.values['count'] ?? 0;
  const started = scenarios.reduce((n, [, s]) => n + s.startedIterations, 0);
  const maxVUs = summary.metrics['vus_max']?.values['value'] ?? scenarios.reduce((n, [, s]) => n + s.maxVUs, 0);
  lines.push('', runningLine(state.testRunDurationMs, 0, maxVUs, complete, Math.max(0, started - complete)));
  for (const [name, s] of scenarios) {
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

type Metric = LoadSummary['metrics'][string];

function formatStat(metric: Metric, stat: string, value: number): string {
  if (metric.type === 'rate' && stat === 'rate') return `${(value * 100).toFixed(2)}%`;
  if (metric.type === 'trend' && metric.contains === 'time') return formatDuration(value);
  if (metric.contains === 'data') return formatBytes(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** k6 aligns the trend statistics in columns: the widest `stat=value` of each stat across trends. */
function trendWidths(summary: LoadSummary): Map<string, number> {
  const widths = new Map<string, number>();
  for (const metric of Object.values(summary.metrics)) {
    if (metric.type !== 'trend') continue;
    for (const [stat, value] of Object.entries(metric.values)) {
      widths.set(stat, Math.max(widths.get(stat) ?? 0, `${stat}=${formatStat(metric, stat, value)}`.length));
    }
  }
  return widths;
}

function metricText(metric: Metric, trendColumns: Map<string, number>): string {
  const v = metric.values;
  switch (metric.type) {
    case 'trend':
      return Object.entries(v).map(([stat, value]) => `${stat}=${formatStat(metric, stat, value)}`.padEnd(trendColumns.get(stat) ?? 0)).join(' ');
    case 'counter':
      return metric.contains === 'data' ? `${formatBytes(v['count'] ?? 0)}  ${formatBytes(v['rate'] ?? 0)}/s` : `${v['count'] ?? 0}  ${(v['rate'] ?? 0).toFixed(2)}/s`;
    case 'rate':
      return `${((v['rate'] ?? 0) * 100).toFixed(2)}%  ${v['passes'] ?? 0} out of ${(v['passes'] ?? 0) + (v['fails'] ?? 0)}`;
    case 'gauge':
      return `${v['value'] ?? 0}  min=${v['min'] ?? 0} max=${v['max'] ?? 0}`;
  }
}
