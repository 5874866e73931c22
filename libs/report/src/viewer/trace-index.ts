import { existsSync, promises as fs, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { EXPERIMENT_FILE, findRunDirs, readRunRecord, RUN_FILES, RUNS_DIR, RunRecordError } from '@checkout-lab/run-record';
import {
  ATTR_CHECKOUT_ORDER_ID,
  ATTR_LAB_RUN_ID,
  ATTR_LAB_VARIANT,
  ATTR_PAYMENT_DECLINE_CODE,
  ATTR_STRIPE_REQUEST_ID,
  parseOtlpJson,
  readOtlpJsonLines,
  readOtlpJsonRanges,
  spanDurationMs,
  TraceFormatError,
  type AttributeValue,
  type ByteRange,
  type FlatSpan,
  type OtlpReadOptions,
} from '@checkout-lab/telemetry';
import { ANALYSED_ATTRIBUTES, checkoutResult, isCheckoutSpan } from '../checkout-spans';
import { criticalPath, spansOnPath, traceRoot } from '../critical-path';

/**
 * The trace viewer's index: every trace of the runs it serves, summarised (run, variant,
 * services, outcome, duration), with where its spans are in the span files. A trace's spans are
 * read again, whole, only when it is opened, so memory holds summaries, not spans: a run of 100k
 * spans is read once, compactly, to build its summaries, and then let go.
 *
 * What it serves, per directory given:
 * - an experiment directory (experiment.json, runs/<name>/run.json) or a run directory (run.json):
 *   the runs libs/run-record defines, with run id and variant from run.json. A run appears once
 *   its run.json is written, which the experiment runner does last: a run being written is never
 *   half read.
 * - otherwise, directories of span files: `<dir>/spans/`, `<dir>/runs/<name>/spans/` (a faults
 *   experiment) or `<dir>/<run id>/spans/` (the embedded trace receiver's store, which `up` fills).
 *   The run id is the directory's name; the variant comes from each trace's `lab.variant`.
 *
 * Files that change (the receiver appends to them while `up` runs) are read again at the next
 * refresh.
 */

/** A directory the viewer cannot serve; the message names it and says what was expected. */
export class ViewerInputError extends Error {
  override readonly name = 'ViewerInputError';
}

/** One trace in the list. */
export interface TraceSummary {
  traceId: string;
  runId: string;
  variant: string | null;
  /** The trace's root span (the one without a parent, or the longest). */
  rootService: string;
  rootName: string;
  services: string[];
  /** The root's start, ms since the epoch. */
  startMs: number;
  /** The root's duration. */
  durationMs: number;
  /** Cart's checkout request span, the duration the report measures; null when the trace holds no checkout. */
  checkoutMs: number | null;
  /** How the checkout ended, as the report counts it (paid, declined, error, timeout, …); null when the trace holds no checkout. */
  outcome: string | null;
  spans: number;
  errors: number;
}

/** The outcome filter's value for traces without a checkout. */
export const NO_CHECKOUT = 'none';

export const SORT_KEYS = ['start', 'duration', 'checkout', 'spans'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface TraceQuery {
  run?: string;
  variant?: string;
  service?: string;
  /** An outcome, or NO_CHECKOUT. */
  outcome?: string;
  /** Words that must all appear in the trace (ids, run, variant, services, span names, outcome, order id, error messages), case-insensitive. */
  text?: string;
  minMs?: number;
  maxMs?: number;
  sort?: SortKey;
  order?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

export interface Facet {
  value: string;
  count: number;
}

export interface TraceList {
  /** Traces that match the query (of which `traces` is the page asked for). */
  total: number;
  offset: number;
  traces: TraceSummary[];
  /** Every value of each filter over all traces, with counts. */
  facets: { runs: Facet[]; variants: Facet[]; services: Facet[]; outcomes: Facet[] };
  indexed: { runs: number; traces: number; spans: number };
  /** Span files that could not be read (fully); the traces read before the problem are listed. */
  problems: string[];
}

export interface SpanDetail {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: FlatSpan['kind'];
  service: string;
  /** Nesting under the root (0), in waterfall order. */
  depth: number;
  /** From the root's start. */
  startMs: number;
  durationMs: number;
  status: FlatSpan['status'];
  statusMessage: string | null;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
  events: { name: string; timeMs: number; attributes: Record<string, AttributeValue> }[];
  /** The trace's critical path runs through it (see spansOnPath in critical-path.ts). */
  onCriticalPath: boolean;
  /** Its own time on the critical path (ms): what it added to the trace's duration; 0 off the path, or when a child on it covers all of it. */
  criticalMs: number;
}

export interface TraceDetail {
  trace: TraceSummary;
  rootSpanId: string;
  /** Depth first from the root, children by start; spans whose parent is missing follow under the root. */
  spans: SpanDetail[];
  /** The report's critical path of the whole trace: the spans it runs through, and its segments (each span's own time on it), which tile [0, totalMs]. */
  criticalPath: { totalMs: number; spanIds: string[]; segments: { spanId: string; startMs: number; endMs: number }[] };
}

export interface TraceIndexOptions {
  dirs: readonly string[];
  /**
   * The directories fill while the viewer runs (`up`, `experiment`): a directory that does not
   * exist yet or holds no run yet is empty, not an error.
   */
  live?: boolean;
  /** Called before each refresh: `up` has the trace receiver decode the batches it spooled. */
  beforeRefresh?: () => Promise<void>;
  /** A refresh within this long of the last one is skipped (ms, default 1000). */
  refreshIntervalMs?: number;
  /** Told about each run read: "reading run 2/9: 02-dynamodb-r1 (1,234 traces, 29,616 spans)". */
  onProgress?: (line: string) => void;
}

/** Span attributes the index keeps while it summarises: the report's, the baggage, and what the text search looks in. */
const SEARCHED_ATTRIBUTES = [ATTR_CHECKOUT_ORDER_ID, ATTR_PAYMENT_DECLINE_CODE, ATTR_STRIPE_REQUEST_ID, 'error.type'] as const;
const INDEX_READ: OtlpReadOptions = { attributes: [...ANALYSED_ATTRIBUTES, ATTR_LAB_RUN_ID, ATTR_LAB_VARIANT, ...SEARCHED_ATTRIBUTES], events: false };
const SPAN_FILE = /\.jsonl?$/;

/** A run as the index knows it: where its span files are and what run.json says. */
interface RunSource {
  dir: string;
  runId: string;
  /** From run.json; undefined for a directory of span files (each trace's lab.variant then). */
  variant: string | undefined;
  files: string[];
}

interface IndexedTrace {
  summary: TraceSummary;
  /** Lowercase text the search looks in. */
  text: string;
  /** Where its spans are: per file of its run, the lines (byte ranges) that hold any. */
  where: { file: string; lines: ByteRange[] }[];
}

interface IndexedRun {
  source: RunSource;
  /** Size and modification time of every file when it was read: a change means read it again. */
  signature: string;
  traces: IndexedTrace[];
  spans: number;
  problems: string[];
}

export class TraceIndex {
  private readonly runs = new Map<string, IndexedRun>();
  /** Trace id → its traces (normally one; the same id in two runs is kept twice). */
  private readonly byId = new Map<string, IndexedTrace[]>();
  private refreshing: Promise<void> | undefined;
  private refreshedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: TraceIndexOptions) {}

  /** Finds the runs (throws ViewerInputError for a directory that holds none, unless live) and reads what is new or changed. */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (Date.now() - this.refreshedAt < (this.options.refreshIntervalMs ?? 1000)) return Promise.resolve();
    this.refreshing = this.doRefresh().finally(() => {
      this.refreshedAt = Date.now();
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  list(query: TraceQuery = {}): TraceList {
    const terms = (query.text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const matches: TraceSummary[] = [];
    for (const { summary: s, text } of this.all()) {
      if (query.run !== undefined && s.runId !== query.run) continue;
      if (query.variant !== undefined && s.variant !== query.variant) continue;
      if (query.service !== undefined && !s.services.includes(query.service)) continue;
      if (query.outcome !== undefined && (s.outcome ?? NO_CHECKOUT) !== query.outcome) continue;
      if (query.minMs !== undefined && s.durationMs < query.minMs) continue;
      if (query.maxMs !== undefined && s.durationMs > query.maxMs) continue;
      if (!terms.every((term) => text.includes(term))) continue;
      matches.push(s);
    }
    const key = SORT_VALUE[query.sort ?? 'start'];
    const sign = query.order === 'asc' ? 1 : -1;
    // Missing values (a trace without a checkout, sorted by checkout) go last either way; ties by start, then id.
    matches.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      if (x !== y) return x === null ? 1 : y === null ? -1 : sign * (x - y);
      return sign * (a.startMs - b.startMs) || a.traceId.localeCompare(b.traceId);
    });
    const offset = query.offset ?? 0;
    const all = [...this.all()].map((t) => t.summary);
    return {
      total: matches.length,
      offset,
      traces: matches.slice(offset, offset + (query.limit ?? 100)),
      facets: {
        runs: facet(all.map((s) => s.runId)),
        variants: facet(all.flatMap((s) => (s.variant === null ? [] : [s.variant]))),
        services: facet(all.flatMap((s) => s.services)),
        outcomes: facet(all.map((s) => s.outcome ?? NO_CHECKOUT)),
      },
      indexed: { runs: this.runs.size, traces: all.length, spans: [...this.runs.values()].reduce((n, r) => n + r.spans, 0) },
      problems: [...this.runs.values()].flatMap((r) => r.problems),
    };
  }

  /** One trace, its spans read from the files with every attribute and event; undefined when no run holds it. `runId` picks among runs that share the id. */
  async trace(traceId: string, runId?: string): Promise<TraceDetail | undefined> {
    const candidates = this.byId.get(traceId) ?? [];
    const found = runId === undefined ? candidates[0] : candidates.find((t) => t.summary.runId === runId);
    if (!found) return undefined;
    const spans: FlatSpan[] = [];
    for (const { file, lines } of found.where) {
      for (const span of await readOtlpJsonRanges(file, lines, { traces: new Set([traceId]) })) spans.push(span);
    }
    return detail(found.summary, spans);
  }

  private *all(): Iterable<IndexedTrace> {
    for (const run of this.runs.values()) yield* run.traces;
  }

  private async doRefresh(): Promise<void> {
    await this.options.beforeRefresh?.();
    const sources = findSources(this.options.dirs, this.options.live ?? false);
    const seen = new Set<string>();
    for (const [i, source] of sources.entries()) {
      seen.add(source.dir);
      const signature = await filesSignature(source.files);
      const known = this.runs.get(source.dir);
      if (known && known.signature === signature) continue;
      const run = await indexRun(source, signature);
      this.runs.set(source.dir, run);
      const count = (n: number, what: string) => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
      this.options.onProgress?.(`reading run ${i + 1}/${sources.length}: ${path.basename(source.dir)} (${count(run.traces.length, 'trace')}, ${count(run.spans, 'span')})`);
    }
    for (const dir of [...this.runs.keys()]) if (!seen.has(dir)) this.runs.delete(dir);
    this.byId.clear();
    for (const trace of this.all()) {
      const list = this.byId.get(trace.summary.traceId);
      if (list) list.push(trace);
      else this.byId.set(trace.summary.traceId, [trace]);
    }
  }
}

const SORT_VALUE: Record<SortKey, (s: TraceSummary) => number | null> = {
  start: (s) => s.startMs,
  duration: (s) => s.durationMs,
  checkout: (s) => s.checkoutMs,
  spans: (s) => s.spans,
};

function facet(values: Iterable<string>): Facet[] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => a.value.localeCompare(b.value));
}

// ---------------------------------------------------------------------------------------------
// Finding the runs

function findSources(dirs: readonly string[], live: boolean): RunSource[] {
  const sources: RunSource[] = [];
  for (const given of dirs) {
    const dir = path.resolve(given);
    if (!isDirectory(dir)) {
      if (live) continue;
      throw new ViewerInputError(`${given}: no such directory`);
    }
    const found = runRecordSources(dir) ?? spanDirSources(dir);
    if (found.length === 0 && !live) {
      throw new ViewerInputError(
        `${given}: no runs here (expected an experiment directory with runs/*/run.json, a run directory with run.json, or directories of span files: spans/*.json, runs/*/spans/*.json or <run id>/spans/*.json)`,
      );
    }
    sources.push(...found);
  }
  return sources;
}

/**
 * The runs libs/run-record defines under `dir`; undefined when `dir` is neither a run nor an
 * experiment directory. An experiment directory (experiment.json) with no finished run yet has none.
 */
function runRecordSources(dir: string): RunSource[] | undefined {
  let runDirs: string[];
  try {
    runDirs = findRunDirs([dir]).runDirs;
  } catch (error) {
    if (!(error instanceof RunRecordError)) throw error;
    return existsSync(path.join(dir, EXPERIMENT_FILE)) ? [] : undefined;
  }
  return runDirs.map((runDir) => {
    let meta;
    try {
      meta = readRunRecord(runDir).meta;
    } catch (error) {
      if (error instanceof RunRecordError) throw new ViewerInputError(error.message);
      throw error;
    }
    return { dir: runDir, runId: meta.runId, variant: meta.variant, files: spanFiles(path.join(runDir, RUN_FILES.spans)) };
  });
}

/** Directories of span files: `dir` itself, `dir/runs/*`, or `dir/*` (the receiver's store, which keeps its spool in `.spool`). */
function spanDirSources(dir: string): RunSource[] {
  const source = (runDir: string): RunSource => ({ dir: runDir, runId: path.basename(runDir), variant: undefined, files: spanFiles(path.join(runDir, RUN_FILES.spans)) });
  if (isDirectory(path.join(dir, RUN_FILES.spans))) return [source(dir)];
  const parent = isDirectory(path.join(dir, RUNS_DIR)) ? path.join(dir, RUNS_DIR) : dir;
  return readdirSync(parent)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => path.join(parent, name))
    .filter((runDir) => isDirectory(path.join(runDir, RUN_FILES.spans)))
    .map(source);
}

function spanFiles(spansDir: string): string[] {
  if (!isDirectory(spansDir)) return [];
  return readdirSync(spansDir)
    .filter((name) => SPAN_FILE.test(name))
    .sort()
    .map((name) => path.join(spansDir, name));
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

async function filesSignature(files: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const file of files) {
    const stat = await fs.stat(file).catch(() => undefined);
    parts.push(`${file}:${stat?.size ?? -1}:${stat?.mtimeMs ?? -1}`);
  }
  return parts.join('|');
}

// ---------------------------------------------------------------------------------------------
// Reading a run

/** Reads a run's span files compactly, line by line, noting which lines hold each trace, then summarises each trace and lets its spans go. */
async function indexRun(source: RunSource, signature: string): Promise<IndexedRun> {
  const traces = new Map<string, { spans: FlatSpan[]; where: Map<string, ByteRange[]> }>();
  const problems: string[] = [];
  let spanCount = 0;
  const add = (file: string, range: ByteRange, spans: readonly FlatSpan[]) => {
    for (const span of spans) {
      let trace = traces.get(span.traceId);
      if (!trace) traces.set(span.traceId, (trace = { spans: [], where: new Map() }));
      trace.spans.push(span);
      const lines = trace.where.get(file);
      if (!lines) trace.where.set(file, [range]);
      else if (lines[lines.length - 1] !== range) lines.push(range);
    }
    spanCount += spans.length;
  };
  for (const file of source.files) {
    let lines = 0;
    try {
      for await (const line of readOtlpJsonLines(file, INDEX_READ)) {
        lines++;
        add(file, { offset: line.offset, length: line.length }, line.spans);
      }
    } catch (error) {
      if (!(error instanceof TraceFormatError)) throw error;
      // Not JSON lines but one document (a request, or an array of them, over many lines): its one "line" is the whole file.
      const whole = lines === 0 ? await readWholeDocument(file) : undefined;
      if (whole) add(file, whole.range, whole.spans);
      else problems.push(error.message);
    }
  }
  const indexed: IndexedTrace[] = [];
  for (const [traceId, trace] of traces) {
    const summary = summarise(traceId, source, trace.spans);
    indexed.push({ summary, text: searchText(summary, trace.spans), where: [...trace.where].map(([file, lines]) => ({ file, lines })) });
  }
  return { source, signature, traces: indexed, spans: spanCount, problems };
}

async function readWholeDocument(file: string): Promise<{ range: ByteRange; spans: FlatSpan[] } | undefined> {
  const text = await fs.readFile(file, 'utf8');
  try {
    return { range: { offset: 0, length: Buffer.byteLength(text) }, spans: parseOtlpJson(text, file, INDEX_READ) };
  } catch {
    return undefined;
  }
}

function summarise(traceId: string, source: RunSource, spans: readonly FlatSpan[]): TraceSummary {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const root = traceRoot(spans, byId) as FlatSpan; // a trace in the index has at least one span
  // A flow checks out once; should a trace hold more than one attempt, the last one speaks for it.
  const checkouts = spans.filter(isCheckoutSpan).sort((a, b) => (a.startUnixNano < b.startUnixNano ? -1 : 1));
  const last = checkouts[checkouts.length - 1];
  const checkout = last ? checkoutResult(last, byId) : undefined;
  const variant = source.variant ?? stringAttribute(spans, ATTR_LAB_VARIANT);
  return {
    traceId,
    runId: source.runId,
    variant: variant ?? null,
    rootService: root.service,
    rootName: root.name,
    services: [...new Set(spans.map((s) => s.service))].sort(),
    startMs: Number(root.startUnixNano / 1000n) / 1000,
    durationMs: spanDurationMs(root),
    checkoutMs: checkout ? spanDurationMs(checkout.requestSpan) : null,
    outcome: checkout?.outcome ?? null,
    spans: spans.length,
    errors: spans.filter((s) => s.status === 'error').length,
  };
}

function stringAttribute(spans: readonly FlatSpan[], key: string): string | undefined {
  for (const span of spans) {
    const value = span.attributes[key];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

function searchText(summary: TraceSummary, spans: readonly FlatSpan[]): string {
  const words = new Set<string>([summary.traceId, summary.runId, summary.variant ?? '', summary.outcome ?? NO_CHECKOUT, ...summary.services]);
  for (const span of spans) {
    words.add(span.name);
    if (span.statusMessage) words.add(span.statusMessage);
    for (const key of SEARCHED_ATTRIBUTES) {
      const value = span.attributes[key];
      if (value !== undefined) words.add(String(value));
    }
  }
  return [...words].join('\n').toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// One trace, whole

function detail(summary: TraceSummary, spans: FlatSpan[]): TraceDetail {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const root = traceRoot(spans, byId) as FlatSpan;
  const walk = criticalPath(spans);
  const onPath = walk ? spansOnPath(walk, byId) : new Set<string>();
  const critical = new Map<string, number>();
  for (const segment of walk?.segments ?? []) critical.set(segment.spanId, (critical.get(segment.spanId) ?? 0) + segment.endMs - segment.startMs);

  // Children by start; a span whose parent is not in the trace hangs under the root, as the critical path treats it.
  const children = new Map<string, FlatSpan[]>();
  for (const span of spans) {
    if (span === root) continue;
    const parent = span.parentSpanId !== undefined && byId.has(span.parentSpanId) ? span.parentSpanId : root.spanId;
    const list = children.get(parent);
    if (list) list.push(span);
    else children.set(parent, [span]);
  }
  const origin = root.startUnixNano;
  const ms = (t: bigint) => Number(t - origin) / 1e6;
  const ordered: SpanDetail[] = [];
  const visited = new Set<string>();
  const visit = (span: FlatSpan, depth: number) => {
    if (visited.has(span.spanId)) return; // a cycle in bad data
    visited.add(span.spanId);
    ordered.push({
      spanId: span.spanId,
      parentSpanId: span.parentSpanId ?? null,
      name: span.name,
      kind: span.kind,
      service: span.service,
      depth,
      startMs: ms(span.startUnixNano),
      durationMs: spanDurationMs(span),
      status: span.status,
      statusMessage: span.statusMessage ?? null,
      attributes: span.attributes,
      resource: span.resource,
      events: span.events.map((e) => ({ name: e.name, timeMs: ms(e.timeUnixNano), attributes: e.attributes })),
      onCriticalPath: onPath.has(span.spanId),
      criticalMs: critical.get(span.spanId) ?? 0,
    });
    const kids = (children.get(span.spanId) ?? []).sort((a, b) => (a.startUnixNano < b.startUnixNano ? -1 : a.startUnixNano > b.startUnixNano ? 1 : 0));
    for (const kid of kids) visit(kid, depth + 1);
  };
  visit(root, 0);
  // Spans in a cycle (never reached from the root) still show, at the end.
  for (const span of spans) if (!visited.has(span.spanId)) visit(span, 1);

  return {
    trace: summary,
    rootSpanId: root.spanId,
    spans: ordered,
    criticalPath: {
      totalMs: walk?.totalMs ?? 0,
      spanIds: ordered.filter((s) => s.onCriticalPath).map((s) => s.spanId),
      segments: (walk?.segments ?? []).map((s) => ({ spanId: s.spanId, startMs: s.startMs, endMs: s.endMs })),
    },
  };
}
