/**
 * Inline SVG charts for report.html, generated here so the file needs no script, font or image.
 * Every piece of text that goes into the markup passes through `escapeHtml`.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export const VARIANT_COLOURS = ['#c0392b', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const CATEGORY_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function categoryColour(index: number): string {
  return CATEGORY_COLOURS[index % CATEGORY_COLOURS.length] as string;
}

export function variantColour(index: number): string {
  return VARIANT_COLOURS[index % VARIANT_COLOURS.length] as string;
}

const n = (x: number) => (Math.round(x * 10) / 10).toString();

/** A "nice" round axis maximum and step for values up to max. */
function niceScale(max: number, ticks = 5): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  return { max: Math.ceil(max / step) * step, step };
}

function msLabel(ms: number): string {
  if (ms >= 1000) return `${n(ms / 1000)} s`;
  return `${n(ms)} ms`;
}

export interface CurveSeries {
  name: string;
  colour: string;
  points: { percentile: number; ms: number }[];
}

/**
 * Latency by percentile, one curve per variant, on an HDR-style axis that stretches the tail
 * (x = log10(100 / (100 − p)), so 90, 99 and 99.9 are evenly spaced).
 */
export function percentileCurveChart(series: CurveSeries[], title: string): string {
  const width = 720;
  const height = 340;
  const m = { left: 70, right: 20, top: 36, bottom: 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const xOf = (p: number) => Math.log10(100 / (100 - Math.min(p, 99.9)));
  const xMax = xOf(99.9);
  const maxMs = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.ms)));
  const scale = niceScale(maxMs * 1.05);
  const X = (p: number) => m.left + (xOf(p) / xMax) * plotW;
  const Y = (ms: number) => m.top + plotH - (ms / scale.max) * plotH;

  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="20" class="chart-title" text-anchor="middle">${escapeHtml(title)}</text>`);
  for (let v = 0; v <= scale.max + 1e-9; v += scale.step) {
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${n(Y(v))}" y2="${n(Y(v))}" class="grid"/>`);
    parts.push(`<text x="${m.left - 6}" y="${n(Y(v) + 4)}" text-anchor="end" class="tick">${escapeHtml(msLabel(v))}</text>`);
  }
  for (const p of [0, 50, 90, 99, 99.9]) {
    parts.push(`<line x1="${n(X(p))}" x2="${n(X(p))}" y1="${m.top}" y2="${m.top + plotH}" class="grid"/>`);
    parts.push(`<text x="${n(X(p))}" y="${m.top + plotH + 16}" text-anchor="middle" class="tick">p${p}</text>`);
  }
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 22}" text-anchor="middle" class="axis-label">percentile of checkouts (tail stretched to the right)</text>`);
  parts.push(`<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis-label">checkout latency</text>`);
  series.forEach((s, i) => {
    if (!s.points.length) return;
    const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${n(X(p.percentile))},${n(Y(p.ms))}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2.5" class="curve"><title>${escapeHtml(s.name)}</title></path>`);
    for (const p of s.points) {
      parts.push(`<circle cx="${n(X(p.percentile))}" cy="${n(Y(p.ms))}" r="3" fill="${s.colour}"><title>${escapeHtml(`${s.name}: p${p.percentile} = ${msLabel(p.ms)}`)}</title></circle>`);
    }
    const lx = m.left + 10 + i * 170;
    parts.push(`<rect x="${lx}" y="${height - 12}" width="12" height="4" fill="${s.colour}"/><text x="${lx + 16}" y="${height - 8}" class="legend">${escapeHtml(s.name)}</text>`);
  });
  return svg(width, height, title, parts);
}

export interface StackedRow {
  label: string;
  segments: { key: string; value: number }[];
}

/** Horizontal stacked bars (one per variant), segments coloured by key with a shared legend. */
export function stackedBarChart(rows: StackedRow[], keys: string[], title: string, unit = 'ms'): string {
  const width = 720;
  const barH = 28;
  const legendRows = Math.ceil(keys.length / 2);
  const m = { left: 150, right: 70, top: 36 };
  const plotW = width - m.left - m.right;
  const height = m.top + rows.length * (barH + 14) + 30 + legendRows * 18;
  const total = Math.max(0, ...rows.map((r) => r.segments.reduce((s, x) => s + x.value, 0)));
  const scale = niceScale(total);
  const X = (v: number) => (v / scale.max) * plotW;
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="20" class="chart-title" text-anchor="middle">${escapeHtml(title)}</text>`);
  rows.forEach((row, i) => {
    const y = m.top + i * (barH + 14);
    parts.push(`<text x="${m.left - 8}" y="${y + barH / 2 + 4}" text-anchor="end" class="bar-label">${escapeHtml(row.label)}</text>`);
    let x = m.left;
    let sum = 0;
    for (const seg of row.segments) {
      const w = X(seg.value);
      sum += seg.value;
      if (w <= 0) continue;
      const colour = categoryColour(Math.max(0, keys.indexOf(seg.key)));
      parts.push(`<rect x="${n(x)}" y="${y}" width="${n(Math.max(w, 0.5))}" height="${barH}" fill="${colour}"><title>${escapeHtml(`${seg.key}: ${n(seg.value)} ${unit}`)}</title></rect>`);
      x += w;
    }
    parts.push(`<text x="${n(x + 6)}" y="${y + barH / 2 + 4}" class="tick">${escapeHtml(msLabel(sum))}</text>`);
  });
  const legendTop = m.top + rows.length * (barH + 14) + 10;
  keys.forEach((key, i) => {
    const lx = 20 + (i % 2) * 350;
    const ly = legendTop + Math.floor(i / 2) * 18;
    parts.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${categoryColour(i)}"/><text x="${lx + 18}" y="${ly + 10}" class="legend">${escapeHtml(truncate(key, 52))}</text>`);
  });
  return svg(width, height, title, parts);
}

export interface WaterfallSpan {
  label: string;
  startMs: number;
  durationMs: number;
  depth: number;
  error: boolean;
  critical: boolean;
}

/** A trace as a waterfall: one row per span, indented by depth; critical-path spans drawn solid. */
export function waterfallChart(spans: WaterfallSpan[], totalMs: number, title: string): string {
  const width = 720;
  const rowH = 18;
  const m = { left: 260, right: 60, top: 36 };
  const plotW = width - m.left - m.right;
  const height = m.top + spans.length * rowH + 34;
  const scale = niceScale(Math.max(totalMs, ...spans.map((s) => s.startMs + s.durationMs)));
  const X = (ms: number) => m.left + (Math.max(0, ms) / scale.max) * plotW;
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="20" class="chart-title" text-anchor="middle">${escapeHtml(title)}</text>`);
  for (let v = 0; v <= scale.max + 1e-9; v += scale.step) {
    parts.push(`<line x1="${n(X(v))}" x2="${n(X(v))}" y1="${m.top - 4}" y2="${m.top + spans.length * rowH}" class="grid"/>`);
    parts.push(`<text x="${n(X(v))}" y="${m.top + spans.length * rowH + 14}" text-anchor="middle" class="tick">${escapeHtml(msLabel(v))}</text>`);
  }
  spans.forEach((s, i) => {
    const y = m.top + i * rowH;
    const label = truncate(s.label, Math.max(10, 40 - s.depth * 2));
    parts.push(`<text x="${6 + Math.min(s.depth, 12) * 8}" y="${y + 12}" class="span-label">${escapeHtml(label)}</text>`);
    const cls = `${s.critical ? 'span-critical' : 'span-bar'}${s.error ? ' span-error' : ''}`;
    parts.push(
      `<rect x="${n(X(s.startMs))}" y="${y + 3}" width="${n(Math.max(1, X(s.startMs + s.durationMs) - X(s.startMs)))}" height="${rowH - 6}" class="${cls}"><title>${escapeHtml(`${s.label}: starts at ${n(s.startMs)} ms, takes ${n(s.durationMs)} ms${s.critical ? ' (on the critical path)' : ''}${s.error ? ' (error)' : ''}`)}</title></rect>`,
    );
  });
  return svg(width, height, title, parts);
}

function svg(width: number, height: number, title: string, parts: string[]): string {
  return `<svg class="chart" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
