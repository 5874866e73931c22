import { formatMs, formatPct, pointsRange, signedPct, signedPoints } from './format';
import type { Comparison, Report } from './report-types';

/** report.md: the summary and the key tables, for a pull request description or comment. */
export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`# ${md(report.title)}`, '');
  for (const line of report.summary) out.push(`- ${md(line)}`);
  out.push('');

  if (report.calibration.length) {
    out.push('## Calibration (known injected delays)', '', '| variant | injected into | injected | measured end to end | 95 % CI | critical-path change | in that span | share | result |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const c of report.calibration) {
      out.push(
        `| ${md(c.variant)} | ${md(c.service)}: ${md(c.operation)} | ${c.injected_ms} ms | ${formatMs(c.end_to_end_delta_ms)} | ${c.end_to_end_ci95 ? `${c.end_to_end_ci95[0].toFixed(1)} to ${c.end_to_end_ci95[1].toFixed(1)} ms` : '–'} | ${formatMs(c.critical_path_delta_ms)} | ${formatMs(c.in_span_delta_ms)} | ${formatPct(c.attributed_share)} | ${c.passed ? 'recovered' : md(c.problems.join('; '))} |`,
      );
    }
    out.push('');
  }

  out.push(
    '## Comparisons',
    '',
    `Baseline: **${md(report.experiment.baseline)}**. Runs are the unit. Durations: mean over valid runs, change as a ratio with its 95 % interval on the log scale. Rates: checkouts pooled over valid runs, change in percentage points with a 95 % interval that allows for run-to-run spread. "Detectable" is the smallest change this design finds with 80 % power.`,
    '',
  );
  out.push('| metric | candidate | baseline | candidate value | change | 95 % CI | detectable | verdict | n (runs; checkouts) |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const c of report.comparisons) {
    out.push(`| ${md(c.label)} | ${md(c.candidate)} | ${value(c, c.baseline_value)} | ${value(c, c.candidate_value)} | ${changeText(c)} | ${ciText(c)} | ${detectable(c)} | ${verdictText(c)} | ${sampleSize(c)} |`);
  }
  out.push('');

  out.push('## Latency per step (client side, ms)', '');
  out.push('| variant | step | p50 | p90 | p95 | p99 | mean |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const v of report.variants) {
    for (const [step, s] of Object.entries(v.steps)) {
      out.push(`| ${md(v.name)} | ${md(step)} | ${n(s.p50_ms)} | ${n(s.p90_ms)} | ${n(s.p95_ms)} | ${n(s.p99_ms)} | ${n(s.mean_ms)} |`);
    }
  }
  out.push('');

  out.push('## Outcomes', '');
  out.push('| variant | valid runs | checkouts | success | timeouts | errors | dropped iterations | payment mean | est. conversion (model: low / central / high) |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const v of report.variants) {
    out.push(
      `| ${md(v.name)}${v.baseline ? ' (baseline)' : ''} | ${v.valid_runs}/${v.runs.length} | ${v.checkouts} | ${formatPct(v.success_rate)} | ${formatPct(v.timeout_rate)} | ${formatPct(v.error_rate)} | ${v.dropped_iterations} | ${formatMs(v.payment.mean_ms)} | ${v.conversion ? `${formatPct(v.conversion.low)} / ${formatPct(v.conversion.central)} / ${formatPct(v.conversion.high)}` : '–'} |`,
    );
  }
  out.push('');

  if (report.attribution.length) {
    out.push('## Where the time went (critical path of a checkout, mean ms per checkout)', '');
    for (const a of report.attribution) {
      out.push(`**${md(a.candidate)} vs ${md(a.baseline)}**`, '', '| service | operation | baseline | candidate | change |', '| --- | --- | --- | --- | --- |');
      for (const o of a.operations.slice(0, 8)) {
        out.push(`| ${md(o.service)} | ${md(o.operation)} | ${o.baseline_ms.toFixed(1)} | ${o.candidate_ms.toFixed(1)} | ${o.delta_ms > 0 ? '+' : ''}${o.delta_ms.toFixed(1)} |`);
      }
      out.push('');
    }
  }

  out.push('## Exemplar traces', '');
  for (const v of report.variants) {
    for (const e of v.exemplars) {
      // The trace id opens the lab's trace viewer when there is one, else Jaeger; with both, Jaeger gets its own link.
      const target = e.viewer_url ?? e.jaeger_url;
      const id = target ? `[\`${e.trace_id}\`](${target})` : `\`${e.trace_id}\``;
      const jaeger = e.viewer_url && e.jaeger_url ? ` ([Jaeger](${e.jaeger_url}))` : '';
      out.push(`- ${md(v.name)}, ${e.which} checkout: ${formatMs(e.duration_ms)} (${md(e.outcome)}), trace ${id}${jaeger}`);
    }
  }
  if (report.trace_viewer) {
    out.push('', `Trace ids open in the lab's trace viewer (${report.trace_viewer.url}) while \`${report.trace_viewer.command}\` runs.`);
  }
  out.push('');

  out.push('## Load validity', '');
  out.push(`${report.validity.valid_runs} of ${report.validity.runs} runs valid.`);
  for (const r of report.validity.invalid) out.push(`- \`${md(r.run_id)}\`: ${md(r.reason)}`);
  out.push('', md(report.provenance.isolation_summary), '');
  out.push('## Estimated conversion (a model)', '');
  for (const line of report.conversion_model.assumptions) out.push(`- ${md(line)}`);
  for (const c of report.conversion_model.changes) {
    out.push(`- ${md(c.candidate)} vs ${md(c.baseline)}: ${signedPoints(c.central)} (band ${pointsRange(c.low, c.high)}).`);
  }
  out.push('', 'Sources:', ...report.conversion_model.sources.map((s) => `- ${md(s)}`), '');
  return out.join('\n');
}

export function verdictText(c: Comparison): string {
  const small = c.below_detectable ? ' (smaller than detectable)' : '';
  switch (c.verdict) {
    case 'improved':
      return `improved${small}`;
    case 'regressed':
      return `regressed${small}`;
    case 'no_significant_change':
      return 'no significant change';
    case 'too_few_repetitions':
      return `too few repetitions (${Math.min(c.n_baseline, c.n_candidate)})`;
    case 'no_data':
      return 'no data';
  }
}

function value(c: Comparison, v: number | null): string {
  return c.unit === 'ms' ? formatMs(v) : formatPct(v);
}

/** The change: a ratio in percent for durations, percentage points for rates. */
export function changeText(c: Comparison): string {
  if (c.delta === null) return '–';
  return c.unit === 'ratio' ? signedPoints(c.delta) : signedPct(c.delta_pct);
}

export function ciText(c: Comparison): string {
  if (!c.ci95) return '–';
  if (c.unit === 'ratio') return `${signedPoints(c.ci95[0])} to ${signedPoints(c.ci95[1])}`;
  return c.ci95_pct ? `${signedPct(c.ci95_pct[0])} to ${signedPct(c.ci95_pct[1])}` : '–';
}

/** The smallest change this design detects (80 % power): "±12.1 %" or "1.5 points". */
export function detectable(c: Comparison): string {
  if (c.min_detectable === null) return c.below_detectable ? 'none (too few checkouts or too much spread)' : '–';
  return c.unit === 'ratio' ? `${(c.min_detectable * 100).toFixed(1)} points` : `${c.min_detectable.toFixed(1)} %`;
}

/** n next to every interval: runs per side, and checkouts for rates. */
export function sampleSize(c: Comparison): string {
  return c.trials_baseline !== null ? `${c.n_baseline} / ${c.n_candidate}; ${c.trials_baseline} / ${c.trials_candidate}` : `${c.n_baseline} / ${c.n_candidate}`;
}


function n(v: number | null): string {
  return v === null ? '–' : v.toFixed(1);
}

/** Keeps user text from breaking a table or turning into markup. */
function md(text: string): string {
  return text.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}
