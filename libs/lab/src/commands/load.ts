import type { Command } from 'commander';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { type LoadProgress, loadScenario, runScenario, textSummary, thresholdsPassed } from '@checkout-lab/load-tests';

interface LoadCommandOptions {
  baseUrl?: string;
  out?: string;
  otlp?: boolean | string;
}

/** k6's exit code when a threshold fails. */
export const THRESHOLDS_FAILED_EXIT_CODE = 99;

export function registerLoad(program: Command): void {
  program
    .command('load')
    .description('run a load scenario (k6 options JSON) with the built-in open-model driver against the cart API; exit 99 when a threshold fails')
    .argument('<scenario>', 'a scenario in load-tests/scenarios (smoke, baseline, peak, soak, breakpoint) or a path to a k6 options JSON file')
    .option('--base-url <url>', 'the cart API (default: BASE_URL, else http://127.0.0.1:3000)')
    .option('--out <file>', 'also write the summary as JSON (k6 handleSummary shape)')
    .option('--otlp [endpoint]', 'export a checkout-flow span per iteration over OTLP (on by default when OTEL_EXPORTER_OTLP_ENDPOINT is set)')
    .action(async (scenario: string, options: LoadCommandOptions) => {
      const env = process.env;
      const { options: loadOptions, name } = loadScenario(scenario, env);
      const baseUrl = options.baseUrl ?? env['BASE_URL'] ?? 'http://127.0.0.1:3000';
      await assertReachable(baseUrl);

      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once('SIGINT', onSigint);
      const tty = process.stderr.isTTY === true;
      process.stderr.write(`load: ${name} against ${baseUrl}${tty ? '' : ' (progress is shown on a terminal only)'}\n`);
      try {
        const summary = await runScenario(loadOptions, {
          baseUrl,
          env,
          scenarioName: name,
          signal: controller.signal,
          ...(options.otlp !== undefined ? { otlp: options.otlp } : {}),
          ...(tty ? { onProgress: (p: LoadProgress) => process.stderr.write(`\r${progressLine(p)}\x1b[K`) } : {}),
          isStdOutTTY: process.stdout.isTTY === true,
          isStdErrTTY: tty,
        });
        if (tty) process.stderr.write('\r\x1b[K');
        process.stdout.write(textSummary(summary));
        if (options.out) {
          writeAtomically(options.out, `${JSON.stringify(summary, null, 2)}\n`);
          process.stderr.write(`load: summary written to ${options.out}\n`);
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

function progressLine(p: LoadProgress): string {
  const target = p.targetRate === null ? '' : ` (target ${p.targetRate.toFixed(1)}/s)`;
  return [
    `${Math.floor(p.elapsedMs / 1000)}s/${Math.ceil(p.plannedMs / 1000)}s`,
    `rate ${p.achievedRate.toFixed(1)}/s${target}`,
    `in-flight ${p.inFlight}`,
    `iterations ${p.iterations}`,
    `dropped ${p.dropped}`,
    `errors ${(p.errorRate * 100).toFixed(2)}%`,
    `p95 ${p.p95Ms.toFixed(1)} ms`,
  ].join('  ');
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
