import 'reflect-metadata';

// The AWS SDK warns on Node 20 that SDK releases after January 2027 will need Node 22; the lab pins a
// release that supports Node 20 (package-lock.json), so the notice only buries the progress lines.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '@checkout-lab/config';
import { ScenarioError } from '@checkout-lab/load-tests';
import { registerLoad } from './commands/load';
import { registerReconcile } from './commands/reconcile';
import { registerReport } from './commands/report';
import { registerBenchStore } from './commands/bench-store';
import { registerBenchStack } from './commands/bench-stack';
import { registerExperiment } from './commands/experiment';
import { registerMigrate } from './commands/migrate';
import { registerSeed } from './commands/seed';
import { registerTraces } from './commands/traces';
import { registerUp } from './commands/up';
import { REPO_ROOT } from '@checkout-lab/stack';

/** The exit codes of every command (README, "Exit codes"); each outcome has its own. */
const EXIT_CODES: [code: number, meaning: string][] = [
  [0, 'success'],
  [1, 'failure: a crash or an unexpected error (one line on stderr)'],
  [2, 'usage or configuration error: an unknown option, a missing argument, a bad value or variable'],
  [3, 'migrate: the verification found an address that differs'],
  [4, 'experiment/report: a calibration delay was not recovered'],
  [5, 'experiment faults: a fault failed'],
  [6, 'reconcile: a finding (double charge, charge without a paid order, paid order without a charge)'],
  [7, 'experiment/report --fail-on-regression: a significant regression beyond the thresholds'],
  [99, 'load: a threshold failed (as k6)'],
  [130, 'interrupted (Ctrl-C, SIGINT)'],
];

/** At least one example per command, shown at the end of its --help. */
const EXAMPLES: Record<string, string[]> = {
  up: ['npm start                                   # = checkout-lab up; Ctrl-C stops everything', 'LAB_SEED_USERS=10000 npm run lab -- up'],
  seed: ['LAB_SEED_USERS=10000 npm run lab -- seed'],
  migrate: ['npm run lab -- migrate', 'npm run lab -- migrate --restart --concurrency 8'],
  'bench-store': ['npm run lab -- bench-store --sizes 10k,100k --duration 5'],
  'bench-stack': ['npm run lab -- bench-stack --configs off,on --step 10'],
  load: ['npm run lab -- load smoke', 'SEED_USERS=10000 npm run lab -- load peak --out peak.json   # exit 99 when a threshold fails'],
  experiment: [
    'npm run experiment                          # = checkout-lab experiment swiftcart',
    'npm run lab -- experiment swiftcart --quick',
    'npm run lab -- experiment index-dropped --fail-on-regression   # exit 7 on a regression',
    'npm run lab -- experiment faults --quick     # exit 5 when a fault fails',
    'npm run lab -- experiment swiftcart --quick --serve-traces   # the trace viewer stays up after the report, until Ctrl-C',
  ],
  report: ['npm run lab -- report ./runs/my-experiment', 'npm run lab -- report ./runs/a ./runs/b --baseline legacy-sql --fail-on-regression'],
  traces: [
    'npm run lab -- traces .lab/experiments/swiftcart-20261201-120000   # then open http://127.0.0.1:16680 (LAB_TRACE_VIEWER_PORT)',
    'npm run lab -- traces .lab/traces                                 # what the receiver stored while `up` ran',
  ],
  reconcile: ['npm run lab -- reconcile', 'npm run lab -- reconcile --since 2026-12-01T00:00:00Z --json   # exit 6 on a finding'],
};

const usageHint = (command?: string) => `run "checkout-lab ${command ? `${command} ` : ''}--help" for usage`;

// One file per command under ./commands; each exports register<Name>(program). Settings the
// commands inherit (output, exit override) are made before they are registered.
const program = new Command()
  .name('checkout-lab')
  .description('Reproduce a checkout latency incident, fix it, and prove the fix with traces.')
  .version(rootVersion(), '-V, --version', 'print the version')
  // A usage error is one line (commander's message; a "Did you mean" on the same line) and the hint, not the whole help.
  .configureOutput({ outputError: (text, write) => write(`${text.trimEnd().replace(/\n+/g, ' ')}\n`) })
  .showHelpAfterError(usageHint())
  .exitOverride()
  .addHelpText('after', `\nExit codes:\n${EXIT_CODES.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`).join('\n')}\n`);

registerUp(program);
registerSeed(program);
registerMigrate(program);
registerBenchStore(program);
registerBenchStack(program);
registerLoad(program);
registerExperiment(program);
registerReport(program);
registerTraces(program);
registerReconcile(program);

for (const command of program.commands) {
  command.showHelpAfterError(usageHint(command.name()));
  // A command that adds its own help text (its own examples) keeps it; the others get theirs here.
  // (addHelpText listens for 'afterHelp': a Command is an EventEmitter, which its typings do not say.)
  const examples = EXAMPLES[command.name()] ?? [];
  if (examples.length && (command as unknown as EventEmitter).listenerCount('afterHelp') === 0) {
    command.addHelpText('after', `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
  }
}

/** The lab's version: the root package.json's. */
function rootVersion(): string {
  return (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
    // A command that failed softly (a regression gate, a threshold) sets exitCode; exit with it now, since the
    // embedded servers' exit hooks would otherwise end the process with 0. `up` keeps running: it sets none.
    if (process.exitCode) process.exit(process.exitCode);
  } catch (error) {
    // Help and --version end with 0; every usage error (commander's own code is 1) with 2.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    // A scenario that does not exist or does not parse, or a bad load flag: a usage/config error too.
    if (error instanceof ScenarioError) {
      process.stderr.write(`checkout-lab: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`checkout-lab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

void main();
