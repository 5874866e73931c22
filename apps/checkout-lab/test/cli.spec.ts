import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '@checkout-lab/stack';
import { spawnLab } from './support/lab-cli';

/** `checkout-lab` as a user runs it: what it prints and the exit code, for --version, --help and usage errors. */
async function run(...args: string[]): Promise<{ code: number | null; output: string }> {
  const lab = spawnLab(args, {});
  const code = await lab.exited;
  return { code, output: lab.output() };
}

const COMMANDS = ['up', 'seed', 'migrate', 'bench-store', 'bench-stack', 'load', 'experiment', 'report', 'traces', 'reconcile'];

/** Usage errors: the arguments, commander's one line, and the command the hint names. */
const USAGE_ERRORS: [args: string[], message: string, command: string | undefined][] = [
  [['experiment', '--bogus'], "error: unknown option '--bogus'", 'experiment'],
  [['experiment', '--sed', '3'], "error: unknown option '--sed' (Did you mean --seed?)", 'experiment'],
  [['report'], "error: missing required argument 'dir'", 'report'],
  [['experiment', '--seed', 'x'], 'error: option \'--seed <n>\' argument \'x\' is invalid. must be a whole number from 0 to 2147483647, got "x"', 'experiment'],
  [['report', 'some-dir', '--spans-from', 'jaeger'], 'error: --spans-from jaeger needs --jaeger <url> (the Jaeger UI / query base URL, e.g. http://localhost:16686)', 'report'],
  [['traces'], "error: missing required argument 'dir'", 'traces'],
  [['bogus'], "error: unknown command 'bogus'", undefined],
];

describe('checkout-lab', () => {
  it("prints the root package.json's version with --version", async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    await expect(run('--version')).resolves.toEqual({ code: 0, output: `${version}\n` });
  });

  it.each(USAGE_ERRORS)('answers the usage error %j with one line, the hint and exit code 2', async (args, message, command) => {
    const hint = `run "checkout-lab ${command ? `${command} ` : ''}--help" for usage`;
    await expect(run(...args)).resolves.toEqual({ code: 2, output: `${message}\n${hint}\n` });
  });

  it('shows the exit codes in its help, and an example in the help of every command', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/Exit codes:\n\s+0 {2}success\n/);
    expect(help.output).toMatch(/^\s+7 {2}experiment\/report --fail-on-regression/m);
    for (const name of COMMANDS) expect(help.output).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    for (const name of COMMANDS) {
      const { code, output } = await run(name, '--help');
      expect({ name, code }).toEqual({ name, code: 0 });
      // The examples come last and show the command in use (`up`'s first one is `npm start`).
      const examples = output.slice(output.lastIndexOf('\nExamples'));
      expect({ name, examples }).toEqual({ name, examples: expect.stringMatching(new RegExp(`^\\nExamples[^\\n]*\\n[\\s\\S]*\\b(${name}|npm start)\\b`)) });
    }
  }, 120_000);
});
