// handleSummary for the k6 entry scripts: the summary data as JSON (the shape the built-in
// driver writes too) and a short text summary on stdout.
const summaryEnv: Record<string, string | undefined> = __ENV;

interface SummaryData {
  metrics: Record<string, { type: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
  state: { testRunDurationMs: number };
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const lines = [`test run ${(data.state.testRunDurationMs / 1000).toFixed(1)} s`];
  for (const [name, metric] of Object.entries(data.metrics)) {
    const values = Object.entries(metric.values).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`).join(' ');
    const thresholds = Object.entries(metric.thresholds ?? {}).map(([expr, t]) => ` ${t.ok ? '✓' : '✗'} ${expr}`).join('');
    lines.push(`${name.padEnd(40, '.')}: ${values}${thresholds}`);
  }
  return {
    [summaryEnv['SUMMARY_FILE'] || 'summary.json']: JSON.stringify(data, null, 2),
    stdout: `${lines.join('\n')}\n`,
  };
}
