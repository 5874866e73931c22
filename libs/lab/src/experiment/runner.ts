import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { writeExperimentInfo } from '@checkout-lab/run-record';
import type { ResolvedExperiment, Variant } from './definition';

/** One measured (or warm-up) execution of a variant under the experiment's load. */
export interface PlannedRun {
  index: number;
  runId: string;
  variant: Variant;
  repetition: number;
  dir: string;
}

/** What a run hands back to the runner for the terminal summary. */
export interface RunOutcome {
  achievedRate: number;
  targetRate: number;
  checkoutP95Ms: number | undefined;
  failedRate: number;
  droppedIterations: number;
  spans: number;
  /** The generator's own lateness: p99 of how late iterations started vs plan. */
  scheduleLagP99Ms: number | undefined;
}

/**
 * The parts an experiment drives. The command wires the real stack, load driver and report;
 * a test can wire its own.
 */
export interface ExperimentParts {
  /** Start the shared servers and load the data once (seed, and the DynamoDB backfill when a variant needs it). */
  prepare(experiment: ResolvedExperiment): Promise<void>;
  /** Restart the services with the variant's settings, warm them up, run the measured load, collect everything into run.dir. */
  execute(run: PlannedRun, experiment: ResolvedExperiment): Promise<RunOutcome>;
  /** Stop everything prepare started. Safe to call twice. */
  shutdown(): Promise<void>;
}

/** Runs in interleaved order (A B C A B C …), so drift over time (caches, heat, neighbours) hits every variant alike. */
export function planRuns(experiment: ResolvedExperiment, outDir: string, executionId: string): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (let repetition = 1; repetition <= experiment.repetitions; repetition++) {
    for (const variant of experiment.variants) {
      const index = runs.length + 1;
      const name = `${String(index).padStart(2, '0')}-${variant.name}-r${repetition}`;
      // The run id tags every span (baggage lab.run_id): unique per execution, so two executions never share one.
      runs.push({ index, runId: `${experiment.name}-${executionId}-${name}`, variant, repetition, dir: path.join(outDir, 'runs', name) });
    }
  }
  return runs;
}

export interface ExperimentResult {
  outDir: string;
  runs: { run: PlannedRun; outcome: RunOutcome }[];
  wallSeconds: number;
}

export async function runExperiment(
  experiment: ResolvedExperiment,
  outDir: string,
  parts: ExperimentParts,
  options: { say?: (line: string) => void; provenance?: Record<string, unknown>; signal?: AbortSignal } = {},
): Promise<ExperimentResult> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = Date.now();
  mkdirSync(outDir, { recursive: true });
  writeExperimentInfo(outDir, { ...experiment, ...options.provenance, startedAt: new Date(startedAt).toISOString() });
  const executionId = new Date(startedAt).toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  const runs = planRuns(experiment, outDir, executionId);
  const results: ExperimentResult['runs'] = [];
  try {
    await parts.prepare(experiment);
    for (const run of runs) {
      options.signal?.throwIfAborted();
      say(`\n[run ${run.index}/${runs.length}] ${run.variant.name}, repetition ${run.repetition}/${experiment.repetitions}  (elapsed ${elapsed(startedAt)})`);
      mkdirSync(run.dir, { recursive: true });
      const outcome = await parts.execute(run, experiment);
      results.push({ run, outcome });
      say(
        `  done: ${outcome.achievedRate.toFixed(1)}/${outcome.targetRate.toFixed(1)} it/s, ` +
          `checkout p95 ${outcome.checkoutP95Ms === undefined ? '–' : `${outcome.checkoutP95Ms.toFixed(0)} ms`}, ` +
          `failed ${(outcome.failedRate * 100).toFixed(1)} %, dropped ${outcome.droppedIterations}, ` +
          `schedule lag p99 ${outcome.scheduleLagP99Ms === undefined ? '–' : `${outcome.scheduleLagP99Ms.toFixed(1)} ms`}, spans ${outcome.spans}`,
      );
    }
  } finally {
    await parts.shutdown();
  }
  return { outDir, runs: results, wallSeconds: (Date.now() - startedAt) / 1000 };
}

function elapsed(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
