import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { benchConfigs, benchStack, formatCpuTable, type BenchOptions, type ConfigResult } from '@checkout-lab/experiment';
import { loadLabSettings, Stack } from '@checkout-lab/stack';
import { durationSeconds } from './options';

interface RawOptions {
  configs: string[];
  sampleRatio: number;
  startRate: number;
  growth: number;
  precision: number;
  maxRate: number;
  step: number;
  warmup: number;
  p99Limit: number;
  users: number;
  stripeLatency: number;
  cpuProf?: number | true;
  out?: string;
}

/** The processes whose CPU per flow the table shows, in the order of a request's path. */
const CPU_COLUMNS = ['cart', 'payment', 'billing-address', 'stripe-double', 'app PostgreSQL', 'billing PostgreSQL', 'trace-receiver', 'lab'] as const;

export function registerBenchStack(program: Command): void {
  const names = benchConfigs(0.1).map((c) => c.name);
  program
    .command('bench-stack')
    .description(
      "the stack's capacity: the highest open-model checkout-flow rate it sustains (checkout p99 under a limit, " +
        "< 1 % errors, nothing dropped, valid by the driver's rule) with tracing off, on, on but exported nowhere, " +
        'and sampled, in one run; prints a table with ratios to "off", CPU per flow of each process and spans per flow, writes JSON',
    )
    .option('--configs <list>', `configurations, comma-separated (${names.join(', ')})`, (v) => configList(v, names), names)
    .option('--sample-ratio <ratio>', 'the sampled configuration\'s ratio', ratio, 0.1)
    .option('--start-rate <flows/s>', 'first arrival rate tried (also the warm-up rate)', positive, 20)
    .option('--growth <factor>', 'rate multiplier between steps until a step fails (then the bracket is bisected)', (v) => greaterThanOne(v), 1.5)
    .option('--precision <fraction>', 'bisect until the bracket is narrower than this fraction of the rate that held', ratio, 0.1)
    .option('--max-rate <flows/s>', 'stop stepping up here', positive, 2000)
    .option('--step <duration>', 'length of each step (20s, 1m; a bare number is seconds)', durationSeconds, 20)
    .option('--warmup <duration>', 'unmeasured warm-up after each start of the services (a bare number is seconds)', durationSeconds, 10)
    .option('--p99-limit <ms>', 'a step holds while checkout p99 stays at or under this', positive, 300)
    .option('--users <n>', 'seeded users the flows draw from (2 addresses each)', positiveInt, 2000)
    .option('--stripe-latency <ms>', "the Stripe double's median latency", nonNegative, 0)
    .option('--cpu-prof [flows/s]', 'after the search, profile the services (node --cpu-prof) for one step per configuration at this rate (default: half the lowest sustained rate)', positive)
    .option('--out <file>', 'JSON output (default <LAB_DATA_DIR>/bench/stack.json)')
    .action(async (raw: RawOptions) => {
      await run(raw);
    });
}

async function run(raw: RawOptions): Promise<void> {
  const base = loadLabSettings(process.env);
  const settings = {
    ...base,
    dataDir: path.join(base.dataDir, 'bench-stack-data', `${raw.users}x2`),
    seed: { users: raw.users, addressesPerUser: 2 },
    // Only the indexed store runs here: no legacy server to isolate, so the stack gets every CPU (unless asked otherwise).
    isolation: { ...base.isolation, legacyCpus: process.env['LAB_LEGACY_CPUS'] ?? 'off' },
  };
  const out = path.resolve(raw.out ?? path.join(base.dataDir, 'bench', 'stack.json'));
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const options: BenchOptions = {
    configs: benchConfigs(raw.sampleRatio).filter((c) => raw.configs.includes(c.name)),
    startRate: raw.startRate,
    growth: raw.growth,
    precision: raw.precision,
    maxRate: raw.maxRate,
    stepS: raw.step,
    warmupS: raw.warmup,
    p99LimitMs: raw.p99Limit,
    maxErrorRate: 0.01,
    users: raw.users,
    env: { STRIPE_DOUBLE_LATENCY_MEDIAN_MS: String(raw.stripeLatency) },
  };
  const startedAt = new Date().toISOString();
  if (raw.cpuProf !== undefined) {
    const dir = path.join(path.dirname(out), 'cpu-prof', startedAt.replace(/[:.]/g, '-'));
    options.cpuProfile = { dir, ...(raw.cpuProf === true ? {} : { rate: raw.cpuProf }) };
  }
  const stack = new Stack(settings, (line) => say(`  ${line}`));
  let results: ConfigResult[];
  const stop = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    say(`bench-stack: ${options.configs.map((c) => c.name).join(', ')}; steps of ${options.stepS} s from ${options.startRate}/s ×${options.growth}; checkout p99 ≤ ${options.p99LimitMs} ms`);
    await stack.startInfrastructure({ dynamodb: false });
    results = await benchStack(stack, options, say);
  } finally {
    process.removeListener('SIGINT', stop);
    await stack.stop();
  }

  const report = {
    startedAt,
    endedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', totalMemoryBytes: os.totalmem(), kernel: `${os.platform()} ${os.release()}` },
    node: process.version,
    settings: { ...options, configs: options.configs },
    results,
  };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
  process.stdout.write(`\n${benchTable(results)}\n`);
  for (const r of results) {
    if (!r.profiled || Object.keys(r.profiled.services).length === 0) continue;
    process.stdout.write(`\nwhere the CPU went, ${r.config}, at ${r.profiled.step.rate}/s (${r.profiled.step.iterations} flows; profiles in ${r.profiled.dir}):\n`);
    process.stdout.write(`${formatCpuTable(r.profiled.services)}\n`);
  }
  process.stdout.write(`\nwrote ${out}\n`);
}

/** The console table: sustained rate, its ratio to "off", latency at that rate, spans and CPU per flow. */
export function benchTable(results: ConfigResult[]): string {
  const off = results.find((r) => r.config === 'off')?.sustainedRate;
  const present = CPU_COLUMNS.filter((name) => results.some((r) => (r.atSustained?.cpuMsPerFlow[name] ?? 0) > 0));
  const header = ['config', 'flows/s', '× off', 'p50 ms', 'p99 ms', 'spans/flow', ...present.map((n) => `${n} ms`), 'total CPU ms', 'decode after ms'];
  const rows = results.map((r) => {
    const s = r.atSustained;
    const cpu = s?.cpuMsPerFlow ?? {};
    // Deferred decoding moves the receiver's work out of the step, not away: it counts in the total.
    const total = Object.values(cpu).reduce((a, b) => a + b, 0) + (s?.receiverDecodeMsPerFlow ?? 0);
    return [
      r.config,
      r.sustainedRate.toString(),
      off ? (r.sustainedRate / off).toFixed(2) : '–',
      s?.checkoutP50Ms?.toFixed(1) ?? '–',
      s?.checkoutP99Ms?.toFixed(0) ?? '–',
      s && s.spansPerFlow > 0 ? s.spansPerFlow.toFixed(1) : '–',
      ...present.map((n) => (cpu[n] ?? 0).toFixed(1)),
      total.toFixed(1),
      s && s.receiverDecodeMsPerFlow > 0 ? s.receiverDecodeMsPerFlow.toFixed(1) : '–',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line), '', 'CPU ms per flow at the sustained rate, from /proc (each process with its children); "lab" is the load driver;\n' +
      '"decode after": the trace receiver\'s CPU per flow after the step, decoding the batches it spooled during it (in the total).'].join('\n');
}

function configList(value: string, names: string[]): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((n) => !names.includes(n));
  if (unknown.length || list.length === 0) throw new InvalidArgumentError(`expected some of: ${names.join(', ')} (got ${value})`);
  return list;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function ratio(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('expected a fraction in (0, 1]');
  return n;
}

function greaterThanOne(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 1) throw new InvalidArgumentError('expected a number > 1');
  return n;
}
