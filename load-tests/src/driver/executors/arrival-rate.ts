import { type Executor, type ExecutorContext, finishScenario, sleepUntil } from './executor';

/**
 * The open model of constant-arrival-rate and ramping-arrival-rate: iteration k starts at
 * `starts`' k-th offset (ms into the scenario), whatever the responses. When every VU is busy the
 * start is dropped and counted in dropped_iterations, and one VU is added (up to maxVUs) for the
 * next starts, as k6 does.
 */
export async function runArrivals(executor: Executor, preAllocatedVUs: number, starts: Iterable<number>, ctx: ExecutorContext): Promise<void> {
  const { scenario } = executor;
  const { clock, metrics } = ctx;
  let idle = preAllocatedVUs;
  scenario.vus = idle;
  scenario.peakVUs = idle;
  const running = new Set<Promise<void>>();
  let vuSeq = 0;
  for (const offset of starts) {
    if (offset >= executor.durationMs) break;
    const due = scenario.startMs + offset;
    if (!(await sleepUntil(clock, due, ctx.stopped))) break;
    scenario.planned++;
    if (idle > 0) {
      idle--;
      scenario.started++;
      metrics.add('schedule_lag', Math.max(0, clock.now() - due), { scenario: scenario.name });
      const p = ctx.runIteration(scenario, vuSeq++ % Math.max(1, scenario.vus)).finally(() => {
        idle++;
        running.delete(p);
      });
      running.add(p);
    } else {
      // k6: no free VU, so the iteration is dropped; a new VU is added (up to maxVUs) for the next ones.
      scenario.dropped++;
      metrics.add('dropped_iterations', 1, { scenario: scenario.name });
      if (scenario.vus < executor.maxVUs) {
        scenario.vus++;
        idle++;
        scenario.peakVUs = Math.max(scenario.peakVUs, scenario.vus);
      }
    }
  }
  await finishScenario(executor, running, ctx);
}
