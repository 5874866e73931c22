import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { seededRandom } from '@checkout-lab/config';
import { writeExperimentInfo } from '@checkout-lab/run-record';
import type { ResolvedExperiment, Variant } from './definition';

/** One measured (or warm-up) execution of a variant under the experiment's load. */
export interface PlannedRun {
  index: number;
  runId: string;
  variant: Variant;
  repetition: number;
  dir: string;
  /** Set on the run that repeats an invalid one (see replacementRun). */
  replaces?: string;
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
  /** The run passed the one validity rule (libs/run-record); an invalid run is replaced once. */
  valid: boolean;
}

/**
 * The parts an experiment drives: RunExecutor (run-executor.ts) on the real stack and load
 * driver; a test can wire its own.
 */
export interface ExperimentParts {
  /** Start the shared servers and load the data once (seed, and the DynamoDB backfill when a variant needs it). */
  prepare(experiment: ResolvedExperiment): Promise<void>;
  /** Restart the services with the variant's settings, warm them up, run the measured load, collect everything into run.dir. */
  execute(run: PlannedRun, experiment: ResolvedExperiment): Promise<RunOutcome>;
  /** Stop everything prepare started. Safe to call twice. */
  shutdown(): Promise<void>;
}

/**
 * Runs interleaved in rounds (one run of every variant per round), the order within each round
 * shuffled with `orderSeed` (Fisher–Yates on a seeded generator), as in randomised multiple
 * interleaved trials: a slow drift over time (caches, heat, neighbours) hits every variant
 * alike and cannot favour the one that always runs first. The same seed gives the same plan.
 */
export function planRuns(experiment: ResolvedExperiment, outDir: string, executionId: string, orderSeed: number): PlannedRun[] {
  const random = seededRandom(orderSeed);
  const runs: PlannedRun[] = [];
  for (let repetition = 1; repetition <= experiment.repetitions; repetition++) {
    const round = [...experiment.variants];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [round[i], round[j]] = [round[j] as Variant, round[i] as Variant];
    }
    for (const variant of round) {
      const index = runs.length + 1;
      const name = `${String(index).padStart(2, '0')}-${variant.name}-r${repetition}`;
      // The run id tags every span (baggage lab.run_id): unique per execution, so two executions never share one.
      runs.push({ index, runId: `${experiment.name}-${executionId}-${name}`, variant, repetition, dir: path.join(outDir, 'runs', name) });
    }
  }
  return runs;
}

/**
 * The run that replaces an invalid one: same variant and repetition, run next (so it stays in its
 * round), in a directory beside the invalid one's (`05b-legacy-sql-r2` after `05-legacy-sql-r2`).
 */
export function replacementRun(invalid: PlannedRun, experimentName: string, executionId: string): PlannedRun {
  const name = `${String(invalid.index).padStart(2, '0')}b-${invalid.variant.name}-r${invalid.repetition}`;
  return {
    ...invalid,
    runId: `${experimentName}-${executionId}-${name}`,
    dir: path.join(path.dirname(invalid.dir), name),
    replaces: path.basename(invalid.dir),
  };
}

/** A fresh seed for the run order when none is given (recorded in experiment.json either way). */
export function newOrderSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
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
  options: { say?: (line: string) => void; provenance?: Record<string, unknown>; signal?: AbortSignal; orderSeed?: number } = {},
): Promise<ExperimentResult> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = Date.now();
  mkdirSync(outDir, { recursive: true });
  const executionId = new Date(startedAt).toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  const orderSeed = options.orderSeed ?? newOrderSeed();
  const runs = planRuns(experiment, outDir, executionId, orderSeed);
  const writeInfo = (order: PlannedRun[]) =>
    writeExperimentInfo(outDir, {
      ...experiment,
      ...options.provenance,
      startedAt: new Date(startedAt).toISOString(),
      runOrder: { seed: orderSeed, runs: order.map((r) => path.basename(r.dir)) },
    });
  writeInfo(runs);
  say(`  run order (seed ${orderSeed}): ${runs.map((r) => `${r.variant.name}#${r.repetition}`).join(', ')}`);
  const results: ExperimentResult['runs'] = [];
  try {
    await parts.prepare(experiment);
    // At most one replacement per variant: a run that fails the validity rule (a generator hiccup,
    // a service exit) is run again once, so the verdicts keep their planned repetitions.
    const replaced = new Set<string>();
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i] as PlannedRun;
      options.signal?.throwIfAborted();
      const label = run.replaces ? ` (replacing the invalid run ${run.replaces})` : '';
      say(`\n[run ${i + 1}/${runs.length}] ${run.variant.name}, repetition ${run.repetition}/${experiment.repetitions}${label}  (elapsed ${elapsed(startedAt)})`);
      mkdirSync(run.dir, { recursive: true });
      const outcome = await parts.execute(run, experiment);
      results.push({ run, outcome });
      say(
        `  done: ${outcome.achievedRate.toFixed(1)}/${outcome.targetRate.toFixed(1)} it/s, ` +
          `checkout p95 ${outcome.checkoutP95Ms === undefined ? '–' : `${outcome.checkoutP95Ms.toFixed(0)} ms`}, ` +
          `failed ${(outcome.failedRate * 100).toFixed(1)} %, dropped ${outcome.droppedIterations}, ` +
          `schedule lag p99 ${outcome.scheduleLagP99Ms === undefined ? '–' : `${outcome.scheduleLagP99Ms.toFixed(1)} ms`}, spans ${outcome.spans}`,
      );
      if (!outcome.valid && !replaced.has(run.variant.name)) {
        replaced.add(run.variant.name);
        runs.splice(i + 1, 0, replacementRun(run, experiment.name, executionId));
        writeInfo(runs);
        say(`  the run is invalid: running ${run.variant.name} repetition ${run.repetition} once more (once per variant)`);
      }
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
