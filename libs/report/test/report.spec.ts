import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { analyse } from '../src/analyse';
import { distinctPcts } from '../src/format';
import type { Comparison, Report } from '../src/report-types';
import { regressionGate } from '../src/regression-gate';
import { loadRuns, ReportInputError } from '../src/run-data';
import { REPORT_SCHEMA_PATH } from '../src/schema';
import { otlpFileSpanReader } from '../src/span-readers';
import { writeReport } from '../src/write-report';
import { swiftcartRuns, syntheticRun, writeRunDirs } from './synthetic';

const schema = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const fixedNow = () => new Date('2025-01-02T03:04:05.000Z');
const find = (report: Report, candidate: string, metric: Comparison['metric']) =>
  report.comparisons.find((c) => c.candidate === candidate && c.metric === metric) as Comparison;

describe('analyse on a synthetic swiftcart (legacy SQL vs DynamoDB vs indexed SQL, 3 runs each)', () => {
  const report = analyse(swiftcartRuns(), { now: fixedNow });

  it('produces report.json that validates against report.schema.json', () => {
    const ok = validate(JSON.parse(JSON.stringify(report)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('validates with the isolation records a pinned legacy server writes (CPU pins, quota, pinned lookup speed)', () => {
    const runs = swiftcartRuns().map((r) => ({
      ...r,
      meta: {
        ...r.meta,
        isolation: {
          requested: { legacy: '1', stack: '0' },
          applied: true,
          legacyCpus: '1',
          stackCpus: '0',
          legacyProcesses: ['legacy PostgreSQL'],
          legacyCpuQuota: { requested: '0.22', applied: true, cpus: 0.22, mechanism: 'cgroup v2 cpu.max 22000 100000' },
          legacySpeed: { targetMs: 210, cpuMs: 46.2, startQuota: 0.23, startLookupMs: 201, quota: 0.22, reached: true },
          generatorPolicy: 'SCHED_FIFO 1 (chrt)',
          generatorCpus: '1',
        },
      },
    }));
    const pinned = analyse(runs, { now: fixedNow });
    expect(pinned.provenance.isolation[0]?.legacy_lookup).toEqual({ target_ms: 210, cpu_ms: 46.2, reached: true });
    expect(pinned.provenance.isolation[0]?.generator_cpus).toBe('1');
    const ok = validate(JSON.parse(JSON.stringify(pinned)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('puts the baseline first and compares every candidate on the agreed metrics', () => {
    expect(report.variants.map((v) => v.name)).toEqual(['legacy-sql', 'dynamodb', 'indexed-sql']);
    expect(report.variants[0]?.baseline).toBe(true);
    expect(report.variants[0]?.runs).toHaveLength(3);
    for (const candidate of ['dynamodb', 'indexed-sql']) {
      for (const metric of ['payment_mean_ms', 'checkout_p95_ms', 'checkout_p99_ms', 'success_rate', 'timeout_rate'] as const) {
        expect(find(report, candidate, metric)).toBeDefined();
      }
    }
  });

  it('shows the fix: payment time falls, timeouts vanish, success and estimated conversion rise, each a significant improvement', () => {
    const pay = find(report, 'dynamodb', 'payment_mean_ms');
    expect(pay.verdict).toBe('improved');
    expect(pay.delta_pct as number).toBeLessThan(-40);
    expect(pay.ci95_pct?.[1] as number).toBeLessThan(0);
    const timeouts = find(report, 'dynamodb', 'timeout_rate');
    expect(timeouts.baseline_value as number).toBeGreaterThan(0.02);
    expect(timeouts.candidate_value).toBe(0);
    expect(timeouts.verdict).toBe('improved');
    expect(find(report, 'dynamodb', 'success_rate').verdict).toBe('improved');
    const conversion = report.conversion_model.changes.find((c) => c.candidate === 'dynamodb');
    expect(conversion?.low as number).toBeGreaterThan(0);
    expect(conversion?.low as number).toBeLessThanOrEqual(conversion?.central as number);
    expect(conversion?.central as number).toBeLessThanOrEqual(conversion?.high as number);
    expect(find(report, 'indexed-sql', 'checkout_p95_ms').verdict).toBe('improved');
  });

  it('reports per-step client latency, per-operation span percentiles and outcome rates', () => {
    const legacy = report.variants[0];
    expect(Object.keys(legacy?.steps ?? {})).toEqual(['create_cart', 'checkout']);
    expect(legacy?.steps['checkout']?.p95_ms as number).toBeGreaterThan(legacy?.steps['checkout']?.p50_ms as number);
    const lookup = legacy?.operations.find((o) => o.service === 'billing-address' && o.operation === 'billing.lookup');
    expect(lookup?.count).toBe(600);
    expect(lookup?.p50_ms as number).toBeGreaterThan(450);
    const grpc = legacy?.operations.find((o) => o.operation === 'checkout.payment.v1.PaymentService/Authorize');
    expect(grpc?.timeout_rate).toBeCloseTo(legacy?.timeout_rate as number, 6);
    expect(legacy?.checkouts).toBe(600);
    expect((legacy?.outcomes['paid'] ?? 0) + (legacy?.outcomes['declined'] ?? 0) + (legacy?.outcomes['timeout'] ?? 0)).toBe(600);
  });

  it('attributes the saved time to the billing lookup on the critical path', () => {
    const attribution = report.attribution.find((a) => a.candidate === 'dynamodb');
    const top = attribution?.operations[0];
    expect(top?.service).toBe('billing-address');
    expect(top?.delta_ms as number).toBeLessThan(-300);
    // The parallel audit span never decides the end of a checkout.
    expect(report.variants[0]?.critical_path.operations.some((o) => o.operation === 'audit.write')).toBe(false);
  });

  it('picks median and p99 exemplar checkouts with trace ids whose spans are in the waterfall', () => {
    for (const v of report.variants) {
      expect(v.exemplars.map((e) => e.which)).toEqual(['median', 'p99']);
      const [median, p99] = v.exemplars;
      expect(p99?.duration_ms as number).toBeGreaterThanOrEqual(median?.duration_ms as number);
      expect(median?.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(median?.spans[0]?.name).toBe('POST /carts/:cartId/checkout');
      expect(median?.spans.some((s) => s.on_critical_path)).toBe(true);
      // NestJS's handler span, wholly covered by the business span below it, is on the path too (the path runs through it).
      expect(median?.spans.filter((s) => s.name === 'checkout').map((s) => s.on_critical_path)).toEqual([true, true]);
      expect(median?.spans.find((s) => s.name === 'audit.write')?.on_critical_path).toBe(false);
      expect(median?.jaeger_url).toBeNull();
      expect(median?.viewer_url).toBeNull();
    }
  });

  it('reads the database evidence: sequential scan, index scan, key lookup', () => {
    expect(report.variants.map((v) => v.database?.access)).toEqual(['sequential_scan', 'key_lookup', 'index_scan']);
    expect(report.variants[1]?.database?.consumed_capacity?.read_units_per_lookup).toBeCloseTo(0.5, 6);
  });

  it('writes a plain-language summary with the figures and the interval', () => {
    const line = report.summary.find((l) => l.startsWith('dynamodb vs legacy-sql'));
    expect(line).toMatch(/payment processing fell from .+ to .+ \(−\d+\.\d %, 95 % CI −\d+\.\d % to −\d+\.\d %, 3 vs 3 runs\)/);
    expect(line).toMatch(/timeouts fell from \d+\.\d % to 0\.0 % of checkouts \(−\d+\.\d points, 95 % CI −\d+\.\d points to −\d+\.\d points, 600 vs 600 checkouts in 3 vs 3 runs\)/);
    expect(line).toMatch(/Verdict \(3 valid run\(s\) a side\): improved/);
    expect(line).toMatch(/Changes smaller than these cannot be told from noise in this experiment \(80 % power\): payment processing time \(mean\) \d+\.\d %/);
  });
});

describe('load validity', () => {
  it('flags a run that missed its load and leaves it out of the verdicts', () => {
    const runs = swiftcartRuns();
    runs.push(syntheticRun({ variant: 'dynamodb', repetition: 4, store: 'dynamodb', lookupMedianMs: 5000, iterations: 200, dropped: 50, scheduleLagP99Ms: 900 }));
    runs.push(syntheticRun({ variant: 'dynamodb', repetition: 0, store: 'dynamodb', lookupMedianMs: 5000, warmup: true }));
    const report = analyse(runs, {});
    const dynamo = report.variants.find((v) => v.name === 'dynamodb');
    const bad = dynamo?.runs.find((r) => r.repetition === 4);
    expect(bad?.valid).toBe(false);
    expect(bad?.excluded_reason).toMatch(/dropped iterations/);
    expect(bad?.excluded_reason).toMatch(/schedule lag/);
    expect(dynamo?.runs.find((r) => r.warmup)?.excluded_reason).toBe('warm-up run');
    expect(dynamo?.valid_runs).toBe(3);
    expect(report.validity.invalid.map((r) => r.run_id).sort()).toEqual(['synthetic-dynamodb-r0', 'synthetic-dynamodb-r4']);
    // The slow invalid run would have wrecked the payment mean; it is not counted.
    expect(find(report, 'dynamodb', 'payment_mean_ms').n_candidate).toBe(3);
    expect(find(report, 'dynamodb', 'payment_mean_ms').verdict).toBe('improved');
    expect(report.summary.join(' ')).toMatch(/1 of 11 runs failed the load-validity checks/);
  });

  it('says there are too few repetitions, and gives no verdict, with one run per variant', () => {
    const report = analyse(swiftcartRuns({ repetitions: 1 }), {});
    const pay = find(report, 'dynamodb', 'payment_mean_ms');
    expect(pay.verdict).toBe('too_few_repetitions');
    expect(pay.ci95).toBeNull();
    expect(pay.delta_pct as number).toBeLessThan(0);
    expect(report.summary[0]).toMatch(/too few repetitions for a confidence interval/);
    expect(report.summary[0]).toMatch(/Too few repetitions for a verdict/);
    expect(validate(JSON.parse(JSON.stringify(report)))).toBe(true);
  });
});

describe('A/A (--aa) and the statistics on page one', () => {
  const aaRuns = () => {
    const runs = [];
    for (let r = 1; r <= 3; r++) {
      for (const variant of ['legacy-sql', 'legacy-sql-copy']) {
        runs.push(syntheticRun({ variant, repetition: r, store: 'sql', lookupMedianMs: 600, lookupSigma: 0.35, deadlineMs: 1000, seed: r * 31 + variant.length }));
      }
    }
    return runs;
  };

  it('counts false verdicts between a variant and its copy, and says what the design can detect', () => {
    const report = analyse(aaRuns(), { experiment: { name: 'swiftcart-aa', aa: true, baseline: 'legacy-sql' } });
    expect(report.aa?.comparisons).toBe(6);
    expect(report.aa?.false_verdicts).toBe(report.comparisons.filter((c) => c.verdict !== 'no_significant_change').length);
    expect(report.summary[0]).toMatch(/^A\/A check: legacy-sql against legacy-sql-copy/);
    const pay = find(report, 'legacy-sql-copy', 'payment_mean_ms');
    expect(pay.min_detectable as number).toBeGreaterThan(0);
    expect(report.summary.join(' ')).toMatch(/Changes smaller than these cannot be told from noise in this experiment \(80 % power\): payment processing time \(mean\) \d+\.\d %/);
    expect(validate(JSON.parse(JSON.stringify(report)))).toBe(true);
  });

  it('keeps every duration interval inside (−100 %, +∞) and states n next to it', () => {
    const report = analyse(swiftcartRuns());
    for (const c of report.comparisons.filter((x) => x.unit === 'ms')) {
      expect((c.ci95_pct as [number, number])[0]).toBeGreaterThan(-100);
      expect(c.n_baseline).toBe(3);
    }
    for (const c of report.comparisons.filter((x) => x.unit === 'ratio')) {
      expect(c.ci95_pct).toBeNull();
      expect(c.trials_baseline).toBe(600);
    }
  });

  it('never writes two different rates as the same figure', () => {
    expect(distinctPcts(0.0021, 0.0024)).toEqual(['0.21 %', '0.24 %']);
    expect(distinctPcts(0.014, 0)).toEqual(['1.4 %', '0.0 %']);
  });

  it('shows the run order and its seed in provenance', () => {
    const report = analyse(swiftcartRuns(), { experiment: { runOrder: { seed: 42, runs: ['01-dynamodb-r1', '02-legacy-sql-r1'] } } });
    expect(report.provenance.run_order).toEqual({ seed: 42, runs: ['01-dynamodb-r1', '02-legacy-sql-r1'] });
  });
});

describe('regressionGate (--fail-on-regression)', () => {
  it('fails when a candidate is significantly worse, unless within the allowed regression', () => {
    const runs = swiftcartRuns().filter((r) => r.meta.variant !== 'indexed-sql');
    const report = analyse(runs, { baseline: 'dynamodb' });
    const gate = regressionGate(report);
    // The documented code (README, "Exit codes"): not 1, which a crash exits with, nor another command's.
    expect(gate.exitCode).toBe(7);
    expect(gate.failures.join('\n')).toMatch(/legacy-sql vs dynamodb: payment processing time \(mean\) regressed by/);
    const lenient = Object.fromEntries(report.comparisons.map((c) => [c.metric, { maxRegressionPct: 100_000 }]));
    const leniently = regressionGate(report, lenient);
    // Timeouts rising from none at all have no relative size, so no percentage allowance covers them.
    expect(leniently.failures).toEqual([expect.stringMatching(/^legacy-sql vs dynamodb: checkout timeout rate regressed from 0\.0 % to \d+\.\d %/)]);
    const withoutTimeouts = analyse(
      swiftcartRuns().filter((r) => r.meta.variant !== 'legacy-sql'),
      { baseline: 'indexed-sql' },
    );
    expect(regressionGate(withoutTimeouts, lenient).exitCode).toBe(0);
  });

  it('passes an improvement and a too-few-repetitions comparison', () => {
    expect(regressionGate(analyse(swiftcartRuns(), {})).exitCode).toBe(0);
    expect(regressionGate(analyse(swiftcartRuns({ repetitions: 1 }), { baseline: 'dynamodb' })).exitCode).toBe(0);
  });
});

describe('writeReport from run directories', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads an experiment directory (OTLP/JSON spans) and writes report.json, report.md and report.html', async () => {
    const runs = swiftcartRuns({ iterations: 60 });
    writeRunDirs(path.join(dir, 'exp'), runs, {
      name: 'swiftcart',
      title: 'SwiftCart: billing lookups off legacy SQL',
      baseline: 'legacy-sql',
      variants: [{ name: 'legacy-sql' }, { name: 'indexed-sql' }, { name: 'dynamodb' }],
      git: { commit: 'abc1234', dirty: false },
      machine: { cpus: 2 },
    });
    const progress: string[] = [];
    const written = await writeReport([path.join(dir, 'exp')], path.join(dir, 'out'), {
      jaegerUrl: 'http://jaeger.example:16686/',
      traceViewer: { url: 'http://127.0.0.1:16680/', command: `npm run lab -- traces ${path.join(dir, 'exp')}` },
      onProgress: (l) => progress.push(l),
    });
    for (const file of Object.values(written.files)) expect(existsSync(file)).toBe(true);
    const json = JSON.parse(readFileSync(written.files.json, 'utf8')) as Report;
    expect(validate(json)).toBe(true);
    expect(json.variants.map((v) => v.name)).toEqual(['legacy-sql', 'indexed-sql', 'dynamodb']);
    expect(json.variants[0]?.checkouts).toBe(180);
    expect(json.variants[0]?.exemplars[0]?.jaeger_url).toMatch(/^http:\/\/jaeger\.example:16686\/trace\/[0-9a-f]{32}$/);
    const exemplar = json.variants[0]?.exemplars[0];
    expect(exemplar?.viewer_url).toBe(`http://127.0.0.1:16680/trace/${exemplar?.trace_id}`);
    expect(json.trace_viewer).toEqual({ url: 'http://127.0.0.1:16680', command: `npm run lab -- traces ${path.join(dir, 'exp')}` });
    expect(json.provenance.git).toEqual({ commit: 'abc1234', dirty: false });
    expect(progress.some((l) => /reading run 9\/9/.test(l))).toBe(true);
    const md = readFileSync(written.files.markdown, 'utf8');
    expect(md).toMatch(/^# SwiftCart: billing lookups off legacy SQL/);
    expect(md).toMatch(/\| payment processing time \(mean\) \| dynamodb \|/);
    // The trace id opens the viewer, Jaeger has its own link, and the note says what must run for the link to answer.
    expect(md).toContain(`trace [\`${exemplar?.trace_id}\`](http://127.0.0.1:16680/trace/${exemplar?.trace_id}) ([Jaeger](http://jaeger.example:16686/trace/${exemplar?.trace_id}))`);
    expect(md).toContain(`Trace ids open in the lab's trace viewer (http://127.0.0.1:16680) while \`npm run lab -- traces ${path.join(dir, 'exp')}\` runs.`);
    expect(readdirSync(path.join(dir, 'out')).sort()).toEqual(['report.html', 'report.json', 'report.md']);
  });

  it('accepts single run directories too', async () => {
    const dirs = writeRunDirs(path.join(dir, 'exp'), swiftcartRuns({ iterations: 20 }).slice(0, 2));
    const loaded = await loadRuns(dirs, otlpFileSpanReader);
    expect(loaded.runs.map((r) => r.meta.variant)).toEqual(['legacy-sql', 'dynamodb']);
    expect(loaded.runs[0]?.spans.length).toBeGreaterThan(100);
  });

  it('names the directory and the problem for bad input, and writes nothing', async () => {
    await expect(writeReport([path.join(dir, 'nope')], path.join(dir, 'out'))).rejects.toThrow(/nope: no such directory/);
    await expect(writeReport([dir], path.join(dir, 'out'))).rejects.toThrow(/neither a run directory .* nor an experiment directory/);
    const [runDir] = writeRunDirs(path.join(dir, 'exp'), swiftcartRuns({ iterations: 5 }).slice(0, 1));
    writeFileSync(path.join(runDir as string, 'summary.json'), '{"metrics": 5');
    await expect(writeReport([runDir as string], path.join(dir, 'out'))).rejects.toThrow(/summary\.json: not valid JSON/);
    writeFileSync(path.join(runDir as string, 'run.json'), '{"runId": "x"}');
    await expect(writeReport([runDir as string], path.join(dir, 'out'))).rejects.toThrow(ReportInputError);
    await expect(writeReport([runDir as string], path.join(dir, 'out'))).rejects.toThrow(/run\.json: unexpected content\n {2}- variant/);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });
});
