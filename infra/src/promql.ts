/** PromQL functions, aggregations and keywords: identifiers in an expression that are not metrics. */
const NOT_METRICS = new Set([
  'sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'predict_linear', 'resets', 'changes',
  'histogram_quantile', 'histogram_count', 'histogram_sum', 'histogram_fraction', 'histogram_avg',
  'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'quantile_over_time',
  'abs', 'ceil', 'floor', 'round', 'clamp', 'clamp_min', 'clamp_max', 'sqrt', 'exp', 'ln', 'log2', 'log10',
  'label_replace', 'label_join', 'sort', 'sort_desc', 'time', 'timestamp', 'vector', 'scalar', 'absent', 'absent_over_time',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan',
]);

/** The metric names a PromQL expression selects (Grafana's `$variables` allowed). */
export function metricNames(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '{}') // label matchers
    .replace(/\[[^\]]*\]/g, '[]') // ranges, subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' '); // dashboard variables
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = match[0];
    const after = stripped.slice((match.index ?? 0) + name.length).trimStart();
    if (NOT_METRICS.has(name) || after.startsWith('(')) continue;
    if (/^\d/.test(name)) continue;
    names.add(name);
  }
  return [...names];
}

/** Label names an expression matches on, per metric: `metric{a="x", b=~"y"}` → a, b. */
export function matcherLabels(expression: string): { metric: string; labels: string[] }[] {
  const found: { metric: string; labels: string[] }[] = [];
  for (const match of expression.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}/g)) {
    const labels = [...(match[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1] as string);
    found.push({ metric: match[1] as string, labels });
  }
  return found;
}

/** Metric families in a Prometheus text exposition: sample names → label names seen. */
export function scrapedSeries(text: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{([^}]*)\})?\s/.exec(line);
    if (!match) continue;
    const name = match[1] as string;
    const labels = series.get(name) ?? new Set<string>();
    for (const label of (match[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="/g)) labels.add(label[1] as string);
    series.set(name, labels);
  }
  return series;
}
