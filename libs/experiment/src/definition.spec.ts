import { faultsDefinitionFile } from './faults/definition';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bundledExperiments, ExperimentDefinitionError, loadExperiment, parseExperiment, variantEnvironment } from './definition';
import { planRuns } from './runner';

const minimal = {
  name: 'demo',
  title: 'Demo',
  seed: { users: 100, addressesPerUser: 2 },
  load: { scenario: 'smoke' },
  warmup: { duration: '2s', rate: 2 },
  repetitions: 2,
  variants: [
    { name: 'a', settings: { billingStore: 'sql', sqlProfile: 'legacy' } },
    { name: 'b', settings: { billingStore: 'dynamodb' } },
  ],
};

function problemsOf(raw: unknown): string[] {
  try {
    parseExperiment(raw, 'demo.json');
  } catch (error) {
    if (error instanceof ExperimentDefinitionError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('experiment definitions', () => {
  it('loads every bundled experiment, default and --quick', () => {
    expect(bundledExperiments()).toEqual(expect.arrayContaining(['swiftcart', 'index-dropped', 'faults']));
    // The faults experiment is another kind, with its own definition (src/faults/definition.spec.ts).
    for (const name of bundledExperiments().filter((n) => faultsDefinitionFile(n) === undefined)) {
      for (const quick of [false, true]) {
        const experiment = loadExperiment(name, { quick });
        expect(experiment.variants.length).toBeGreaterThanOrEqual(2);
        expect(experiment.variants.map((v) => v.name)).toContain(experiment.baseline);
      }
    }
  });

  it('swiftcart compares legacy SQL (the baseline) with DynamoDB and indexed SQL; --quick keeps two variants and three repetitions', () => {
    const full = loadExperiment('swiftcart');
    expect(full.baseline).toBe('legacy-sql');
    expect(full.variants.map((v) => [v.name, v.settings.billingStore, v.settings.sqlProfile])).toEqual([
      ['legacy-sql', 'sql', 'legacy'],
      ['dynamodb', 'dynamodb', undefined],
      ['indexed-sql', 'sql', 'indexed'],
    ]);
    // Experiment-wide settings reach every variant.
    expect(full.variants.every((v) => v.settings.billingPoolMax === full.variants[0]?.settings.billingPoolMax)).toBe(true);
    const quick = loadExperiment('swiftcart', { quick: true });
    expect(quick.variants).toHaveLength(2);
    expect(quick.repetitions).toBe(3);
  });

  it('names every field problem of a bad definition in one error', () => {
    const problems = problemsOf({
      ...minimal,
      warmup: { duration: '2 seconds', rate: 2 },
      variants: [{ name: 'a', settings: { billingStore: 'mysql' } }, { name: 'b', settings: { poolSize: 3 } }],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^warmup\.duration: must be a duration/),
      expect.stringMatching(/^variants\.0\.settings\.billingStore: .*"sql"\|"dynamodb"/),
      expect.stringMatching(/^variants\.1\.settings: .*poolSize/),
    ]);
  });

  it('checks names that refer to variants and metrics', () => {
    const problems = problemsOf({
      ...minimal,
      baseline: 'c',
      variants: [{ name: 'a' }, { name: 'a' }],
      thresholds: { p42: { maxRegressionPct: 5 } },
      quick: { variants: ['a', 'z'] },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^variants\.1\.name: "a" is used twice/),
        expect.stringMatching(/^baseline: names no variant/),
        expect.stringMatching(/^quick\.variants\.1: "z" names no variant/),
        expect.stringMatching(/^thresholds\.p42: unknown metric/),
      ]),
    );
  });

  it('refuses a missing file, naming the bundled experiments', () => {
    expect(() => loadExperiment('no-such-experiment')).toThrow(/no such file, and no bundled experiment of that name \(bundled: .*swiftcart/);
  });

  it('reads YAML as well as JSON, and reports unreadable files clearly', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'experiment-def-'));
    const yamlFile = path.join(dir, 'demo.yaml');
    writeFileSync(yamlFile, `name: demo\ntitle: Demo\nseed: {users: 100, addressesPerUser: 2}\nload: {scenario: smoke}\nwarmup: {duration: 2s, rate: 2}\nrepetitions: 2\nvariants:\n  - {name: a}\n  - {name: b}\n`);
    expect(loadExperiment(yamlFile).variants.map((v) => v.name)).toEqual(['a', 'b']);
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "name": ');
    expect(() => loadExperiment(broken)).toThrow(ExperimentDefinitionError);
  });

  it('turns variant settings into the services\' documented variables', () => {
    expect(variantEnvironment({ billingStore: 'sql', sqlProfile: 'indexed', billingPoolMax: 2, billingDeadlineMs: 1500, stripeLatencyMedianMs: 700 })).toEqual({
      BILLING_STORE: 'sql',
      BILLING_SQL_PROFILE: 'indexed',
      BILLING_DB_POOL_MAX: '2',
      BILLING_DEADLINE_MS: '1500',
      STRIPE_DOUBLE_LATENCY_MEDIAN_MS: '700',
    });
  });

  it('plans runs in rounds, one of each variant per round, shuffled by a seed, each with its own run id and directory', () => {
    const experiment = loadExperiment('swiftcart');
    const runs = planRuns(experiment, '/out', '20261125120000', 42);
    const rounds = [0, 1, 2].map((i) => runs.slice(i * 3, i * 3 + 3));
    for (const [i, round] of rounds.entries()) {
      expect(round.map((r) => r.variant.name).sort()).toEqual(['dynamodb', 'indexed-sql', 'legacy-sql']);
      expect(round.every((r) => r.repetition === i + 1)).toBe(true);
    }
    // The same seed gives the same order; over a few seeds the first run of a round is not always the same variant.
    expect(planRuns(experiment, '/out', '20261125120000', 42).map((r) => r.runId)).toEqual(runs.map((r) => r.runId));
    const firsts = new Set([1, 2, 3, 4, 5, 6, 7, 8].flatMap((seed) => planRuns(experiment, '/out', 'x', seed).filter((_, i) => i % 3 === 0).map((r) => r.variant.name)));
    expect(firsts.size).toBe(3);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(runs.length);
    const second = runs[1] as (typeof runs)[number];
    expect(second.dir).toBe(`/out/runs/02-${second.variant.name}-r1`);
    expect(second.runId).toBe(`swiftcart-20261125120000-02-${second.variant.name}-r1`);
  });

  it('builds the A/A version: the baseline against an identical copy, same design', () => {
    const normal = loadExperiment('swiftcart');
    const aa = loadExperiment('swiftcart', { aa: true });
    expect(aa.aa).toBe(true);
    expect(aa.variants.map((v) => v.name)).toEqual(['legacy-sql', 'legacy-sql-copy']);
    expect(aa.variants[1]?.settings).toEqual(aa.variants[0]?.settings);
    expect(aa.variants[0]?.settings).toEqual(normal.variants[0]?.settings);
    expect(aa.repetitions).toBe(normal.repetitions);
    expect(aa.load).toEqual(normal.load);
    expect(aa.baseline).toBe('legacy-sql');
  });

  it('reads the conversion model from the definition and rejects a calibration that cannot be fitted', () => {
    expect(loadExperiment('swiftcart').conversion?.calibration.before.latencyMs).toBe(1200);
    const bad = { ...minimal, conversion: { calibration: { before: { latencyMs: 800, conversion: 0.7 }, after: { latencyMs: 840, conversion: 0.72 }, lostBefore: { low: 0.05, central: 0.03, high: 0.01 } }, sources: ['x'] } };
    expect(() => parseExperiment(bad, 'bad.json')).toThrow(/before.*slower than "after"/);
  });
});
