import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { REPORT_SCHEMA_PATH } from '@checkout-lab/report';
import { labPorts, labRoot, spawnLab } from './support/lab-cli';

interface ReportJson {
  variants: { name: string; valid_runs: number; runs: { run_id: string; valid: boolean }[] }[];
  comparisons: { metric: string; baseline: string; candidate: string; verdict: string }[];
  calibration: { variant: string; service: string; operation: string; injected_ms: number; end_to_end_delta_ms: number; in_span_delta_ms: number; attributed_share: number; passed: boolean; problems: string[] }[];
  provenance: { isolation: { run_id: string; applied: boolean; legacy_cpus: string | null; stack_cpus: string | null }[]; run_order: { seed: number; runs: string[] } | null };
}

function readReport(out: string): ReportJson {
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as ReportJson;
  const schema = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8')) as object; // JSON Schema draft-07
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  expect(ajv.validate(schema, report) ? [] : ajv.errors).toEqual([]);
  return report;
}

/** The whole main job, shortened: `checkout-lab experiment --quick` on real servers, as a user runs it. */
describe('checkout-lab experiment --quick', () => {
  it('runs two variants in shuffled rounds, three times each, and writes report.html, report.md and report.json with a verdict', async () => {
    const out = path.join(labRoot('checkout-lab-experiment-'), 'out');
    const lab = spawnLab(['experiment', 'swiftcart', '--quick', '--out', out], { ...(await labPorts()), LAB_DATA_DIR: path.join(out, '..', 'lab') });
    const code = await lab.exited;
    if (code !== 0) throw new Error(`experiment exited ${code}:\n${lab.output().slice(-4000)}`);
    const output = lab.output();

    for (const file of ['report.html', 'report.md', 'report.json', 'experiment.json']) expect(existsSync(path.join(out, file))).toBe(true);
    const report = readReport(out);

    expect(report.variants.map((v) => v.name)).toEqual(['legacy-sql', 'indexed-sql']);
    for (const variant of report.variants) expect(variant.runs.filter((r) => r.valid).length).toBeGreaterThanOrEqual(3);
    const payment = report.comparisons.find((c) => c.metric === 'payment_mean_ms');
    expect(payment).toMatchObject({ baseline: 'legacy-sql', candidate: 'indexed-sql' });
    // The index removes a sequential scan from every checkout: a change this design must detect.
    expect(payment?.verdict).toBe('improved');
    // On Linux with 2+ CPUs the legacy server ran on a CPU of its own, recorded per run.
    if (process.platform === 'linux' && cpus().length >= 2) {
      // One entry per run directory: 6 planned, plus one per invalid run that was run once more.
      expect(report.provenance.isolation).toHaveLength(report.variants.reduce((sum, v) => sum + v.runs.length, 0));
      expect(report.provenance.isolation.length).toBeGreaterThanOrEqual(6);
      for (const i of report.provenance.isolation) {
        expect(i.applied).toBe(true);
        expect(i.legacy_cpus).not.toEqual(i.stack_cpus);
      }
    }

    // Every run directory holds what the report was built from.
    const runs = readdirSync(path.join(out, 'runs')).sort();
    // Rounds of one run per variant, the order within a round shuffled by the seed in experiment.json.
    const runOrder = (JSON.parse(readFileSync(path.join(out, 'experiment.json'), 'utf8')) as { runOrder: { seed: number; runs: string[] } }).runOrder;
    expect(runs).toEqual(runOrder.runs);
    expect(report.provenance.run_order).toEqual(runOrder);
    // A run that failed the validity rule is run once more right after it (`05b-…`); the rounds are the planned runs.
    const planned = runs.filter((r) => /^\d+-/.test(r));
    for (let round = 0; round < 3; round++) {
      expect(planned.slice(round * 2, round * 2 + 2).map((r) => r.replace(/^\d+-(.*)-r\d+$/, '$1')).sort()).toEqual(['indexed-sql', 'legacy-sql']);
      expect(planned.slice(round * 2, round * 2 + 2).every((r) => r.endsWith(`-r${round + 1}`))).toBe(true);
    }
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

/** The proof that attribution works: known delays at known spans, recovered by the report (short form). */
describe('checkout-lab experiment calibration --quick', () => {
  it('puts each injected delay on the critical path in the span where it was injected, and exits 4 unless the report recovered it', async () => {
    const out = path.join(labRoot('checkout-lab-calibration-'), 'out');
    const lab = spawnLab(['experiment', 'calibration', '--quick', '--out', out], { ...(await labPorts()), LAB_DATA_DIR: path.join(out, '..', 'lab') });
    const code = await lab.exited;
    const report = readReport(out);
    const summary = report.calibration.map((c) => `${c.variant}: ${c.passed ? 'ok' : c.problems.join('; ')}`).join('\n');
    expect(report.calibration.map((c) => [c.variant, c.service, c.operation, c.injected_ms])).toEqual([
      ['lookup-plus-100ms', 'billing-address', 'billing.lookup', 100],
      ['cart-plus-100ms', 'cart', 'checkout', 100],
    ]);
    // The injected 100 ms lands on the critical path, in the span where it was put (±10 %): the
    // attribution the report's "where the time went" rests on. (The end-to-end ±10 % check needs the
    // full-length calibration, `checkout-lab experiment calibration`: an 8-second run on a shared
    // CI machine is too noisy for it, so here its outcome is only required to match the exit code.)
    for (const c of report.calibration) {
      expect(c.in_span_delta_ms).toBeGreaterThanOrEqual(90);
      expect(c.in_span_delta_ms).toBeLessThanOrEqual(110);
    }
    expect(code).toBe(report.calibration.every((c) => c.passed) ? 0 : 4);
    if (code !== 0) process.stderr.write(`calibration (quick) not recovered end to end:\n${summary}\n`);
  }, 600_000);
});
