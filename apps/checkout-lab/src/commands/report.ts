import { Option, type Command } from 'commander';
import * as path from 'node:path';
import { CALIBRATION_FAILED_EXIT_CODE, jaegerSpanReader, otlpFileSpanReader, regressionGate, writeReport, type RegressionThresholds } from '@checkout-lab/report';
import { loadLabSettings } from '@checkout-lab/stack';
import { traceViewerLink } from './traces';

interface ReportOptions {
  out?: string;
  jaeger?: string;
  spansFrom: 'files' | 'jaeger';
  baseline?: string;
  failOnRegression?: boolean;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('rebuild report.html, report.md and report.json from stored runs (an experiment directory, or run directories)')
    .argument('<dir...>', 'experiment output directories (holding runs/) or single run directories (holding run.json)')
    .option('--out <dir>', 'where to write the report (default: the first DIR)')
    .option('--jaeger <url>', 'Jaeger UI base URL: exemplar traces link to it, and --spans-from jaeger reads from it')
    .addOption(new Option('--spans-from <source>', 'read spans from the run directories or from Jaeger').choices(['files', 'jaeger']).default('files'))
    .option('--baseline <variant>', 'variant to compare the others against (default: the experiment\'s baseline, else the first variant)')
    .option('--fail-on-regression', 'exit 7 when a comparison regresses significantly beyond the experiment\'s thresholds')
    .action(async (dirs: string[], options: ReportOptions, command: Command) => {
      // Usage errors: one line, the hint, exit 2 (see bin/checkout-lab.ts).
      if (options.spansFrom === 'jaeger' && !options.jaeger) {
        command.error('error: --spans-from jaeger needs --jaeger <url> (the Jaeger UI / query base URL, e.g. http://localhost:16686)', { exitCode: 2 });
      }
      if (options.jaeger !== undefined && !/^https?:\/\/[^\s]+$/.test(options.jaeger)) {
        command.error(`error: --jaeger ${JSON.stringify(options.jaeger)} is not an http(s) URL`, { exitCode: 2 });
      }
      const outDir = path.resolve(options.out ?? (dirs[0] as string));
      const readSpans = options.spansFrom === 'jaeger' ? jaegerSpanReader(options.jaeger as string) : otlpFileSpanReader;
      const { report, experiment, files } = await writeReport(dirs, outDir, {
        readSpans,
        ...(options.jaeger ? { jaegerUrl: options.jaeger } : {}),
        // Exemplar ids open the trace viewer while `checkout-lab traces <these dirs>` runs (spans from Jaeger: Jaeger's own links).
        ...(options.spansFrom === 'files' ? { traceViewer: traceViewerLink(loadLabSettings(process.env), dirs) } : {}),
        ...(options.baseline ? { baseline: options.baseline } : {}),
        onProgress: (line) => process.stderr.write(`  ${line}\n`),
      });
      process.stdout.write(`\n${report.summary.map((line) => `• ${line}`).join('\n')}\n\n`);
      process.stdout.write(`report: ${files.html}\n        ${files.markdown}\n        ${files.json}\n`);
      const failedCalibration = report.calibration.filter((c) => !c.passed);
      for (const c of failedCalibration) process.stderr.write(`calibration: ${c.variant}: ${c.problems.join('; ')}\n`);
      if (failedCalibration.length) process.exitCode = CALIBRATION_FAILED_EXIT_CODE;
      if (options.failOnRegression) {
        const gate = regressionGate(report, (experiment?.thresholds ?? {}) as RegressionThresholds);
        for (const failure of gate.failures) process.stderr.write(`regression: ${failure}\n`);
        // Its own code (7); a failed calibration's 4 stands, and a passing gate leaves it alone.
        if (gate.exitCode && !process.exitCode) process.exitCode = gate.exitCode;
      }
    });
}
