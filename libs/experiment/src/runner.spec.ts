import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadExperiment } from './definition';
import { runExperiment, type ExperimentParts, type PlannedRun, type RunOutcome } from './runner';

describe('runExperiment', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(path.join(tmpdir(), 'runner-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  /** Parts that record what ran; the runs named in `invalid` fail the validity rule. */
  const fakeParts = (invalid: (run: PlannedRun) => boolean) => {
    const executed: string[] = [];
    const parts: ExperimentParts = {
      prepare: async () => undefined,
      execute: async (run) => {
        executed.push(path.basename(run.dir));
        const ok = !invalid(run);
        const outcome: RunOutcome = { achievedRate: 4, targetRate: 4, checkoutP95Ms: 900, failedRate: 0, droppedIterations: 0, spans: 10, scheduleLagP99Ms: ok ? 2 : 25, valid: ok };
        return outcome;
      },
      shutdown: async () => undefined,
    };
    return { parts, executed };
  };

  it('runs an invalid run once more, right after it, at most once per variant, and records the order it ran in', async () => {
    const experiment = loadExperiment('swiftcart');
    // Every legacy-sql run fails: only the first is replaced.
    const { parts, executed } = fakeParts((run) => run.variant.name === 'legacy-sql');
    const lines: string[] = [];
    await runExperiment(experiment, out, parts, { say: (line) => lines.push(line), orderSeed: 3 });
    expect(executed).toHaveLength(10);
    // Only the replacement says so (a "dynamodb-r1" directory once matched a name test for "b-").
    const labelled = lines.filter((line) => line.includes('replacing the invalid run'));
    expect(labelled).toHaveLength(1);
    expect(labelled[0]).toMatch(/legacy-sql, repetition 1\/3 \(replacing the invalid run \d+-legacy-sql-r1\)/);
    const firstLegacy = executed.findIndex((name) => name.includes('legacy-sql'));
    expect(executed[firstLegacy + 1]).toBe(`${executed[firstLegacy]?.slice(0, 2)}b-legacy-sql-r1`);
    expect(executed.filter((name) => /^\d+b-/.test(name))).toHaveLength(1);
    const info = JSON.parse(readFileSync(path.join(out, 'experiment.json'), 'utf8')) as { runOrder: { seed: number; runs: string[] } };
    expect(info.runOrder).toEqual({ seed: 3, runs: executed });
  });

  it('replaces nothing when every run is valid; --quick replaces an invalid run the same way', async () => {
    const valid = fakeParts(() => false);
    await runExperiment(loadExperiment('swiftcart'), out, valid.parts, { say: () => undefined, orderSeed: 3 });
    expect(valid.executed).toHaveLength(9);
    const quick = fakeParts((run) => run.variant.name === 'legacy-sql');
    await runExperiment(loadExperiment('swiftcart', { quick: true }), out, quick.parts, { say: () => undefined, orderSeed: 3 });
    // 2 variants × 3 repetitions, and the first invalid legacy run once more (once per variant).
    expect(quick.executed).toHaveLength(7);
    expect(quick.executed.filter((name) => /^\d+b-legacy-sql-r\d$/.test(name))).toHaveLength(1);
  });
});
