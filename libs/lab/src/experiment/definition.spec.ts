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
    expect(bundledExperiments()).toEqual(expect.arrayContaining(['swiftcart', 'index-dropped']));
    for (const name of bundledExperiments()) {
      for (const quick of [false, true]) {
        const experiment = loadExperiment(name, { quick });
        expect(experiment.variants.length).toBeGreaterThanOrEqual(2);
        expect(experiment.variants.map((v) => v.name)).toContain(experiment.baseline);
      }
    }
  });

  it('swiftcart compares legacy SQL (the baseline) with DynamoDB and indexed SQL; --quick keeps two variants and four repetitions', () => {
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
    expect(quick.repetitions).toBe(4);
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

  it('plans runs interleaved, A B A B, each with its own run id and directory', () => {
    const experiment = loadExperiment('swiftcart', { quick: true });
    const runs = planRuns(experiment, '/out', '20261125120000');
    expect(runs.map((r) => `${r.variant.name}#${r.repetition}`)).toEqual([
      'legacy-sql#1',
      'indexed-sql#1',
      'legacy-sql#2',
      'indexed-sql#2',
      'legacy-sql#3',
      'indexed-sql#3',
      'legacy-sql#4',
      'indexed-sql#4',
    ]);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(runs.length);
    expect(runs[1]?.dir).toBe('/out/runs/02-indexed-sql-r1');
    expect(runs[1]?.runId).toBe('swiftcart-20261125120000-02-indexed-sql-r1');
  });
});
