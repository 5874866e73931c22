/**
 * Report analysis at scale: `checkout-lab report` on generated experiments of 100 k and 1 M spans
 * (`nx run report:bench-scale`, or
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register libs/report/test/report-scale.bench.ts [--sizes 100k,1M] [--out FILE]).
 * Each experiment is generated once (scale-runs.ts) and cached under the OS temp dir. The report
 * runs as the real CLI in a child process under /usr/bin/time -v, so the figures are that whole
 * process's: wall time from spawn to exit, peak RSS (the kernel's high-water mark; polled from
 * /proc/<pid>/status VmHWM when GNU time is missing). Prints a table and writes JSON
 * (default .lab/bench/report-scale.json). Target: 1 M spans within 20 s and 2 GB.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeScaleExperiment } from './scale-runs';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'apps/checkout-lab/src/main.ts');
const GNU_TIME = '/usr/bin/time';
/** Bump when the generator changes, so a stale cache is not reused. */
const GENERATOR_VERSION = 1;

interface Result {
  spans: number;
  seconds: number;
  peakRssMb: number;
  spansPerSecond: number;
  exitCode: number | null;
}

/** `--name value` or `--name=value` (as nx forwards it). */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i >= 0) return process.argv[i + 1];
  return process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** "100k" → 100000, "1M" → 1000000. */
function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.trim());
  if (!m) throw new Error(`--sizes: ${JSON.stringify(text)} is not a size like 100k or 1M`);
  return Math.round(Number(m[1]) * (m[2]?.toLowerCase() === 'k' ? 1e3 : m[2]?.toLowerCase() === 'm' ? 1e6 : 1));
}

/** The experiment directory for a size, generated on first use (a marker file says it is complete). */
function experimentFor(size: number): { dir: string; spans: number } {
  const dir = path.join(os.tmpdir(), 'checkout-lab-report-scale', `v${GENERATOR_VERSION}-${size}`);
  const marker = path.join(dir, 'generated.json');
  if (existsSync(marker)) return { dir, spans: (JSON.parse(readFileSync(marker, 'utf8')) as { spans: number }).spans };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const spans = writeScaleExperiment(dir, size);
  writeFileSync(marker, JSON.stringify({ spans }));
  process.stderr.write(`generated ${spans} spans in ${((performance.now() - started) / 1000).toFixed(1)} s: ${dir}\n`);
  return { dir, spans };
}

/** Runs `checkout-lab report DIR --out OUT` in a child process; wall time and peak RSS of that process. */
function runReport(dir: string, outDir: string): Promise<{ seconds: number; peakRssKb: number; exitCode: number | null }> {
  const command = [process.execPath, '-r', '@swc-node/register', CLI, 'report', dir, '--out', outDir];
  const useTime = existsSync(GNU_TIME);
  const child = spawn(useTime ? GNU_TIME : (command[0] as string), useTime ? ['-v', ...command] : command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Without GNU time: poll the high-water mark while the process lives (it only grows).
  let polledKb = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKb = Math.max(polledKb, Number(m[1]));
        } catch {
          // exited between polls
        }
      }, 20);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (poll) clearInterval(poll);
      const timed = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const exitCode = useTime ? Number(/Exit status: (\d+)/.exec(stderr)?.[1] ?? code) : code;
      if (exitCode !== 0) process.stderr.write(stderr);
      resolve({ seconds, peakRssKb: timed ? Number(timed[1]) : polledKb, exitCode });
    });
  });
}

async function main(): Promise<void> {
  const sizes = (arg('--sizes') ?? '100k,1M').split(',').map(parseSize);
  const outFile = path.resolve(arg('--out') ?? path.join(ROOT, '.lab/bench/report-scale.json'));
  const results: Result[] = [];
  for (const size of sizes) {
    const { dir, spans } = experimentFor(size);
    const reportDir = path.join(os.tmpdir(), 'checkout-lab-report-scale', `report-${size}`);
    const run = await runReport(dir, reportDir);
    results.push({
      spans,
      seconds: Math.round(run.seconds * 100) / 100,
      peakRssMb: Math.round(run.peakRssKb / 1024),
      spansPerSecond: Math.round(spans / run.seconds),
      exitCode: run.exitCode,
    });
  }
  const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padStart(i === 0 ? 9 : 12)).join(' ');
  process.stdout.write(`${line(['spans', 'seconds', 'peak RSS MB', 'spans/s'])}\n`);
  for (const r of results) process.stdout.write(`${line([r.spans, r.seconds.toFixed(2), r.peakRssMb, r.spansPerSecond])}${r.exitCode ? `  (exit ${r.exitCode})` : ''}\n`);
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(
    outFile,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, memoryMeasuredBy: existsSync(GNU_TIME) ? 'GNU time -v (max RSS)' : '/proc VmHWM', results }, null, 2)}\n`,
  );
  process.stdout.write(`\n${outFile}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
