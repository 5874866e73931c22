import 'reflect-metadata';

// The AWS SDK warns on Node 20 that SDK releases after January 2027 will need Node 22; the lab pins a
// release that supports Node 20 (package-lock.json), so the notice only buries the progress lines.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '@checkout-lab/config';
import { registerLoad } from '../commands/load';
import { registerReconcile } from '../commands/reconcile';
import { registerReport } from '../commands/report';
import { registerBenchStore } from '../commands/bench-store';
import { registerBenchStack } from '../commands/bench-stack';
import { registerExperiment } from '../commands/experiment';
import { registerMigrate } from '../commands/migrate';
import { registerSeed } from '../commands/seed';
import { registerUp } from '../commands/up';

// One file per command under ../commands; each exports register<Name>(program).
const program = new Command()
  .name('checkout-lab')
  .description('Reproduce a checkout latency incident, fix it, and prove the fix with traces.')
  .showHelpAfterError()
  .exitOverride();

registerUp(program);
registerSeed(program);
registerMigrate(program);
registerBenchStore(program);
registerBenchStack(program);
registerLoad(program);
registerExperiment(program);
registerReport(program);
registerReconcile(program);

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
    // A command that failed softly (a regression gate, a threshold) sets exitCode; exit with it now, since the
    // embedded servers' exit hooks would otherwise end the process with 0. `up` keeps running: it sets none.
    if (process.exitCode) process.exit(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`checkout-lab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

void main();
