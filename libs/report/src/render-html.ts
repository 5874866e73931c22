import { formatMs, formatPct, pointsRange, signedPct, signedPoints } from './format';
import type { Comparison, LatencyStats, Report, VariantReport } from './report-types';
import { escapeHtml as h, percentileCurveChart, stackedBarChart, variantColour, waterfallChart } from './charts';
import { changeText, ciText, detectable, sampleSize, verdictText } from './render-markdown';

/**
 * report.html: one self-contained file (inline CSS and SVG; no script, font, image or link that
 * loads anything). Product manager first: the plain-language summary and headline figures, then
 * the evidence an SRE checks, then provenance and a glossary of every term used.
 */
export function renderHtml(report: Report): string {
  const sections = [
    summarySection(report),
    calibrationSection(report),
    comparisonSection(report),
    percentileSection(report),
    distributionSection(report),
    criticalPathSection(report),
    exemplarSection(report),
    databaseSection(report),
    validitySection(report),
    operationsSection(report),
    conversionSection(report),
    provenanceSection(report),
    glossarySection(),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${h(report.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header><h1>${h(report.title)}</h1><p class="meta">Generated ${h(report.generated_at)} · baseline <strong>${h(report.experiment.baseline)}</strong> · ${report.validity.valid_runs} of ${report.validity.runs} runs valid${excludedNote(report)}</p></header>
<nav><a href="#summary">Summary</a> ${report.calibration.length ? '<a href="#calibration">Calibration</a> ' : ''}<a href="#comparisons">Comparisons</a> <a href="#percentiles">Percentiles</a> <a href="#distribution">Distribution</a> <a href="#critical-path">Critical path</a> <a href="#exemplars">Exemplar traces</a> <a href="#database">Database</a> <a href="#validity">Load validity</a> <a href="#operations">Operations</a> <a href="#conversion">Conversion model</a> <a href="#provenance">Provenance</a> <a href="#glossary">Glossary</a></nav>
${sections.join('\n')}
</main>
</body>
</html>
`;
}

function summarySection(report: Report): string {
  const cards = report.variants
    .slice(1)
    .map((cand) => {
      const get = (metric: Comparison['metric']) => report.comparisons.find((c) => c.candidate === cand.name && c.metric === metric);
      return `<div class="card"><h3>${h(cand.name)} <span class="vs">vs ${h(report.experiment.baseline)}</span></h3>${[
        get('payment_mean_ms'),
        get('checkout_p95_ms'),
        get('timeout_rate'),
        get('success_rate'),
      ]
        .filter((c): c is Comparison => c !== undefined)
        .map(headline)
        .join('')}</div>`;
    })
    .join('');
  return `<section id="summary"><h2>Summary</h2>
<ul class="summary">${report.summary.map((line) => `<li>${h(line)}</li>`).join('')}</ul>
<div class="cards">${cards}</div>
<p class="note">Lower latency and fewer timeouts are better; higher success and conversion are better. "95 % CI" is the range the true change most likely lies in (see the glossary). A verdict needs at least ${report.statistics.min_repetitions} valid runs of each variant.</p>
</section>`;
}

/** Page one says how many runs were left out and why (the details are under Load validity). */
function excludedNote(report: Report): string {
  const excluded = report.validity.invalid.filter((r) => !r.reason.startsWith('warm-up'));
  if (!excluded.length) return '';
  return ` · <a href="#validity" class="bad">${excluded.length} excluded from every verdict: ${h(excluded.map((r) => r.reason.replace(/^failed load validity: /, '')).join(' | '))}</a>`;
}

/** Known delays injected at known spans, and whether the report found them there. */
function calibrationSection(report: Report): string {
  if (!report.calibration.length) return '';
  const rows = report.calibration
    .map(
      (c) =>
        `<tr class="${c.passed ? '' : 'invalid'}"><td>${h(c.variant)}</td><td>${h(c.service)}: ${h(c.operation)}</td><td class="num">${c.injected_ms} ms</td><td class="num">${h(formatMs(c.end_to_end_delta_ms))}</td><td class="num">${c.end_to_end_ci95 ? `${c.end_to_end_ci95[0].toFixed(1)} to ${c.end_to_end_ci95[1].toFixed(1)} ms` : '–'}</td><td class="num">${h(formatMs(c.critical_path_delta_ms))}</td><td class="num">${h(formatMs(c.in_span_delta_ms))}</td><td class="num">${h(formatPct(c.attributed_share))}</td><td class="${c.passed ? 'good' : 'bad'}">${c.passed ? 'recovered' : h(c.problems.join('; '))}</td></tr>`,
    )
    .join('');
  return `<section id="calibration"><h2>Calibration: does the report find a delay we put there on purpose?</h2>
<p>Each row is a variant that adds a known, fixed delay inside one span and nothing else. The report passes when the end-to-end change in mean checkout latency is within ±10 % of the injected amount and its 95 % interval contains it, and when at least 90 % of the change in the critical path is attributed to the span where the delay was injected.</p>
<table><thead><tr><th>variant</th><th>injected into</th><th>injected</th><th>measured end to end</th><th>95 % CI</th><th>critical-path change</th><th>…in that span</th><th>share</th><th>result</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function headline(c: Comparison): string {
  const fmt = (v: number | null) => (c.unit === 'ms' ? formatMs(v) : formatPct(v));
  return `<div class="headline"><span class="label">${h(c.label)}</span><span class="values">${h(fmt(c.baseline_value))} → <strong>${h(fmt(c.candidate_value))}</strong></span>${verdictBadge(c)}</div>`;
}

function verdictBadge(c: Comparison): string {
  return `<span class="verdict verdict-${h(c.verdict)}">${h(verdictText(c))}</span>`;
}

function comparisonSection(report: Report): string {
  const rows = report.comparisons
    .map((c) => {
      const fmt = (v: number | null) => (c.unit === 'ms' ? formatMs(v) : formatPct(v));
      return `<tr><td>${h(c.label)}</td><td>${h(c.candidate)}</td><td class="num">${h(fmt(c.baseline_value))}</td><td class="num">${h(fmt(c.candidate_value))}</td><td class="num">${h(changeText(c))}</td><td class="num">${h(ciText(c))}</td><td class="num">${h(detectable(c))}</td><td>${verdictBadge(c)}</td><td class="num">${h(sampleSize(c))}</td></tr>`;
    })
    .join('');
  return `<section id="comparisons"><h2>Comparisons with ${h(report.experiment.baseline)}</h2>
<p>Runs are the unit of evidence. Durations: the mean over a variant's valid runs of each run's figure, compared as a ratio (${h(report.statistics.interval_method)}). Rates: ${h(report.statistics.rate_method)}. "Smallest detectable" is the change this design finds with ${report.statistics.power * 100} % power at the ${report.statistics.alpha * 100} % level, from the observed run-to-run spread: a smaller change cannot be told from noise here. "points" means percentage points.</p>
<table><thead><tr><th>metric</th><th>variant</th><th>baseline value</th><th>variant value</th><th>change</th><th>95 % CI of change</th><th>smallest detectable</th><th>verdict</th><th>n: runs (base / cand.); checkouts</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function percentileSection(report: Report): string {
  const base = report.variants[0] as VariantReport;
  const cols: [keyof LatencyStats, string][] = [
    ['p50_ms', 'p50'],
    ['p90_ms', 'p90'],
    ['p95_ms', 'p95'],
    ['p99_ms', 'p99'],
    ['mean_ms', 'mean'],
  ];
  const cell = (stats: LatencyStats | undefined, baseStats: LatencyStats | undefined, key: keyof LatencyStats, isBase: boolean) => {
    const v = stats?.[key] ?? null;
    const b = baseStats?.[key] ?? null;
    const delta = !isBase && v !== null && b !== null && b !== 0 ? ` <span class="delta ${v < b ? 'better' : v > b ? 'worse' : ''}">${h(signedPct(((v - b) / b) * 100))}</span>` : '';
    return `<td class="num">${h(formatMs(v))}${delta}</td>`;
  };
  const rows: string[] = [];
  const stepNames = [...new Set(report.variants.flatMap((v) => Object.keys(v.steps)))];
  const blocks: { label: string; of: (v: VariantReport) => LatencyStats | undefined }[] = [
    ...stepNames.map((s) => ({ label: `${s} (client)`, of: (v: VariantReport) => v.steps[s] })),
    { label: 'checkout (server span)', of: (v: VariantReport) => v.checkout },
    { label: 'payment processing', of: (v: VariantReport) => v.payment },
  ];
  for (const block of blocks) {
    for (const v of report.variants) {
      const stats = block.of(v);
      rows.push(`<tr><td>${h(block.label)}</td><td>${h(v.name)}</td>${cols.map(([k]) => cell(stats, block.of(base), k, v === base)).join('')}<td class="num">${stats?.count ?? '–'}</td></tr>`);
    }
  }
  return `<section id="percentiles"><h2>Latency percentiles</h2>
<p>Client-side steps come from the load generator's summaries (mean over valid runs of each run's percentile); server spans are pooled over valid runs. Changes are relative to ${h(base.name)}; green is faster.</p>
<table><thead><tr><th>what</th><th>variant</th>${cols.map(([, l]) => `<th>${l}</th>`).join('')}<th>count</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function distributionSection(report: Report): string {
  const series = report.variants.map((v, i) => ({ name: v.name, colour: variantColour(i), points: v.checkout_curve }));
  if (series.every((s) => s.points.length === 0)) return `<section id="distribution"><h2>Latency distribution</h2><p>No checkout spans in the valid runs.</p></section>`;
  return `<section id="distribution"><h2>Latency distribution</h2>
<p>How long checkouts took, from the fastest (left) to the slowest one in a thousand (right). A curve lower down is faster; a curve that shoots up at the right has a slow tail: those are the shoppers who waited longest.</p>
${percentileCurveChart(series, 'Checkout latency by percentile')}</section>`;
}

function criticalPathSection(report: Report): string {
  const keyOf = (o: { service: string; operation: string }) => `${o.service}: ${o.operation}`;
  const totals = new Map<string, number>();
  for (const v of report.variants) for (const o of v.critical_path.operations) totals.set(keyOf(o), Math.max(totals.get(keyOf(o)) ?? 0, o.mean_ms));
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  const top = ranked.slice(0, 9);
  const keys = ranked.length > top.length ? [...top, 'other'] : top;
  const rows = report.variants.map((v) => {
    const segs = new Map<string, number>();
    for (const o of v.critical_path.operations) {
      const k = top.includes(keyOf(o)) ? keyOf(o) : 'other';
      segs.set(k, (segs.get(k) ?? 0) + o.mean_ms);
    }
    return { label: v.name, segments: keys.map((k) => ({ key: k, value: segs.get(k) ?? 0 })) };
  });
  const attribution = report.attribution
    .map(
      (a) => `<h3>${h(a.candidate)} vs ${h(a.baseline)}</h3><table><thead><tr><th>service</th><th>operation</th><th>${h(a.baseline)}</th><th>${h(a.candidate)}</th><th>change</th></tr></thead><tbody>${a.operations
        .slice(0, 10)
        .map(
          (o) =>
            `<tr><td>${h(o.service)}</td><td>${h(o.operation)}</td><td class="num">${o.baseline_ms.toFixed(1)} ms</td><td class="num">${o.candidate_ms.toFixed(1)} ms</td><td class="num"><span class="delta ${o.delta_ms < 0 ? 'better' : o.delta_ms > 0 ? 'worse' : ''}">${o.delta_ms > 0 ? '+' : ''}${o.delta_ms.toFixed(1)} ms</span></td></tr>`,
        )
        .join('')}</tbody></table>`,
    )
    .join('');
  const any = report.variants.some((v) => v.critical_path.traces > 0);
  return `<section id="critical-path"><h2>Where the time went: the critical path</h2>
<p>For every checkout, the critical path is the chain of work that decided when the answer came back. Each bar shows, per variant, the average checkout split by the service and operation whose own time lay on that path. A segment that shrinks between variants is where the saved time came from.</p>
${any ? stackedBarChart(rows, keys, 'Mean checkout time on the critical path, by service and operation') : '<p>No checkout traces in the valid runs.</p>'}
${attribution}
<p class="note">Traces analysed: ${report.variants.map((v) => `${h(v.name)} ${v.critical_path.traces}${v.critical_path.orphans ? ` (${v.critical_path.orphans} orphan spans)` : ''}`).join(', ')}.</p></section>`;
}

function exemplarSection(report: Report): string {
  const blocks: string[] = [];
  for (const v of report.variants) {
    for (const e of v.exemplars) {
      const chart = waterfallChart(
        e.spans.map((s) => ({ label: `${s.service}: ${s.name}`, startMs: s.start_ms, durationMs: s.duration_ms, depth: s.depth, error: s.status === 'error', critical: s.on_critical_path })),
        e.duration_ms,
        `${v.name}: ${e.which === 'median' ? 'a typical (median)' : 'a slow (p99)'} checkout, ${formatMs(e.duration_ms)}`,
      );
      // The trace id opens the lab's trace viewer when there is one, else Jaeger; with both, Jaeger gets its own link.
      const id = e.viewer_url
        ? `<a class="trace-viewer" href="${h(e.viewer_url)}">${h(e.trace_id)}</a>${e.jaeger_url ? ` (<a class="jaeger" href="${h(e.jaeger_url)}">Jaeger</a>)` : ''}`
        : e.jaeger_url
          ? `<a class="jaeger" href="${h(e.jaeger_url)}">${h(e.trace_id)}</a>`
          : `<code>${h(e.trace_id)}</code>`;
      blocks.push(
        `<div class="exemplar"><p>Trace ${id} · run <code>${h(e.run_id)}</code> · outcome <strong>${h(e.outcome)}</strong>${e.spans_omitted ? ` · ${e.spans_omitted} more spans not drawn` : ''}</p>${chart}</div>`,
      );
    }
  }
  return `<section id="exemplars"><h2>Exemplar traces</h2>
<p>One typical and one slow checkout of each variant, drawn as waterfalls: each row is a span (one piece of work), placed on a time axis. Dark bars are on the critical path; red outlines mark errors.${exemplarLinksNote(report)}</p>
${blocks.length ? blocks.join('') : '<p>No checkout traces in the valid runs.</p>'}</section>`;
}

/** Where the exemplars' trace ids lead, and what has to run for the viewer's links to answer. */
function exemplarLinksNote(report: Report): string {
  const viewer = report.trace_viewer;
  if (!viewer) return report.jaeger_url ? ' Trace ids link to Jaeger.' : '';
  return ` Trace ids open in the lab's trace viewer (${h(viewer.url)}) while <code>${h(viewer.command)}</code> runs${report.jaeger_url ? '; "Jaeger" opens the trace in Jaeger' : ''}.`;
}

function databaseSection(report: Report): string {
  const blocks = report.variants.map((v) => {
    const db = v.database;
    if (!db) return `<div class="db"><h3>${h(v.name)}</h3><p>No database evidence recorded.</p></div>`;
    const access = {
      sequential_scan: 'Sequential scan: the database reads the whole table to find one user\'s address.',
      index_scan: 'Index scan: the database jumps to the user\'s rows through an index.',
      key_lookup: 'Key lookup: the key-value store fetches the item by its key (the user id) directly.',
      unknown: 'Access method not recognised in the plan.',
    }[db.access];
    const statements = db.statements.length
      ? `<table><thead><tr><th>statement</th><th>calls</th><th>mean</th><th>total</th><th>rows</th></tr></thead><tbody>${db.statements
          .slice(0, 5)
          .map((s) => `<tr><td><code>${h(s.query)}</code></td><td class="num">${s.calls}</td><td class="num">${s.mean_ms.toFixed(2)} ms</td><td class="num">${s.total_ms.toFixed(0)} ms</td><td class="num">${s.rows}</td></tr>`)
          .join('')}</tbody></table>`
      : '';
    const capacity = db.consumed_capacity
      ? `<p>Consumed capacity: ${db.consumed_capacity.read_units} read units, ${db.consumed_capacity.write_units} write units${db.consumed_capacity.read_units_per_lookup !== null ? ` (${db.consumed_capacity.read_units_per_lookup} read units per lookup)` : ''}.</p>`
      : '';
    return `<div class="db"><h3>${h(v.name)} <span class="access access-${h(db.access)}">${h(db.access.replace('_', ' '))}</span></h3><p>${h(access)}${db.profile ? ` (SQL profile <code>${h(db.profile)}</code>)` : ''}</p>${db.plan ? `<pre>${h(db.plan)}</pre>` : ''}${statements}${capacity}</div>`;
  });
  return `<section id="database"><h2>Database evidence</h2><p>How each variant's billing-address store finds one user's address: the query plan PostgreSQL chose (EXPLAIN ANALYZE), the statement statistics (pg_stat_statements) or the DynamoDB capacity consumed.</p>${blocks.join('')}</section>`;
}

function validitySection(report: Report): string {
  const b = report.validity.bounds;
  const rows = report.variants
    .flatMap((v) => v.runs)
    .map((r) => {
      const check = (name: string) => r.checks.find((c) => c.name === name);
      const cell = (name: string, text: string) => {
        const c = check(name);
        const cls = c?.ok === false ? 'bad' : c?.ok === true ? 'good' : '';
        return `<td class="num ${cls}">${h(text)}</td>`;
      };
      return `<tr class="${r.valid ? '' : 'invalid'}"><td><code>${h(r.run_id)}</code></td><td>${h(r.variant)}</td>${cell('achieved_rate', `${r.achieved_rate ?? '–'} / ${r.target_rate}`)}${cell('dropped_iterations', String(r.dropped_iterations ?? '–'))}${cell('schedule_lag_p99', r.schedule_lag_p99_ms === null ? '–' : `${r.schedule_lag_p99_ms} ms`)}${cell('event_loop_delay_p99', r.event_loop_delay_p99_ms === null ? '–' : `${r.event_loop_delay_p99_ms} ms`)}${cell('spans_lost', String(r.spans_lost ?? '–'))}<td class="num">${r.spans}</td><td>${r.valid ? 'valid' : h(r.excluded_reason ?? 'excluded')}</td></tr>`;
    })
    .join('');
  return `<section id="validity"><h2>Load validity</h2>
<p>A comparison is only fair if every variant received the load that was planned. A run counts when the achieved rate is within ±${(b.rateTolerance * 100).toFixed(0)} % of the target, at most ${(b.maxDroppedFraction * 100).toFixed(1)} % of planned iterations were dropped, the load generator started iterations at most ${b.maxScheduleLagP99Ms} ms late and its event loop was blocked at most ${b.maxEventLoopDelayP99Ms} ms (both at p99), and at most ${(b.maxSpansLostFraction * 100).toFixed(1)} % of spans were lost. Runs that fail are shown but left out of every verdict; warm-up runs are never counted.</p>
<table><thead><tr><th>run</th><th>variant</th><th>rate (achieved / target, it/s)</th><th>dropped</th><th>schedule lag p99</th><th>event-loop delay p99</th><th>spans lost</th><th>spans</th><th>status</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function operationsSection(report: Report): string {
  const blocks = report.variants
    .map((v) => {
      const rows = v.operations
        .slice(0, 25)
        .map(
          (o) =>
            `<tr><td>${h(o.service)}</td><td>${h(o.operation)}</td><td class="num">${o.count ?? 0}</td><td class="num">${h(formatMs(o.p50_ms))}</td><td class="num">${h(formatMs(o.p90_ms))}</td><td class="num">${h(formatMs(o.p95_ms))}</td><td class="num">${h(formatMs(o.p99_ms))}</td><td class="num">${h(formatMs(o.mean_ms))}</td><td class="num">${h(formatPct(o.error_rate))}</td><td class="num">${h(formatPct(o.timeout_rate))}</td></tr>`,
        )
        .join('');
      return `<details><summary>${h(v.name)}: ${v.operations.length} operations</summary><table><thead><tr><th>service</th><th>operation</th><th>count</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>mean</th><th>errors</th><th>timeouts</th></tr></thead><tbody>${rows}</tbody></table></details>`;
    })
    .join('');
  return `<section id="operations"><h2>Span operations</h2><p>Every operation seen in the traces of valid runs (service and span name), pooled over runs.</p>${blocks}</section>`;
}

function conversionSection(report: Report): string {
  const m = report.conversion_model;
  const rows = report.variants
    .map((v) => {
      const change = m.changes.find((c) => c.candidate === v.name);
      const band = v.conversion ? `${formatPct(v.conversion.low)} / ${formatPct(v.conversion.central)} / ${formatPct(v.conversion.high)}` : '–';
      const delta = change ? `${signedPoints(change.central)} (${pointsRange(change.low, change.high)})` : v.baseline ? 'baseline' : '–';
      return `<tr><td>${h(v.name)}</td><td class="num">${h(formatPct(v.success_rate))}</td><td class="num">${h(band)}</td><td class="num">${h(delta)}</td></tr>`;
    })
    .join('');
  return `<section id="conversion"><h2>Estimated conversion: a model</h2>
<p>This is an estimate from a model, not a measurement of real shoppers. In words:</p>
<ul>${m.assumptions.map((a) => `<li>${h(a)}</li>`).join('')}</ul>
<table><thead><tr><th>variant</th><th>checkouts paid</th><th>estimated conversion: low / central / high</th><th>change in points: central (band)</th></tr></thead><tbody>${rows}</tbody></table>
<p class="note">Sources: ${m.sources.map((src) => h(src)).join(' ')}</p></section>`;
}

function provenanceSection(report: Report): string {
  const p = report.provenance;
  const settings = report.variants
    .map((v) => `<tr><td>${h(v.name)}${v.baseline ? ' (baseline)' : ''}</td><td>${h(v.description)}</td><td><code>${h(JSON.stringify(v.settings))}</code></td></tr>`)
    .join('');
  const rationale = Object.entries(p.rationale)
    .map(([k, v]) => `<tr><td><code>${h(k)}</code></td><td>${h(v)}</td></tr>`)
    .join('');
  return `<section id="provenance"><h2>Provenance</h2>
<table><tbody>
<tr><th>experiment</th><td>${h(report.experiment.name ?? '–')}${report.experiment.description ? ` — ${h(report.experiment.description)}` : ''}</td></tr>
<tr><th>started</th><td>${h(p.started_at ?? '–')}</td></tr>
<tr><th>git</th><td><code>${h(stringify(p.git))}</code></td></tr>
<tr><th>machine</th><td><code>${h(stringify(p.machine))}</code></td></tr>
<tr><th>node</th><td><code>${h(stringify(p.node))}</code></td></tr>
<tr><th>percentiles</th><td>${h(report.statistics.percentile_method)}</td></tr>
<tr><th>intervals</th><td>${h(report.statistics.interval_method)}</td></tr>
<tr><th>rates</th><td>${h(report.statistics.rate_method)}</td></tr>
<tr><th>run order</th><td>${p.run_order ? `shuffled within each round, seed ${p.run_order.seed}: ${h(p.run_order.runs.join(', '))}` : 'not recorded'}</td></tr>
<tr><th>CPU isolation</th><td>${h(p.isolation_summary)}</td></tr>
<tr><th>runs read from</th><td>${p.sources.map((s) => `<code>${h(s)}</code>`).join('<br>')}</td></tr>
</tbody></table>
<h3>Variant settings</h3><table><thead><tr><th>variant</th><th>description</th><th>settings</th></tr></thead><tbody>${settings}</tbody></table>
${rationale ? `<h3>Why the settings are what they are</h3><table><tbody>${rationale}</tbody></table>` : ''}</section>`;
}

const GLOSSARY: [string, string][] = [
  ['Checkout', 'The request that pays for a cart: the cart service asks the payment service to charge the card, which first looks up the billing address.'],
  ['Latency', 'How long something took, from request to answer.'],
  ['Percentile (p50, p90, p95, p99)', 'The p95 is the time that 95 % of checkouts beat; only the slowest 5 % took longer. p50 (the median) is the typical case; p99 is the slowest one in a hundred. Computed by linear interpolation between the two nearest values, as k6 does.'],
  ['Mean', 'The average: total time divided by the number of checkouts. A few very slow checkouts pull it up.'],
  ['Trace', 'The record of one shopper\'s checkout as it travelled through the services, made of spans.'],
  ['Span', 'One timed piece of work inside a trace, such as "payment: authorize" or one database query. Spans nest: a parent waits for its children.'],
  ['Critical path', 'The chain of spans that decided when a trace finished. Speeding up work on it speeds up the checkout; work off it ran in parallel and did not delay the answer.'],
  ['Waterfall', 'A drawing of a trace: one row per span, bars placed on a shared time axis.'],
  ['Exemplar trace', 'A real trace picked to illustrate a figure: here the median and the p99 checkout of each variant.'],
  ['Timeout', 'A call that was abandoned because it took longer than its deadline (gRPC DEADLINE_EXCEEDED, HTTP 504). The shopper gets an error.'],
  ['Deadline', 'The longest a service waits for another one before giving up.'],
  ['Success rate', 'The share of checkout attempts that ended paid. Declined cards and failures are not successes.'],
  ['Sequential scan', 'The database reads every row of a table to find the ones it needs: slow on a big table, and slower as the table grows.'],
  ['Index', 'A sorted lookup structure on a column (here: user id), so the database jumps to the right rows instead of reading them all.'],
  ['Index scan', 'A query plan that uses an index to find the rows.'],
  ['Query plan', 'The steps the database chose to run a query (EXPLAIN ANALYZE shows them with real timings).'],
  ['Key-value store', 'A database (here DynamoDB) that stores items under a key and fetches one by its key in a single step: a key lookup.'],
  ['Consumed capacity', 'DynamoDB\'s measure of the work a request cost, in read and write units.'],
  ['Open-model load', 'The load generator starts new checkouts on a fixed schedule, whatever the answers, like shoppers arriving independently. A slow system cannot slow the arrivals down, so its queues show.'],
  ['Dropped iteration', 'A planned checkout flow the load generator could not start because all its virtual users were busy. Many drops mean the planned load was not delivered.'],
  ['Schedule lag', 'How late the load generator started an iteration compared with its plan.'],
  ['Event-loop delay', 'How long the load generator\'s own process was too busy to react. A high value means the generator, not the system, limited the measurement.'],
  ['Repetition (run)', 'One complete measured load test of one variant. Variants run interleaved, one run of each per round, in an order shuffled with a recorded seed, so a slow drift cannot favour one variant.'],
  ['Confidence interval (95 % CI)', 'The range that, by the data, most likely holds the true change. For a duration it is built on the ratio of the two means, so it can never say "faster by more than 100 %"; for a rate it is in percentage points. When it contains no change, the data cannot tell the variants apart.'],
  ['Smallest detectable change', 'The smallest change this experiment finds 8 times out of 10, given how much its runs varied. A real change smaller than this usually shows as "no significant change"; more or longer runs make it smaller.'],
  ['A/A check', 'The same configuration run as two variants (`--aa`). Every verdict other than "no significant change" is then false; at the 5 % level about 1 comparison in 20 is expected to be.'],
  ['Verdict', '"Improved" or "regressed" when the 95 % CI excludes no change, in the better or worse direction; otherwise "no significant change". With fewer than 3 valid runs per variant no verdict is given.'],
  ['Baseline, candidate', 'The baseline is the variant everything is compared against (the "before"); each other variant is a candidate (an "after").'],
  ['Conversion (estimated)', 'The share of checkouts that become orders under the model described above: failed and timed-out checkouts are lost orders, and slower ones convert a little less often. Shown as a low / central / high band.'],
  ['p-th percentile curve', 'Latency plotted against percentile; the right-hand end is the slow tail.'],
];

function glossarySection(): string {
  return `<section id="glossary"><h2>Glossary</h2><dl>${GLOSSARY.map(([t, d]) => `<dt>${h(t)}</dt><dd>${h(d)}</dd>`).join('')}</dl></section>`;
}

function stringify(v: unknown): string {
  if (v === null || v === undefined) return '–';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde1e8;--bg:#fff;--panel:#f6f7f9;--good:#1a7f37;--bad:#b42318}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:16px;margin:16px 0 6px}
.meta,.note{color:var(--muted);font-size:13px}
nav{display:flex;flex-wrap:wrap;gap:10px;font-size:13px;margin:8px 0 0}nav a{color:#2156a5;text-decoration:none}
ul.summary{font-size:17px;padding-left:20px}ul.summary li{margin:6px 0}
.cards{display:flex;flex-wrap:wrap;gap:16px}.card{flex:1 1 300px;background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 16px}
.card h3{margin:0 0 8px}.vs{color:var(--muted);font-weight:normal;font-size:13px}
.headline{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:4px 0;border-top:1px solid var(--line)}
.headline .label{flex:1;color:var(--muted);font-size:13px}.headline .values{white-space:nowrap}
.verdict{font-size:12px;padding:1px 8px;border-radius:10px;white-space:nowrap;background:#e8eaee}
.verdict-improved{background:#dcf3e3;color:var(--good)}.verdict-regressed{background:#fde2e0;color:var(--bad)}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:var(--panel)}td.num{text-align:right;white-space:nowrap}
.delta{font-size:11px;color:var(--muted)}.delta.better{color:var(--good)}.delta.worse{color:var(--bad)}
td.good{color:var(--good)}td.bad{color:var(--bad);font-weight:bold}tr.invalid td{background:#fff4f2}
pre{background:var(--panel);border:1px solid var(--line);padding:8px;overflow:auto;font-size:12px}
code{font-size:12px;word-break:break-all}
.access{font-size:12px;padding:1px 8px;border-radius:10px;background:#e8eaee;font-weight:normal}
.access-sequential_scan{background:#fde2e0;color:var(--bad)}.access-index_scan,.access-key_lookup{background:#dcf3e3;color:var(--good)}
svg.chart{max-width:100%;height:auto;display:block;margin:8px 0;background:#fff}
svg .grid{stroke:#eceef2;stroke-width:1}svg .tick,svg .legend,svg .span-label,svg .bar-label{font-size:11px;fill:#3b4250}
svg .chart-title{font-size:13px;font-weight:bold;fill:#1d2330}svg .axis-label{font-size:12px;fill:#5b6475}
svg .span-bar{fill:#b8c4d6}svg .span-critical{fill:#2f5d9e}svg .span-error{stroke:#d62728;stroke-width:2}
dl dt{font-weight:bold;margin-top:8px}dl dd{margin:0 0 0 16px}
details{margin:6px 0}summary{cursor:pointer}
`;
