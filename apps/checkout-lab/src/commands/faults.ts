import * as path from 'node:path';
import { faultsTable, loadFaultsExperiment, runFaultsExperiment, writeFaultsReport } from '@checkout-lab/experiment';
import type { LabSettings } from '@checkout-lab/stack';

/** `checkout-lab experiment faults` exits with this when a fault failed (money out of line, no recovery in time, a service not back). */
export const FAULTS_FAILED_EXIT_CODE = 5;

/**
 * `checkout-lab experiment <faults definition>`: each fault under steady load, then the books.
 * Prints the table and writes faults-report.md / .json; exit 0 when every fault passed.
 */
export async function runFaultsCommand(
  file: string,
  options: { quick?: boolean; out?: string; aa?: boolean; failOnRegression?: boolean },
  settings: LabSettings,
  tools: { say: (line: string) => void; live: (line: string | null) => void; provenance: Record<string, unknown> },
): Promise<void> {
  if (options.aa || options.failOnRegression) {
    throw new Error(`${options.aa ? '--aa' : '--fail-on-regression'} does not apply to a faults experiment (it compares no variants); the exit code says whether every fault passed`);
  }
  const experiment = loadFaultsExperiment(file, { quick: options.quick ?? false });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const outDir = path.resolve(options.out ?? path.join(settings.dataDir, 'experiments', `${experiment.name}${experiment.quick ? '-quick' : ''}-${stamp}`));
  const { say } = tools;
  say(`experiment ${experiment.name}${experiment.quick ? ' (quick)' : ''}: ${experiment.faults.map((f) => f.name).join(', ')}\n  output: ${outDir}`);
  const stop = new AbortController();
  const onSignal = () => {
    say('\ninterrupted: stopping after cleaning up (thawing anything frozen, stopping the stack) …');
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  try {
    const outcome = await runFaultsExperiment(experiment, outDir, { settings, say, progress: tools.live, signal: stop.signal });
    if (stop.signal.aborted) {
      process.exitCode = 130;
      return;
    }
    const files = writeFaultsReport(experiment, outcome.results, outDir, tools.provenance);
    process.stdout.write(`\n${faultsTable(outcome.results)}\n\n`);
    const seconds = Math.round((Date.now() - started) / 1000);
    process.stdout.write(`wall time ${Math.floor(seconds / 60)} min ${seconds % 60} s\nreport: ${files.markdown}\n        ${files.json}\n`);
    if (!outcome.passed) {
      process.stderr.write(`${outcome.results.filter((r) => !r.passed).length} fault(s) failed (exit code ${FAULTS_FAILED_EXIT_CODE})\n`);
      process.exitCode = FAULTS_FAILED_EXIT_CODE;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
