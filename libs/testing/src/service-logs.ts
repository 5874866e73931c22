import { spawn } from 'node:child_process';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** `time` on every service log line: ISO-8601 UTC with milliseconds. */
export const LOG_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A service in its own process, as `checkout-lab up` starts it (the telemetry preload first), with
 * its stdout and stderr captured. `entry`: relative to the repo root, e.g. services/cart/src/main.ts.
 */
export function spawnService(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-r', path.join(REPO_ROOT, 'libs/telemetry/src/preload.ts'), path.join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'], SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.base.json'), OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  // 'close': the process has exited and its output has been read to the end.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code: number | null) => resolve(code)));
  return { child, output, exited };
}

export type SpawnedService = ReturnType<typeof spawnService>;

/**
 * Every line of `stdout`, parsed; throws on a line that is not JSON, or that lacks a field every
 * service's lines have (numeric level, ISO time, this service's name, msg).
 */
export function serviceLogLines(stdout: string, service: string): Record<string, unknown>[] {
  const records = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
      const ok = typeof record['level'] === 'number' && typeof record['time'] === 'string' && LOG_TIME.test(record['time']) && record['service'] === service && typeof record['msg'] === 'string';
      if (!ok) throw new Error(`a line without level, ISO time, service "${service}" or msg: ${line}`);
      return record;
    });
  if (records.length === 0) throw new Error(`${service} wrote no log line`);
  return records;
}
