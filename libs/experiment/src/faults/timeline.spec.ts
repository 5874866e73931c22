import { recovery, timeline, type RequestSample } from './timeline';

/** A request every 100 ms from `fromMs` to `toMs` (checkouts of 50 ms), with `status(startMs)`. */
function steady(fromMs: number, toMs: number, status: (t: number) => number, latencyMs = 50): RequestSample[] {
  const out: RequestSample[] = [];
  for (let t = fromMs; t < toMs; t += 100) out.push({ step: 'checkout', startMs: t, endMs: t + latencyMs, status: status(t) });
  return out;
}

describe('fault timeline', () => {
  it('buckets requests by start time and counts status codes and checkouts', () => {
    const samples: RequestSample[] = [
      { step: 'create_cart', startMs: 100, endMs: 110, status: 201 },
      { step: 'checkout', startMs: 900, endMs: 1200, status: 200 },
      { step: 'checkout', startMs: 1500, endMs: 1600, status: 503 },
      { step: 'checkout', startMs: 2100, endMs: 2200, status: 0 },
    ];
    const buckets = timeline(samples, 3000);
    expect(buckets.map((b) => b.requests)).toEqual([2, 1, 1]);
    expect(buckets[0]).toMatchObject({ fromS: 0, toS: 1, statuses: { '201': 1, '200': 1 }, checkouts: 1, checkoutsOk: 1 });
    expect(buckets[1]).toMatchObject({ statuses: { '503': 1 }, checkouts: 1, checkoutsOk: 0 });
    expect(buckets[2]?.statuses).toEqual({ '0': 1 });
  });

  it('measures first success and steady state from the end of the fault', () => {
    // Fault 10–20 s: every request fails; it keeps failing until 23 s, then all is well.
    const samples = steady(0, 40_000, (t) => (t >= 10_000 && t < 23_000 ? 503 : 200));
    const r = recovery(samples, { faultStartMs: 10_000, faultEndMs: 20_000, loadEndMs: 40_000 });
    expect(r.before).toMatchObject({ requests: 100, errorShare: 0, checkoutP50Ms: 50 });
    expect(r.during.errorShare).toBe(1);
    expect(r.firstSuccessS).toBeCloseTo(3.05, 2); // the request started at 23.0 s ended at 23.05 s
    expect(r.steadyStateS).toBe(4); // windows of 2 s from 20 s: 20–22 and 22–24 hold failures
  });

  it('does not count a window of slow checkouts as steady', () => {
    // A checkout in flight at the (instant) fault succeeds after it: that is not a recovery.
    const inFlight: RequestSample = { step: 'checkout', startMs: 19_990, endMs: 20_040, status: 200 };
    const samples = steady(0, 19_900, () => 200).concat(inFlight, steady(20_000, 40_000, () => 200, 500).filter((s) => s.startMs < 26_000), steady(26_000, 40_000, () => 200));
    const r = recovery(samples, { faultStartMs: 20_000, faultEndMs: 20_000, loadEndMs: 40_000 });
    expect(r.firstSuccessS).toBeCloseTo(0.5, 2);
    expect(r.steadyStateS).toBe(6);
  });

  it('says never when the stack does not come back, or no checkout succeeds', () => {
    const failing = steady(0, 30_000, (t) => (t >= 10_000 ? 504 : 200));
    const r = recovery(failing, { faultStartMs: 10_000, faultEndMs: 15_000, loadEndMs: 30_000 });
    expect(r.firstSuccessS).toBeNull();
    expect(r.steadyStateS).toBeNull();
    // One lucky success late in the load is a first success, but not steady state.
    const flaky = steady(0, 30_000, (t) => (t >= 10_000 && t !== 25_000 ? 504 : 200));
    const f = recovery(flaky, { faultStartMs: 10_000, faultEndMs: 15_000, loadEndMs: 30_000 });
    expect(f.firstSuccessS).toBeCloseTo(10.05, 2);
    expect(f.steadyStateS).toBeNull();
  });

  it('allows the pre-fault error share plus the slack', () => {
    // 1 in 10 fails before and after the fault: that is the stack's normal state, so steady at once.
    const samples = steady(0, 30_000, (t) => (t % 1000 === 0 ? 500 : t >= 10_000 && t < 15_000 ? 503 : 200));
    const r = recovery(samples, { faultStartMs: 10_000, faultEndMs: 15_000, loadEndMs: 30_000 });
    expect(r.before.errorShare).toBeCloseTo(0.1, 5);
    expect(r.steadyStateS).toBe(0);
  });
});
