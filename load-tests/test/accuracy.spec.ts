import * as http from 'node:http';
import { getPriority, setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { runScenario, type LoadSummary } from '../src';
import { type FixedDelayServer, oneRequestFlow, startFixedDelayServer } from './support/servers';

// The driver's accuracy against a server with a known, fixed service time (its own process).
const DELAY_MS = 20;
const RATE = 50;
const DURATION_S = 10;

function constantRate(preAllocatedVUs: number, maxVUs: number): unknown {
  return {
    scenarios: {
      s: { executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s', duration: `${DURATION_S}s`, preAllocatedVUs, maxVUs, gracefulStop: '5s' },
    },
  };
}

/** p50/p99 (ms) of a bare keep-alive node:http client at `rate`/s: what the platform itself gives. */
async function bareClient(url: string, rate: number, count: number): Promise<{ p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const latencies: number[] = [];
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = http.request(`${url}/work`, { method: 'POST', agent, headers: { 'content-length': 2 } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end('{}');
    });
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(one());
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(latencies.length * 0.5)] ?? NaN, p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN };
}

function raisePriority(pid: number): void {
  try {
    setPriority(pid, -15);
  } catch {
    // not permitted: measure at normal priority
  }
}

function trend(summary: LoadSummary, key: string, stat: string): number {
  const value = summary.metrics[key]?.values[stat];
  if (value === undefined) throw new Error(`${key} ${stat} missing from the summary`);
  return value;
}

describe('the built-in driver against a fixed-delay server', () => {
  let server: FixedDelayServer;
  const ownPriority = getPriority();
  beforeAll(async () => {
    server = await startFixedDelayServer(DELAY_MS);
    // A measuring instrument on a shared machine: the driver and the reference server get the
    // CPU first when they wake (where allowed: root, or CAP_SYS_NICE), as benchmarks pin cores.
    raisePriority(0);
    raisePriority(server.pid);
  });
  afterAll(async () => {
    await server?.stop();
    try {
      setPriority(ownPriority);
    } catch {
      // unchanged
    }
  });

  it('starts iterations at the target rate (within 1 %) and measures the service time within 1 ms at p50 and p99', async () => {
    // The server answers exactly DELAY_MS after each arrival (it reports its own lateness, and
    // its arrival→response p50/p99). The driver must measure that within 1 ms at p50 and p99.
    // On a shared VM a bare node:http client (no driver) cannot always get within 1 ms at p99:
    // wake-ups and loopback add a tail of their own. So each attempt first measures that bare
    // client at the same rate; when the platform itself misses by > 1 ms (at p50 or p99), the driver may not add
    // more than 1 ms to what the platform gives. Up to 4 attempts; a driver that adds its own
    // delay, or hides waiting (coordinated omission), fails every one.
    const attempts: string[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const bare = await bareClient(server.url, RATE, 250);
      await server.stats(true);
      const summary = await runScenario(constantRate(10, 10), { baseUrl: server.url, flow: oneRequestFlow });
      const seen = await server.stats();
      const state = summary.state.scenarios?.['s'];

      // the rate, from the plan and as the server saw the arrivals
      expect(state?.droppedIterations).toBe(0);
      expect(Math.abs((state?.achievedRate ?? 0) - RATE) / RATE).toBeLessThan(0.01);
      expect(seen.arrivals).toBe(RATE * DURATION_S);
      const observedRate = ((seen.arrivals - 1) * 1000) / (seen.lastArrival - seen.firstArrival);
      expect(Math.abs(observedRate - RATE) / RATE).toBeLessThan(0.01);
      expect(trend(summary, 'iterations', 'count')).toBe(RATE * DURATION_S);

      const p50 = trend(summary, 'http_req_duration', 'med');
      const p99 = trend(summary, 'http_req_duration', 'p(99)');
      expect(p50).toBeGreaterThanOrEqual(DELAY_MS - 0.05); // never below the service time
      attempts.push(
        `attempt ${attempt}: driver p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms; bare node:http client p50 ${bare.p50.toFixed(3)}, ` +
          `p99 ${bare.p99.toFixed(3)} ms; server arrival→response p50 ${seen.serviceP50Ms.toFixed(3)}, p99 ${seen.serviceP99Ms.toFixed(3)} ms`,
      );
      const p50Ok = Math.abs(p50 - DELAY_MS) <= 1 || Math.abs(p50 - seen.serviceP50Ms) <= 1 || (bare.p50 - DELAY_MS > 1 && p50 - bare.p50 <= 1);
      const p99Ok = Math.abs(p99 - DELAY_MS) <= 1 || Math.abs(p99 - seen.serviceP99Ms) <= 1 || (bare.p99 - DELAY_MS > 1 && p99 - bare.p99 <= 1);
      if (p50Ok && p99Ok) {
        process.stdout.write(`latency accuracy: ${attempts.at(-1)}\n`);
        return;
      }
    }
    throw new Error(`latency not within 1 ms of the service time:\n${attempts.join('\n')}`);
  });

  it('runs the closed-model executors: constant-vus and ramping-vus loop their VUs back to back', async () => {
    // 4 VUs × 2 s, each iteration one 20 ms request: at most 4 × 2000 / 20 = 400 iterations
    const constant = await runScenario(
      { scenarios: { c: { executor: 'constant-vus', vus: 4, duration: '2s' } } },
      { baseUrl: server.url, flow: oneRequestFlow },
    );
    const done = trend(constant, 'iterations', 'count');
    expect(done).toBeGreaterThan(400 * 0.7);
    expect(done).toBeLessThanOrEqual(400 + 4);
    expect(trend(constant, 'dropped_iterations', 'count')).toBe(0);
    // 0 → 4 VUs over 2 s then 4 for 1 s: on average 2 VUs for 2 s + 4 for 1 s = 8 VU·s ≈ 400 iterations
    const ramping = await runScenario(
      { scenarios: { r: { executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '2s', target: 4 }, { duration: '1s', target: 4 }] } } },
      { baseUrl: server.url, flow: oneRequestFlow },
    );
    const ramped = trend(ramping, 'iterations', 'count');
    expect(ramped).toBeGreaterThan(400 * 0.6);
    expect(ramped).toBeLessThan(400 * 1.25);
    expect(trend(ramping, 'vus', 'max')).toBeLessThanOrEqual(4);
  });

  it('shows a stall as dropped iterations when maxVUs are all busy, as k6 predicts', async () => {
    // 50/s, 5 VUs, the server frozen for 1 s: the 5 VUs wait out the stall, every other start
    // planned during it finds no VU and is dropped: 50 × 1 s − 5 = 45 (± 3 for where the stall
    // falls between two starts and for the VU still busy with the start just before it).
    const stallMs = 1000;
    const run = runScenario(constantRate(5, 5), { baseUrl: server.url, flow: oneRequestFlow });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await server.stall(stallMs);
    const summary = await run;
    const dropped = trend(summary, 'dropped_iterations', 'count');
    expect(dropped).toBeGreaterThanOrEqual((RATE * stallMs) / 1000 - 5 - 3);
    expect(dropped).toBeLessThanOrEqual((RATE * stallMs) / 1000 - 5 + 3);
    expect(trend(summary, 'iterations', 'count') + dropped).toBe(RATE * DURATION_S);
    // the iterations that did get a VU waited for the whole stall
    expect(trend(summary, 'http_req_duration', 'max')).toBeGreaterThan(stallMs + DELAY_MS - 60);
    expect(trend(summary, 'http_req_duration', 'max')).toBeLessThan(stallMs + DELAY_MS + 100);
  });

  it('shows a stall in the latency percentiles when enough VUs keep every start on schedule', async () => {
    // No coordinated omission: starts keep coming during the stall, each waits for its end, so
    // 50 of 500 requests (10 %) see between 20 ms and 1.02 s — the p99 is near 0.9 × 1 s.
    const stallMs = 1000;
    const run = runScenario(constantRate(100, 100), { baseUrl: server.url, flow: oneRequestFlow });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await server.stall(stallMs);
    const summary = await run;
    expect(trend(summary, 'dropped_iterations', 'count')).toBe(0);
    expect(trend(summary, 'iterations', 'count')).toBe(RATE * DURATION_S);
    expect(trend(summary, 'http_req_duration', 'p(99)')).toBeGreaterThan(0.8 * stallMs);
    expect(trend(summary, 'http_req_duration', 'max')).toBeGreaterThan(stallMs + DELAY_MS - 60);
    expect(trend(summary, 'http_req_duration', 'med')).toBeLessThan(DELAY_MS + 5);
  });

  it('grows from preAllocatedVUs toward maxVUs one VU per dropped start, as k6 does', async () => {
    // 10 VUs pre-allocated, up to 100: during the stall each start without a free VU is dropped
    // and adds a VU, so starts alternate between dropped and served: (50 − 10) / 2 = 20 dropped.
    const stallMs = 1000;
    const run = runScenario(constantRate(10, 100), { baseUrl: server.url, flow: oneRequestFlow });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await server.stall(stallMs);
    const summary = await run;
    const dropped = trend(summary, 'dropped_iterations', 'count');
    expect(dropped).toBeGreaterThanOrEqual(20 - 3);
    expect(dropped).toBeLessThanOrEqual(20 + 3);
    expect(summary.state.scenarios?.['s']?.peakVUs).toBe(10 + dropped);
  });
});
