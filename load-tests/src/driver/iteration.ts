import { performance } from 'node:perf_hooks';
import { ATTR_LAB_RUN_ID, ATTR_LAB_VARIANT, ATTR_LOAD_ITERATION, ATTR_LOAD_SCENARIO, ATTR_LOAD_VU } from '@checkout-lab/telemetry';
import type { Flow } from '../flow';
import type { EnvLike } from '../scenario-env';
import type { Scenario } from './executors/executor';
import { type Agents, IterationInterrupted, NodeLoadClient } from './http-client';
import type { MetricRegistry, Tags } from './metrics';
import type { IterationTracer } from './tracing';

export interface IterationSetup {
  flow: Flow;
  baseUrl: string;
  /** the run's environment (RUN_ID, VARIANT on the spans) */
  env: EnvLike;
  /** recorded on the spans as load.scenario instead of the scenario's own name */
  scenarioName: string | undefined;
  agents: Agents;
  registry: MetricRegistry;
  tracer: IterationTracer;
}

/**
 * The iteration function every executor calls: one run of the flow on a VU, its `checkout-flow`
 * span, its checks, and the iterations / iteration_duration metrics (an interrupted iteration is
 * counted apart, not in them). Keeps the figures the progress line and the summary read.
 */
export class IterationRunner {
  readonly checks = new Map<string, { passes: number; fails: number }>();
  /** http_reqs as of the last iteration's end */
  httpReqs = 0;
  httpErrors = 0;
  /** iterations cut off by gracefulStop or a stop */
  interrupted = 0;
  private iterationCounter = 0;

  constructor(private readonly setup: IterationSetup) {}

  async run(scenario: Scenario, vu: number): Promise<void> {
    const { flow, baseUrl, env, agents, registry, tracer } = this.setup;
    const iteration = this.iterationCounter++;
    scenario.inFlight++;
    const tags: Tags = { scenario: scenario.name, ...scenario.tags };
    const trace = tracer.start({
      [ATTR_LAB_RUN_ID]: env['RUN_ID'] || 'adhoc',
      [ATTR_LAB_VARIANT]: env['VARIANT'] || 'default',
      [ATTR_LOAD_SCENARIO]: this.setup.scenarioName ?? scenario.name,
      [ATTR_LOAD_ITERATION]: iteration,
      [ATTR_LOAD_VU]: vu,
    });
    let failure: string | undefined;
    const client = new NodeLoadClient(agents, registry, tags, scenario.interrupt.signal, {
      onCheck: (name, ok) => {
        const entry = this.checks.get(name) ?? { passes: 0, fails: 0 };
        if (ok) entry.passes++;
        else {
          entry.fails++;
          failure ??= `check failed: ${name}`;
        }
        this.checks.set(name, entry);
      },
      onRequestError: () => {
        this.httpErrors++;
        failure ??= 'HTTP request failed';
      },
    });
    const started = performance.now();
    let cutOff = false;
    try {
      await flow(client, { baseUrl, env: scenario.env, traceparent: trace.traceparent, random: Math.random });
    } catch (error) {
      if (error instanceof IterationInterrupted) cutOff = true;
      else failure = `iteration threw: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      scenario.inFlight--;
      this.httpReqs = registry.sink('http_reqs')?.samples ?? 0;
    }
    if (!cutOff) {
      registry.add('iterations', 1, tags);
      registry.add('iteration_duration', performance.now() - started, tags);
    } else {
      this.interrupted++;
    }
    trace.end({ error: cutOff ? 'interrupted' : failure });
  }
}
