import { aggregateCriticalPaths, criticalPath, type CriticalPath } from '../src/critical-path';
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
