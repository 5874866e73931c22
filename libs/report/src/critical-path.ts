import type { FlatSpan } from '@checkout-lab/telemetry';

/**
 * Critical-path attribution: which spans' own time decides when a trace's root ends.
 *
 * The classic walk (as in Jaeger's critical-path view): start at the root's end with a cursor;
 * among the children that end at or before the cursor, take the one that finishes last, charge
 * the gap between its end and the cursor to the parent's own time, recurse into that child
 * (bounded by its end), then move the cursor to the child's start and repeat. Time no child
 * covers is the parent's own. Children that overlap the chosen child are off the path: waiting
 * for them did not delay the end. A child that outlives its parent (an un-awaited call) is
 * clamped to the parent's interval; a span whose parent is missing from the trace (an orphan)
 * hangs under the root, clamped the same way, and is counted.
 *
 * Clock resolution. OpenTelemetry JS 2.x stamps a span's start from `Date.now()` (whole
 * milliseconds) and its end as start + a monotonic duration (sub-millisecond), so a call that
 * starts right after its sibling ended can appear to start up to 1 ms *before* that end: two
 * sequential siblings seem to overlap by a fraction of a millisecond. A strict walk would then
 * treat the earlier one as "off the path" and charge its whole duration to the parent. The walk
 * therefore accepts a child that ends within `clockResolutionMs` after the cursor (default 1 ms,
 * the resolution of the coarser stamping) as sequential, clamping its end to the cursor. The
 * lab's own services stamp starts with the monotonic clock's precision (libs/telemetry,
 * PreciseStartSpanProcessor), so their spans need no tolerance; spans read from Jaeger or a
 * Collector file can carry either stamping, and the tolerance keeps those correct too. An
 * overlap longer than the resolution is real concurrency and is treated as such.
 */

export interface CriticalSegment {
  spanId: string;
  service: string;
  operation: string;
  /** Offsets from the root's start, in ms. */
  startMs: number;
  endMs: number;
}

export interface CriticalPath {
  traceId: string;
  rootSpanId: string;
  totalMs: number;
  /** Ordered by time; they tile [0, totalMs] exactly. */
  segments: CriticalSegment[];
  /** Spans whose parent was not in the trace. */
  orphans: number;
}

interface Node {
  span: FlatSpan;
  start: bigint;
  end: bigint;
  children: Node[];
}

export interface CriticalPathOptions {
  /** Compute the path under this span instead of the trace's root. */
  rootSpanId?: string;
  /** Overlap between sequential siblings that is an artefact of the clock (ms); default 1. */
  clockResolutionMs?: number;
}

/** The resolution of `Date.now()`, which OpenTelemetry JS 2.x uses for span starts. */
export const DEFAULT_CLOCK_RESOLUTION_MS = 1;

/** The critical path of one trace (all spans share a trace id); undefined for an empty list or unknown root. */
export function criticalPath(spans: readonly FlatSpan[], options: CriticalPathOptions = {}): CriticalPath | undefined {
  if (spans.length === 0) return undefined;
  const byId = new Map<string, FlatSpan>();
  for (const span of spans) byId.set(span.spanId, span);

  const root = options.rootSpanId !== undefined ? byId.get(options.rootSpanId) : traceRoot(spans, byId);
  if (!root) return undefined;

  const children = new Map<string, FlatSpan[]>();
  let orphans = 0;
  for (const span of spans) {
    if (span === root) continue;
    let parentId = span.parentSpanId;
    if (parentId === undefined || !byId.has(parentId)) {
      // A second root or an orphan: attach it to the trace root, where it can still explain time.
      if (options.rootSpanId !== undefined) continue;
      if (parentId !== undefined) orphans++;
      parentId = root.spanId;
    }
    const list = children.get(parentId);
    if (list) list.push(span);
    else children.set(parentId, [span]);
  }

  const build = (span: FlatSpan, lo: bigint, hi: bigint, depth: number): Node | undefined => {
    const start = span.startUnixNano < lo ? lo : span.startUnixNano;
    const end = span.endUnixNano > hi ? hi : span.endUnixNano;
    if (end < start) return undefined; // entirely outside its parent
    const node: Node = { span, start, end, children: [] };
    if (depth > 1000) return node; // a cycle in bad data; stop rather than overflow
    for (const child of children.get(span.spanId) ?? []) {
      const built = build(child, start, end, depth + 1);
      if (built) node.children.push(built);
    }
    // Latest end first; among equal ends the later start (the shorter) first, then a stable order.
    node.children.sort((a, b) => (a.end === b.end ? cmp(b.start, a.start) : cmp(b.end, a.end)));
    return node;
  };
  const tree = build(root, root.startUnixNano, root.endUnixNano, 0);
  if (!tree) return undefined;

  const origin = tree.start;
  const segments: CriticalSegment[] = [];
  const charge = (node: Node, from: bigint, to: bigint) => {
    if (to <= from) return;
    segments.push({
      spanId: node.span.spanId,
      service: node.span.service,
      operation: node.span.name,
      startMs: Number(from - origin) / 1e6,
      endMs: Number(to - origin) / 1e6,
    });
  };
  const tolerance = BigInt(Math.round((options.clockResolutionMs ?? DEFAULT_CLOCK_RESOLUTION_MS) * 1e6));
  const walk = (node: Node, until: bigint) => {
    let cursor = until < node.end ? until : node.end;
    for (const child of node.children) {
      if (cursor <= node.start) break;
      if (child.end > cursor + tolerance) continue; // overlaps what is already on the path: it ran concurrently
      if (child.start >= cursor) continue; // starts where the path already is: it adds nothing
      const end = child.end < cursor ? child.end : cursor; // within the clock's resolution: sequential
      charge(node, end, cursor);
      walk(child, end);
      cursor = child.start;
    }
    charge(node, node.start, cursor);
  };
  walk(tree, tree.end);
  segments.sort((a, b) => a.startMs - b.startMs);
  return { traceId: root.traceId, rootSpanId: root.spanId, totalMs: Number(tree.end - tree.start) / 1e6, segments, orphans };
}

/**
 * The spans a critical path runs through: each span with time of its own on it, and every span
 * above one, up to the path's root. The walk reaches a span only through its parent, so a parent
 * whose whole duration its child covers (a handler span around the business span) is on the path
 * with no time of its own left on it.
 */
export function spansOnPath(path: CriticalPath, byId: ReadonlyMap<string, FlatSpan>): Set<string> {
  const on = new Set<string>([path.rootSpanId]);
  for (const segment of path.segments) {
    let id: string | undefined = segment.spanId;
    while (id !== undefined && !on.has(id)) {
      on.add(id);
      id = byId.get(id)?.parentSpanId;
    }
  }
  return on;
}

/** The span without a parent (the longest, if several); if every span has a missing parent, the longest. */
export function traceRoot(spans: readonly FlatSpan[], byId?: Map<string, FlatSpan>): FlatSpan | undefined {
  const ids = byId ?? new Map(spans.map((s) => [s.spanId, s]));
  const longest = (list: readonly FlatSpan[]) =>
    list.reduce<FlatSpan | undefined>((best, s) => (!best || s.endUnixNano - s.startUnixNano > best.endUnixNano - best.startUnixNano ? s : best), undefined);
  const roots = spans.filter((s) => s.parentSpanId === undefined);
  if (roots.length > 0) return longest(roots);
  return longest(spans.filter((s) => s.parentSpanId === undefined || !ids.has(s.parentSpanId)));
}

/** Critical-path time per service and operation, summed over one path. Keys are `service\u0000operation`. */
export function selfTimeByOperation(path: CriticalPath): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of path.segments) {
    const key = operationKey(s.service, s.operation);
    out.set(key, (out.get(key) ?? 0) + (s.endMs - s.startMs));
  }
  return out;
}

export interface CriticalPathShare {
  service: string;
  operation: string;
  /** Mean critical-path ms per trace (traces where the operation is absent count as 0). */
  meanMs: number;
  /** Share of the mean total, 0…1. */
  share: number;
}

export interface CriticalPathAggregate {
  traces: number;
  meanTotalMs: number;
  orphans: number;
  operations: CriticalPathShare[];
}

/** Aggregates paths by service + operation: mean on-path ms per trace, largest first. */
export function aggregateCriticalPaths(paths: readonly CriticalPath[]): CriticalPathAggregate {
  const sums = new Map<string, number>();
  let total = 0;
  let orphans = 0;
  for (const path of paths) {
    total += path.totalMs;
    orphans += path.orphans;
    for (const [key, ms] of selfTimeByOperation(path)) sums.set(key, (sums.get(key) ?? 0) + ms);
  }
  const n = paths.length;
  const meanTotalMs = n ? total / n : 0;
  const operations = [...sums.entries()]
    .map(([key, sum]) => {
      const [service, operation] = splitOperationKey(key);
      const meanMs = sum / n;
      return { service, operation, meanMs, share: meanTotalMs > 0 ? meanMs / meanTotalMs : 0 };
    })
    .sort((a, b) => b.meanMs - a.meanMs || a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation));
  return { traces: n, meanTotalMs, orphans, operations };
}

export function operationKey(service: string, operation: string): string {
  return `${service}\u0000${operation}`;
}

export function splitOperationKey(key: string): [string, string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
