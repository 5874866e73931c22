/**
 * One benchmark step in its own process (so it can be pinned to a core): the built-in driver at
 * RATE iterations/s for DURATION against BASE_URL with a one-request flow. Prints one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { runScenario } from '../src';
import { oneRequestFlow } from '../test/support/servers';

async function main(): Promise<void> {
  const rate = Number(process.env['RATE']);
  const delayMs = Number(process.env['DELAY_MS'] ?? 20);
  // room for the server to stall ~200 ms before VUs run out (drops are reported, not hidden)
  const maxVUs = Math.ceil(rate * ((delayMs + 200) / 1000)) + 20;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const summary = await runScenario(
    { scenarios: { s: { executor: 'constant-arrival-rate', rate, timeUnit: '1s', duration: process.env['DURATION'] ?? '8s', preAllocatedVUs: maxVUs, maxVUs, gracefulStop: '5s' } } },
    { baseUrl: process.env['BASE_URL'] ?? '', flow: oneRequestFlow },
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const m = (key: string, stat: string): number => summary.metrics[key]?.values[stat] ?? 0;
  const state = summary.state.scenarios?.['s'];
  process.stdout.write(
    `${JSON.stringify({
      targetRate: rate,
      achievedRate: state?.achievedRate ?? 0,
      dropped: m('dropped_iterations', 'count'),
      failed: m('http_req_failed', 'passes'),
      scheduleLagP99Ms: m('schedule_lag', 'p(99)'),
      eventLoopDelayP99Ms: m('generator_event_loop_delay', 'p(99)'),
      p50Ms: m('http_req_duration', 'med'),
      p99Ms: m('http_req_duration', 'p(99)'),
      cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      valid: summary.state.validity?.valid ?? false,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
