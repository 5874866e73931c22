import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** A child process, so that this test leaves jest's own warning listeners alone. */
function runWithWarnings(script: string): { stdout: string; stderr: string; status: number | null } {
  const module = path.join(REPO_ROOT, 'libs/telemetry/src/process-warnings.ts');
  const result = spawnSync(
    process.execPath,
    ['-r', '@swc-node/register', '-e', `require(${JSON.stringify(module)}).routeProcessWarnings('payment'); ${script}`],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.base.json') }, timeout: 60_000 },
  );
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe('routeProcessWarnings', () => {
  it("writes Node's warnings as JSON log lines of the service on stderr, and no plain-text line", () => {
    const { stdout, stderr, status } = runWithWarnings(
      "process.emitWarning('the old API goes away', { code: 'LAB001', type: 'DeprecationWarning' });" +
        "const e = new (require('node:events').EventEmitter)(); for (let i = 0; i < 11; i++) e.on('x', () => {});",
    );
    expect(status).toBe(0);
    expect(stdout).toBe('');
    const lines = stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records[0]).toEqual({ level: 40, time: expect.any(String), service: 'payment', msg: 'the old API goes away', context: 'node', warning: 'DeprecationWarning', code: 'LAB001' });
    expect(records[1]).toMatchObject({ level: 40, service: 'payment', context: 'node', warning: 'MaxListenersExceededWarning', msg: expect.stringMatching(/11 x listeners added/) });
  });
});
