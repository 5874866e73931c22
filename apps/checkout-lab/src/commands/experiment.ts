import { InvalidArgumentError, type Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import * as path from 'node:path';
import { CALIBRATION_FAILED_EXIT_CODE, otlpFileSpanReader, regressionGate, writeReport, type Report, type RegressionThresholds } from '@checkout-lab/report';
import { faultsDefinitionFile, loadExperiment, RunExecutor, runExperiment } from '@checkout-lab/experiment';
import { loadLabSettings, REPO_ROOT } from '@checkout-lab/stack';
import { runFaultsCommand } from './faults';
import { startViewerProcess, traceViewerLink, untilInterrupted } from './traces';

interface ExperimentOptions {
  quick?: boolean;
  aa?: boolean;
  seed?: number;
  out?: string;
  failOnRegression?: boolean;
  jaeger?: string;
  serveTraces?: boolean;
}

export function registerExperiment(program: Command): void {
  program
    .command('experiment')
    .description('run the variants of an experiment under the same load and data, and write the before/after report')
    .argument('[name|file]', 'a bundled experiment (libs/experiment/experiments: swiftcart, calibration, index-dropped, faults) or a JSON/YAML definition file', 'swiftcart')
    .option('--quick', 'the short version: fewer repetitions, a shorter load, two variants (see the definition\'s "quick")')
    .option('--aa', 'A/A check: run the baseline against an identical copy of itself with the same design (false verdicts, smallest detectable change)')
    .option('--seed <n>', 'seed of the run order (shuffled within each round); default: a fresh one, recorded in experiment.json', parseSeed)
    .option('--out <dir>', 'where to write the runs and the report (default: $LAB_DATA_DIR/experiments/<name>-<time>)')
    .option('--fail-on-regression', 'exit 7 when a comparison regresses significantly beyond the experiment\'s thresholds')
    .option('--jaeger <url>', 'Jaeger UI base URL for links from the exemplar traces')
    .option('--serve-traces', 'keep serving the trace viewer after the report, until Ctrl-C (the exit code stays the experiment\'s)')
    .action(async (nameOrFile: string, options: ExperimentOptions, command: Command) => {
      const settings = loadLabSettings(process.env);
      const faultsFile = faultsDefinitionFile(nameOrFile);
      if (faultsFile && options.serveTraces) {
        command.error('error: --serve-traces does not apply to a faults experiment: serve its runs afterwards with npm run lab -- traces <its output dir>', { exitCode: 2 });
      }
      if (faultsFile) {
        await runFaultsCommand(faultsFile, options, settings, { say: (line) => process.stderr.write(`${line}\n`), live: liveLine(process.stderr), provenance: provenance() });
        return;
      }
      const experiment = loadExperiment(nameOrFile, { quick: options.quick ?? false, aa: options.aa ?? false });
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
      const outDir = path.resolve(options.out ?? path.join(settings.dataDir, 'experiments', `${experiment.name}${experiment.quick ? '-quick' : ''}-${stamp}`));
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const live = liveLine(process.stderr);
      say(
        `experiment ${experiment.name}${experiment.quick ? ' (quick)' : ''}: ${experiment.variants.map((v) => v.name).join(' vs ')}, ` +
          `${experiment.repetitions} repetition(s) each, interleaved; scenario ${experiment.load.scenario}\n  output: ${outDir}`,
      );

      // The trace viewer over the output directory, in its own process at the lowest priority: each run's traces appear once it has finished.
      let viewer = await startViewerProcess(settings, { dirs: [outDir], ...(options.jaeger ? { jaegerUrl: options.jaeger } : {}), say });
      if (viewer) say(`  trace viewer: ${viewer.url} (each run's traces appear once the run has finished)`);

      const executor = new RunExecutor(settings, say, live);
      const stop = new AbortController();
      const onSignal = () => {
        say('\ninterrupted: stopping after cleaning up …');
        stop.abort();
        void Promise.all([executor.shutdown(), viewer?.stop()]).finally(() => process.exit(130));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);

      const result = await runExperiment(experiment, outDir, executor, {
        say,
        provenance: provenance(),
        signal: stop.signal,
        ...(options.seed !== undefined ? { orderSeed: options.seed } : {}),
      }).catch(async (error: unknown) => {
        await viewer?.stop();
        throw error;
      });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);

      say('\nanalysing the runs …');
      const link = traceViewerLink(settings, [outDir]);
      const { report, files } = await writeReport([outDir], outDir, {
        readSpans: otlpFileSpanReader,
        ...(options.jaeger ? { jaegerUrl: options.jaeger } : {}),
        traceViewer: link,
        onProgress: (line) => say(`  ${line}`),
      });
      process.stdout.write(`\n${summaryTable(report)}\n\n${report.summary.map((line) => `• ${line}`).join('\n')}\n\n`);
      process.stdout.write(`wall time ${formatSeconds(result.wallSeconds)}\nreport: ${files.html}\n        ${files.markdown}\n        ${files.json}\n`);
      if (options.serveTraces) viewer ??= await startViewerProcess(settings, { dirs: [outDir], ...(options.jaeger ? { jaegerUrl: options.jaeger } : {}), say });
      else await viewer?.stop();
      process.stdout.write(
        options.serveTraces && viewer
          ? `traces: ${viewer.url}   (serving until Ctrl-C)\n`
          : `traces: ${link.command}   (then ${link.url}; the report's trace links open there)\n`,
      );
      const failedCalibration = report.calibration.filter((c) => !c.passed);
      for (const c of failedCalibration) process.stderr.write(`calibration: ${c.variant}: ${c.problems.join('; ')}\n`);
      if (failedCalibration.length) process.exitCode = CALIBRATION_FAILED_EXIT_CODE;
      if (options.failOnRegression) {
        const gate = regressionGate(report, experiment.thresholds as RegressionThresholds);
        for (const failure of gate.failures) process.stderr.write(`regression: ${failure}\n`);
        // Its own code (7); a failed calibration's 4 stands, and a passing gate leaves it alone.
        if (gate.exitCode && !process.exitCode) process.exitCode = gate.exitCode;
      }
      // The experiment is over: Ctrl-C now only ends the serving, and the exit code stays the experiment's.
      if (options.serveTraces && viewer) await untilInterrupted(viewer.stop);
    });
}

/** One line per variant: what a reader checks first. */
export function summaryTable(report: Report): string {
  const header = ['variant', 'runs', 'checkouts', 'success', 'timeouts', 'payment mean', 'payment p95', 'checkout p50', 'checkout p95', 'checkout p99'];
  const ms = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${x.toFixed(0)} ms`);
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
  const rows = report.variants.map((v) => [
    `${v.name}${v.baseline ? ' (baseline)' : ''}`,
    `${v.valid_runs}/${v.runs.filter((r) => !r.warmup).length}`,
    String(v.checkouts),
    pct(v.success_rate),
    pct(v.timeout_rate),
    ms(v.payment.mean_ms),
    ms(v.payment.p95_ms),
    ms(v.checkout.p50_ms),
    ms(v.checkout.p95_ms),
    ms(v.checkout.p99_ms),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A progress line that rewrites itself on a terminal and prints every ~5 s otherwise; null ends it. */
function liveLine(stream: NodeJS.WriteStream): (line: string | null) => void {
  let last = 0;
  let open = false;
  return (line) => {
    if (line === null) {
      if (open && stream.isTTY) stream.write('\r\x1b[K');
      open = false;
      return;
    }
    if (stream.isTTY) {
      stream.write(`\r${line}\x1b[K`);
      open = true;
    } else if (Date.now() - last >= 5000) {
      last = Date.now();
      stream.write(`${line}\n`);
    }
  };
}

function provenance(): Record<string, unknown> {
  let git: { commit: string; dirty: boolean } | null = null;
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    git = { commit, dirty };
  } catch {
    git = null;
  }
  const cpu = cpus();
  return {
    git,
    machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryBytes: totalmem(), platform: `${process.platform} ${process.arch}` },
    node: process.version,
  };
}

function parseSeed(text: string): number {
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 31) {
    throw new InvalidArgumentError(`must be a whole number from 0 to ${2 ** 31 - 1}, got "${text}"`);
  }
  return seed;
}

function formatSeconds(s: number): string {
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
