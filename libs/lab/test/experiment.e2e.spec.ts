import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { REPORT_SCHEMA_PATH } from '@checkout-lab/report';
import { labPorts, labRoot, spawnLab } from './support/lab-cli';

interface ReportJson {
  variants: { name: string; runs: { run_id: string; valid: boolean }[] }[];
  comparisons: { metric: string; baseline: string; candidate: string; verdict: string }[];
}

/** The whole main job, shortened: `checkout-lab experiment --quick` on real servers, as a user runs it. */
describe('checkout-lab experiment --quick', () => {
  it('runs two variants interleaved, three times each, and writes report.html, report.md and report.json with a verdict', async () => {
    const out = path.join(labRoot('checkout-lab-experiment-'), 'out');
    const lab = spawnLab(['experiment', 'swiftcart', '--quick', '--out', out], { ...(await labPorts()), LAB_DATA_DIR: path.join(out, '..', 'lab') });
    const code = await lab.exited;
    if (code !== 0) throw new Error(`experiment exited ${code}:\n${lab.output().slice(-4000)}`);
    const output = lab.output();

    for (const file of ['report.html', 'report.md', 'report.json', 'experiment.json']) expect(existsSync(path.join(out, file))).toBe(true);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as ReportJson;
    const schema = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8')) as object; // JSON Schema draft-07
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    expect(ajv.validate(schema, report) ? [] : ajv.errors).toEqual([]);

    expect(report.variants.map((v) => v.name)).toEqual(['legacy-sql', 'indexed-sql']);
    for (const variant of report.variants) expect(variant.runs).toHaveLength(3);
    const payment = report.comparisons.find((c) => c.metric === 'payment_mean_ms');
    expect(payment).toMatchObject({ baseline: 'legacy-sql', candidate: 'indexed-sql' });
    expect(['improved', 'regressed', 'no_significant_change']).toContain(payment?.verdict);

    // Every run directory holds what the report was built from.
    const runs = readdirSync(path.join(out, 'runs')).sort();
    expect(runs).toEqual(['01-legacy-sql-r1', '02-indexed-sql-r1', '03-legacy-sql-r2', '04-indexed-sql-r2', '05-legacy-sql-r3', '06-indexed-sql-r3']);
    for (const run of runs) {
      for (const file of ['run.json', 'summary.json', 'database.json', 'host.json', 'telemetry.json']) expect(existsSync(path.join(out, 'runs', run, file))).toBe(true);
      expect(readdirSync(path.join(out, 'runs', run, 'spans')).length).toBeGreaterThan(0);
      const database = JSON.parse(readFileSync(path.join(out, 'runs', run, 'database.json'), 'utf8')) as { plan: string; statements: unknown[] };
      expect(database.plan).toMatch(run.includes('legacy') ? /Seq Scan/ : /Index Scan|Index Only Scan|Bitmap/);
      expect(database.statements.length).toBeGreaterThan(0);
    }
    expect(output).toMatch(/legacy-sql \(baseline\)/);
    expect(output).toContain(path.join(out, 'report.html'));
  }, 600_000);
});
