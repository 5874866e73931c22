import { aggregateCriticalPaths, criticalPath, spansOnPath, type CriticalPath } from '../src/critical-path';
import { span } from './synthetic';

const T = 'a'.repeat(32);
const s = (name: string, start: number, end: number, parent?: { spanId: string }, service = 'svc') =>
  span({ traceId: T, name, service, start, end, ...(parent ? { parentSpanId: parent.spanId } : {}) });

/** Milliseconds on the path per span name. */
function byName(path: CriticalPath | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const seg of path?.segments ?? []) out[seg.operation] = Math.round(((out[seg.operation] ?? 0) + seg.endMs - seg.startMs) * 1000) / 1000;
  return out;
}

function expectTiles(path: CriticalPath | undefined) {
  expect(path).toBeDefined();
  const segs = (path as CriticalPath).segments;
  expect(segs[0]?.startMs).toBeCloseTo(0, 6);
  for (let i = 1; i < segs.length; i++) expect(segs[i]?.startMs).toBeCloseTo(segs[i - 1]?.endMs as number, 6);
  expect(segs[segs.length - 1]?.endMs).toBeCloseTo((path as CriticalPath).totalMs, 6);
}

describe('criticalPath', () => {
  it('sequential children: each child is on the path, gaps are the parent\'s own time', () => {
    const root = s('root', 0, 100);
    const a = s('a', 10, 40, root);
    const b = s('b', 50, 90, root);
    const path = criticalPath([root, a, b]);
    expect(byName(path)).toEqual({ root: 30, a: 30, b: 40 });
    expectTiles(path);
  });

  it('parallel children: only the one that finishes last is on the path', () => {
    const root = s('root', 0, 100);
    const fast = s('fast', 10, 50, root);
    const slow = s('slow', 10, 95, root);
    const path = criticalPath([root, fast, slow]);
    expect(byName(path)).toEqual({ root: 15, slow: 85 });
    expectTiles(path);
  });

  it('overlapping children: the later one, then whatever ended before it started', () => {
    const root = s('root', 0, 100);
    const first = s('first', 5, 60, root);
    const overlapping = s('overlapping', 40, 90, root);
    const early = s('early', 10, 30, root);
    const path = criticalPath([root, first, overlapping, early]);
    // After "overlapping" (40–90) the cursor is at 40; "first" ends at 60 > 40 so is skipped; "early" (10–30) fits.
    expect(byName(path)).toEqual({ root: 30, overlapping: 50, early: 20 });
    expectTiles(path);
  });

  it('a child that outlives its parent is clamped to the parent', () => {
    const root = s('root', 0, 100);
    const parent = s('parent', 10, 50, root);
    const straggler = s('straggler', 20, 80, parent);
    const path = criticalPath([root, parent, straggler]);
    expect(byName(path)).toEqual({ root: 60, parent: 10, straggler: 30 });
    expect(path?.totalMs).toBe(100);
    expectTiles(path);
  });

  it('walks nested levels', () => {
    const root = s('root', 0, 100);
    const mid = s('mid', 10, 90, root);
    const leaf = s('leaf', 20, 70, mid);
    expect(byName(criticalPath([root, mid, leaf]))).toEqual({ root: 20, mid: 30, leaf: 50 });
  });

  it('orphans (parent not in the trace) hang under the root and are counted', () => {
    const root = s('root', 0, 100);
    const orphan = span({ traceId: T, name: 'orphan', service: 'svc', start: 30, end: 80, parentSpanId: 'f'.repeat(16) });
    const path = criticalPath([root, orphan]);
    expect(byName(path)).toEqual({ root: 50, orphan: 50 });
    expect(path?.orphans).toBe(1);
  });

  it('picks the parentless span as root even when it is listed last, and a sub-root on request', () => {
    const root = s('root', 0, 100);
    const sub = s('sub', 20, 60, root);
    const leaf = s('leaf', 30, 50, sub);
    expect(criticalPath([leaf, sub, root])?.rootSpanId).toBe(root.spanId);
    const under = criticalPath([root, sub, leaf], { rootSpanId: sub.spanId });
    expect(under?.totalMs).toBe(40);
    expect(byName(under)).toEqual({ sub: 20, leaf: 20 });
  });

  it('returns undefined for an empty trace or an unknown root', () => {
    expect(criticalPath([])).toBeUndefined();
    expect(criticalPath([s('root', 0, 1)], { rootSpanId: '0'.repeat(16) })).toBeUndefined();
  });
});

/**
 * Spans as OpenTelemetry JS 2.x stamps them: start = Date.now() (whole ms), end = start + a
 * sub-millisecond monotonic duration. `t(start, duration)` builds one such span.
 */
describe('spansOnPath', () => {
  it('holds the spans with time of their own on the path and every span above them, not the ones that ran alongside', () => {
    const root = s('root', 0, 100);
    const handler = s('handler', 5, 95, root); // wholly covered by its child: no time of its own on the path
    const business = s('business', 5, 95, handler);
    const side = s('side', 10, 20, business); // overlaps the last call: off the path
    const call = s('call', 15, 90, business);
    const path = criticalPath([root, handler, business, side, call]) as CriticalPath;
    expect(path.segments.some((seg) => seg.spanId === handler.spanId)).toBe(false);
    const byId = new Map([root, handler, business, side, call].map((x) => [x.spanId, x]));
    expect(spansOnPath(path, byId)).toEqual(new Set([root.spanId, handler.spanId, business.spanId, call.spanId]));
    // Under a sub-root, nothing above it.
    const sub = criticalPath([root, handler, business, side, call], { rootSpanId: business.spanId }) as CriticalPath;
    expect(spansOnPath(sub, byId)).toEqual(new Set([business.spanId, call.spanId]));
  });
});

describe('criticalPath on millisecond-truncated starts', () => {
  const t = (name: string, trueStart: number, duration: number, parent?: { spanId: string }, service = 'svc') =>
    s(name, Math.floor(trueStart), Math.floor(trueStart) + duration, parent, service);

  it('a gRPC call followed at once by a query: both on the path, the parent keeps only the gaps', () => {
    // True times: call 2.6–852.9, query 852.95–854.2 (starts 0.05 ms after the call ended).
    const root = t('checkout', 0, 856.4);
    const call = t('grpc payment', 2.6, 850.3, root);
    const query = t('pg UPDATE cart', 852.95, 1.25, root);
    // As stamped the query starts at 852, 0.9 ms before the call "ends" (852.3 + …): an artefact.
    expect(query.startUnixNano < call.endUnixNano).toBe(true);
    const path = criticalPath([root, call, query]);
    const got = byName(path);
    // Within the clock's resolution of the true figures.
    expect(Math.abs((got['grpc payment'] ?? 0) - 850.3)).toBeLessThan(1);
    expect(Math.abs((got['pg UPDATE cart'] ?? 0) - 1.25)).toBeLessThan(1);
    expect(got['checkout']).toBeLessThan(6);
    expectTiles(path);
  });

  it('a strict walk (no tolerance) charges the hidden call to the parent: the bug this guards against', () => {
    const root = t('checkout', 0, 856.4);
    const call = t('grpc payment', 2.6, 850.3, root);
    const query = t('pg UPDATE cart', 852.95, 1.25, root);
    const strict = byName(criticalPath([root, call, query], { clockResolutionMs: 0 }));
    expect(strict['grpc payment']).toBeUndefined();
    expect(strict['checkout']).toBeGreaterThan(850);
  });

  it('several sequential calls in a row, each starting within the clock resolution of the previous end', () => {
    const root = t('root', 0, 40.9);
    const a = t('a', 0.4, 10.3, root); // ends 10.7 (stamped 10.3)
    const b = t('b', 10.75, 10.1, root); // stamped start 10
    const c = t('c', 20.9, 10.0, root); // b ends 20.1, c stamped 20
    const d = t('d', 30.95, 9.5, root); // c ends 30.0, d stamped 30
    const got = byName(criticalPath([root, a, b, c, d]));
    expect(got['a']).toBeGreaterThan(9);
    expect(got['b']).toBeGreaterThan(9);
    expect(got['c']).toBeGreaterThan(9);
    expect(Math.abs((got['d'] ?? 0) - 9.5)).toBeLessThan(1);
    expect(got['root'] ?? 0).toBeLessThan(2);
  });

  it('nested: a client span, its server span in another process, and a pool wait then a query inside', () => {
    const root = t('checkout', 0, 120.6, undefined, 'cart');
    const client = t('grpc client', 1.3, 118.2, root, 'cart');
    const server = t('grpc server', 1.9, 117.1, client, 'payment');
    const wait = t('pg-pool.connect', 2.2, 80.4, server, 'payment');
    const query = t('pg.query', 82.65, 35.2, server, 'payment'); // wait ends 82.6 (stamped 82.4 + …)
    const got = byName(criticalPath([root, client, server, wait, query]));
    expect(got['pg-pool.connect']).toBeGreaterThan(79);
    expect(Math.abs((got['pg.query'] ?? 0) - 35.2)).toBeLessThan(1);
    expect((got['grpc server'] ?? 0) + (got['grpc client'] ?? 0) + (got['checkout'] ?? 0)).toBeLessThan(7);
  });

  it('an overlap longer than the clock resolution is real concurrency: the earlier call stays off the path', () => {
    const root = s('root', 0, 100);
    const early = s('early', 5, 60, root);
    const late = s('late', 55, 95, root); // 5 ms overlap
    expect(byName(criticalPath([root, early, late]))).toEqual({ root: 60, late: 40 });
  });
});

describe('aggregateCriticalPaths', () => {
  it('averages on-path time per service and operation over traces, largest first', () => {
    const r1 = s('checkout', 0, 100, undefined, 'cart');
    const l1 = s('lookup', 10, 90, r1, 'billing');
    const r2 = s('checkout', 0, 50, undefined, 'cart');
    const l2 = s('lookup', 10, 20, r2, 'billing');
    const agg = aggregateCriticalPaths([criticalPath([r1, l1]) as CriticalPath, criticalPath([r2, l2]) as CriticalPath]);
    expect(agg.traces).toBe(2);
    expect(agg.meanTotalMs).toBe(75);
    expect(agg.operations.map((o) => [o.service, o.operation, o.meanMs])).toEqual([
      ['billing', 'lookup', 45],
      ['cart', 'checkout', 30],
    ]);
    expect(agg.operations[0]?.share).toBeCloseTo(0.6, 6);
  });
});
