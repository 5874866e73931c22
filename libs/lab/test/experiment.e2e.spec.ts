import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { freePort } from '@checkout-lab/embedded';
import { REPORT_SCHEMA_PATH } from '@checkout-lab/report';
import { REPO_ROOT } from '../src/stack/service-process';

interface ReportJson {
  variants: { name: string; runs: { run_id: string; valid: boolean }[] }[];
  comparisons: { metric: string; baseline: string; candidate: string; verdict: string }[];
}

/** The whole main job, shortened: `checkout-lab experiment --quick` on real servers, as a user runs it. */
describe('checkout-lab experiment --quick', () => {
  it('runs two variants interleaved, three times each, and writes report.html, report.md and report.json with a verdict', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'checkout-lab-experiment-'));
    chmodSync(root, 0o755); // as root, PostgreSQL runs as the postgres user, who must reach the data dir
    const out = path.join(root, 'out');
    const ports = await Promise.all(Array.from({ length: 10 }, () => freePort()));
    const names = ['CART_HTTP_PORT', 'PAYMENT_GRPC_PORT', 'BILLING_GRPC_PORT', 'STRIPE_DOUBLE_PORT', 'LAB_APP_PG_PORT', 'LAB_BILLING_PG_PORT', 'LAB_OTLP_PORT', 'PAYMENT_METRICS_PORT', 'BILLING_METRICS_PORT', 'LAB_DYNAMODB_PORT'];
    const lab = spawn(process.execPath, ['-r', '@swc-node/register', 'libs/lab/src/bin/checkout-lab.ts', 'experiment', 'swiftcart', '--quick', '--out', out], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'],
        SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.base.json'),
        LAB_DATA_DIR: path.join(root, 'lab'),
        ...Object.fromEntries(names.map((name, i) => [name, String(ports[i])])),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    lab.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    lab.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => lab.once('exit', (c) => resolve(c)));
    if (code !== 0) throw new Error(`experiment exited ${code}:\n${output.slice(-4000)}`);

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
