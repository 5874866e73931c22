import type { Command } from 'commander';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import {
  applyExecutionShortcuts,
  type ExecutionShortcuts,
  formatProgress,
  type LoadProgress,
  loadScenario,
  parseCount,
  parseDuration,
  parseEnvPairs,
  runScenario,
  summaryExport,
  textSummary,
  thresholdsPassed,
} from '@checkout-lab/load-tests';

interface LoadCommandOptions {
  env: string[];
  vus?: string;
  duration?: string;
  iterations?: string;
  baseUrl?: string;
  out?: string;
  summaryExport?: string;
  otlp?: boolean | string;
  quiet?: boolean;
  color: boolean;
}

/** k6's exit code when a threshold fails. */
export const THRESHOLDS_FAILED_EXIT_CODE = 99;

/** Off a terminal, a plain progress line this often (on a terminal the live line is redrawn every second). */
const PLAIN_PROGRESS_EVERY_MS = 5000;

const EXAMPLES = `
Examples (k6's flags, same meaning):
  $ checkout-lab load smoke                                    # the smoke scenario against http://127.0.0.1:3000
  $ checkout-lab load peak -e PEAK_RATE=20 -e SEED_USERS=10000 --summary-export peak-export.json
  $ checkout-lab load smoke --vus 5 --duration 30s             # k6's shortcut: one constant-vus scenario "default"
  $ checkout-lab load smoke --vus 2 --iterations 10            # k6's shortcut: shared-iterations, 10 in all
  $ checkout-lab load baseline --out summary.json | cat        # off a terminal: a plain progress line every 5 s

Thresholds, the ${'${VAR:-default}'} placeholders and the flow's variables (BASE_URL, SEED_USERS, RUN_ID, …) come
from the scenario file and the environment; -e NAME=value sets one for this run.`;

export function registerLoad(program: Command): void {
  program
    .command('load')
    .description('run a load scenario (k6 options JSON) with the built-in open-model driver against the cart API, with k6\'s CLI flags; exit 99 when a threshold fails')
    .argument('<scenario>', 'a scenario in load-tests/scenarios (smoke, baseline, peak, soak, breakpoint) or a path to a k6 options JSON file')
    .option('-e, --env <NAME=value>', 'set a variable for the scenario\'s ${VAR:-default} placeholders and the flow, over the process environment (repeatable, as k6 -e)', collect, [])
    .option('-u, --vus <n>', 'VUs of the --duration/--iterations shortcut (default 1); alone it changes nothing, as in k6')
    .option('-d, --duration <d>', 'replace the scenarios by k6\'s shortcut: one constant-vus scenario "default" running --vus VUs for d ("30s", "1m30s"); with --iterations, its maxDuration')
    .option('-i, --iterations <n>', 'replace the scenarios by k6\'s shortcut: one shared-iterations scenario "default", n iterations shared by --vus VUs')
    .option('--base-url <url>', 'the cart API (default: BASE_URL, else http://127.0.0.1:3000)')
    .option('--out <file>', 'also write the summary as JSON (k6 handleSummary shape, with the driver\'s validity and scenario figures)')
    .option('--summary-export <file>', 'also write the summary in k6\'s --summary-export format (metrics by name with their stats)')
    .option('--otlp [endpoint]', 'export a checkout-flow span per iteration over OTLP (on by default when OTEL_EXPORTER_OTLP_ENDPOINT is set)')
    .option('-q, --quiet', 'no progress: neither the live line nor the plain lines (the summary is still printed)')
    .option('--no-color', 'no ANSI colours in the summary (also off when NO_COLOR is set or stdout is not a terminal)')
    .addHelpText('after', EXAMPLES)
    .action(async (scenario: string, options: LoadCommandOptions) => {
      const env = { ...process.env, ...parseEnvPairs(options.env) };
      const shortcuts = parseShortcuts(options);
      const loaded = loadScenario(scenario, env);
      const { options: loadOptions, ignoredVus } = applyExecutionShortcuts(loaded.options, shortcuts);
      const baseUrl = options.baseUrl ?? env['BASE_URL'] ?? 'http://127.0.0.1:3000';
      await assertReachable(baseUrl);

      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once('SIGINT', onSigint);
      const stdoutTTY = process.stdout.isTTY === true;
      const noColor = !options.color || (env['NO_COLOR'] ?? '') !== '';
      if (ignoredVus) process.stderr.write('load: --vus alone leaves the scenario file\'s executors as they are (as in k6); add --duration or --iterations to use it\n');
      if (!options.quiet) {
        const executors = Object.entries(loadOptions.scenarios).map(([n, s]) => `${n} (${s.executor})`).join(', ');
        process.stderr.write(`load: ${loaded.name} against ${baseUrl}: ${executors}\n`);
      }
      // Progress goes to stdout as k6's does: a live line on a terminal, plain lines off it (a pipe, CI).
      const onProgress = (p: LoadProgress): void => {
        process.stdout.write(stdoutTTY ? `\r${formatProgress(p)}\x1b[K` : `${formatProgress(p)}\n`);
      };
      try {
        const summary = await runScenario(loadOptions, {
          baseUrl,
          env,
          scenarioName: loaded.name,
          signal: controller.signal,
          ...(options.otlp !== undefined ? { otlp: options.otlp } : {}),
          ...(options.quiet ? {} : { onProgress, progressIntervalMs: stdoutTTY ? 1000 : PLAIN_PROGRESS_EVERY_MS }),
          isStdOutTTY: stdoutTTY,
          isStdErrTTY: process.stderr.isTTY === true,
          noColor,
        });
        if (stdoutTTY && !options.quiet) process.stdout.write('\r\x1b[K');
        process.stdout.write(`\n${textSummary(summary, { colors: stdoutTTY && !noColor })}`);
        if (options.out) {
          writeAtomically(options.out, `${JSON.stringify(summary, null, 2)}\n`);
          process.stderr.write(`load: summary written to ${options.out}\n`);
        }
        if (options.summaryExport) {
          writeAtomically(options.summaryExport, summaryExport(summary));
          process.stderr.write(`load: summary export written to ${options.summaryExport}\n`);
        }
        if (!thresholdsPassed(summary)) {
          process.stderr.write('load: some thresholds have failed\n');
          process.exitCode = THRESHOLDS_FAILED_EXIT_CODE;
        } else if (controller.signal.aborted) {
          process.exitCode = 130;
        }
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** --vus/--duration/--iterations, each checked (a bad value is one line naming the flag). */
function parseShortcuts(options: LoadCommandOptions): ExecutionShortcuts {
  const shortcuts: ExecutionShortcuts = {};
  if (options.vus !== undefined) shortcuts.vus = parseCount('--vus', options.vus);
  if (options.iterations !== undefined) shortcuts.iterations = parseCount('--iterations', options.iterations);
  if (options.duration !== undefined) {
    parseDuration(options.duration, '--duration');
    shortcuts.duration = options.duration;
  }
  return shortcuts;
}

/** Fails fast, with a message a user can act on, when nothing listens at the target. */
async function assertReachable(baseUrl: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`--base-url "${baseUrl}" is not a URL (like http://127.0.0.1:3000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--base-url "${baseUrl}": only http and https are supported`);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (reason: string): void => {
      socket.destroy();
      reject(new Error(`cannot reach ${baseUrl} (${reason}); is \`checkout-lab up\` running? Otherwise pass --base-url`));
    };
    socket.setTimeout(5000, () => fail('no answer within 5 s'));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
  });
}

/** Writes to a temporary file beside the target, then renames: never a half-written summary. */
function writeAtomically(file: string, text: string): void {
  const target = path.resolve(file);
  mkdirSync(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, target);
}
