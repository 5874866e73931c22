import { type Executor, type ExecutorContext, finishScenario, sleepUntil, startVUs } from './executor';

/**
 * The closed model of constant-vus and ramping-vus: all maxVUs are allocated at the start; VU n
 * loops its iterations back to back while n is below the target VU count at that moment
 * (`targetAt`, rounded; t in ms into the scenario) and otherwise waits, until the duration is over.
 */
export async function runLoopingVUs(executor: Executor, targetAt: (t: number) => number, ctx: ExecutorContext): Promise<void> {
  const { scenario, maxVUs } = executor;
  const { clock, stopped } = ctx;
  scenario.vus = maxVUs;
  const endAt = scenario.startMs + executor.durationMs;
  if (!(await sleepUntil(clock, scenario.startMs, stopped))) return;
  const running = startVUs(maxVUs, async (vu) => {
    while (!stopped.aborted && clock.now() < endAt) {
      if (vu >= Math.round(targetAt(clock.now() - scenario.startMs))) {
        await clock.sleep(Math.min(20, Math.max(1, endAt - clock.now())));
        continue;
      }
      scenario.countLoopStart();
      await ctx.runIteration(scenario, vu);
    }
  });
  await finishScenario(executor, running, ctx);
}
