/**
 * How fast can the built-in driver hold an open-model schedule? (`nx run load-tests:bench`)
 *
 * The fixed-delay test server (20 ms service time) runs pinned to CPU 1; the driver runs pinned to
 * CPU 0 at increasing target rates. For each rate: achieved rate, schedule lag p99, p50/p99
 * latency, dropped iterations and the driver's CPU use. It "holds its schedule" when it starts
 * ≥ 99 % of the target (started, not dropped) with schedule_lag p99 within the validity bound.
 * wrk (closed loop, a C client) then runs against the same server on the same core as the
 * reference for maximum throughput and latency. Prints a table and writes
 * .lab/bench/load-driver.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDuration } from '@checkout-lab/config';
import { DEFAULT_VALIDITY_BOUNDS } from '../src';
import { startFixedDelayServer } from '../test/support/servers';

const ROOT = path.resolve(__dirname, '../..');
const DELAY_MS = 20;
const RATES = (process.env['BENCH_RATES'] ?? '100,250,500,1000,2000,3000,4000,6000,8000').split(',').map(Number);
const DURATION = process.env['BENCH_DURATION'] ?? '8s';
let boosted = false;

interface Step {
  targetRate: number;
  achievedRate: number;
  dropped: number;
  failed: number;
  scheduleLagP99Ms: number;
  eventLoopDelayP99Ms: number;
  p50Ms: number;
  p99Ms: number;
  cpuPercent: number;
  valid: boolean;
  holds?: boolean;
}

function runStep(baseUrl: string, rate: number): Promise<Step> {
  const child = spawn('taskset', ['-c', '0', process.execPath, '-r', '@swc-node/register', path.join(__dirname, 'driver-child.ts')], {
    cwd: ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json', RATE: String(rate), DURATION, BASE_URL: baseUrl, DELAY_MS: String(DELAY_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  boost(child.pid);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as Step) : reject(new Error(`driver step at ${rate}/s exited ${code}`)))),
  );
}

/**
 * The machine may be shared: give the measured processes the CPU first when they wake (root or
 * CAP_SYS_NICE only; otherwise they run at normal priority and the table says so via lag).
 */
function boost(pid: number | undefined): boolean {
  try {
    if (pid) os.setPriority(pid, -10);
    return true;
  } catch {
    return false;
  }
}

function wrk(url: string, connections: number): { requestsPerS: number; p50Ms: number; p99Ms: number } {
  const text = execFileSync('nice', ['-n', boosted ? '-10' : '0', 'taskset', '-c', '0', 'wrk', '-t1', `-c${connections}`, '-d10s', '--latency', url], { encoding: 'utf8' });
  const pct = (p: string): number => {
    const match = new RegExp(`^\\s*${p}%\\s+([\\d.]+(?:us|ms|s))`, 'm').exec(text);
    return match?.[1] ? parseDuration(match[1]) : NaN;
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  return { requestsPerS: Number(rps?.[1] ?? NaN), p50Ms: pct('50'), p99Ms: pct('99') };
}

async function main(): Promise<void> {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // wrk --version exits 1 but prints; only a missing binary is fatal
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('wrk is not installed (apt-get install -y wrk)');
  }
  const server = await startFixedDelayServer(DELAY_MS, { cpu: '1' });
  boosted = boost(server.pid);
  const steps: Step[] = [];
  const loadavgAtStart = os.loadavg();
  try {
    let misses = 0;
    for (const rate of RATES) {
      process.stderr.write(`driver at ${rate}/s for ${DURATION} … `);
      const step = await runStep(server.url, rate);
      step.holds = step.failed === 0 && step.achievedRate >= 0.99 * rate && step.scheduleLagP99Ms <= DEFAULT_VALIDITY_BOUNDS.scheduleLagP99Ms;
      steps.push(step);
      process.stderr.write(`${step.holds ? 'holds' : 'misses'} (lag p99 ${step.scheduleLagP99Ms.toFixed(2)} ms, CPU ${step.cpuPercent.toFixed(0)} %)\n`);
      // past saturation (well under the target), higher rates only take longer to say the same
      misses = step.achievedRate < 0.9 * rate ? misses + 1 : 0;
      if (misses >= 2) break;
    }
    process.stderr.write('wrk -t1 -c256 for 10 s …\n');
    const reference = wrk(`${server.url}/work`, 256);
    const best = steps.filter((s) => s.holds).reduce<Step | undefined>((a, s) => (!a || s.targetRate > a.targetRate ? s : a), undefined);
    const result = {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadavgAtStart, loadavgAtEnd: os.loadavg(), node: process.version, priorityBoost: boosted },
      serverDelayMs: DELAY_MS,
      duration: DURATION,
      steps,
      wrk: { connections: 256, threads: 1, ...reference },
      highestHeldRate: best?.targetRate ?? 0,
      fractionOfWrkMax: best ? best.targetRate / reference.requestsPerS : 0,
    };
    const rows = steps.map((s) =>
      `| ${s.targetRate} | ${s.achievedRate.toFixed(1)} | ${s.dropped} | ${s.scheduleLagP99Ms.toFixed(2)} | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${s.cpuPercent.toFixed(0)} % | ${s.holds ? 'yes' : 'no'} |`,
    );
    const table = [
      '| target rate (/s) | achieved (/s) | dropped | schedule lag p99 (ms) | p50 (ms) | p99 (ms) | driver CPU | holds schedule |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...rows,
      `| wrk -t1 -c256 (closed loop) | ${reference.requestsPerS.toFixed(0)} | – | – | ${reference.p50Ms.toFixed(2)} | ${reference.p99Ms.toFixed(2)} | – | – |`,
    ].join('\n');
    process.stdout.write(`${table}\n\nhighest rate held on one core: ${result.highestHeldRate}/s = ${(result.fractionOfWrkMax * 100).toFixed(0)} % of wrk's maximum (${reference.requestsPerS.toFixed(0)} req/s)\n`);
    const out = path.join(ROOT, '.lab', 'bench', 'load-driver.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`written to ${path.relative(ROOT, out)}\n`);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
