import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Flow } from '../../src/flow';

const ROOT = path.resolve(__dirname, '../../..');

export interface FixedDelayServer {
  url: string;
  port: number;
  pid: number;
  /** Freezes the server for `ms` from now (requests arriving meanwhile are served after it). */
  stall(ms: number): Promise<void>;
  /** What the server saw since the last reset (arrivals, their first/last time in ms, its own lateness). */
  stats(reset?: boolean): Promise<ServerStats>;
  stop(): Promise<void>;
}

export interface ServerStats {
  arrivals: number;
  firstArrival: number;
  lastArrival: number;
  /** how late the server answered vs its fixed delay, p99 (ms): the environment's noise */
  lateP99Ms: number;
  /** arrival to response, as the server saw it (ms): what a perfect client would measure */
  serviceP50Ms: number;
  serviceP99Ms: number;
}

/** Starts test/support/fixed-delay-server.ts in its own process. */
export function startFixedDelayServer(delayMs: number, extraArgs: { cpu?: string } = {}): Promise<FixedDelayServer> {
  const script = path.join(__dirname, 'fixed-delay-server.ts');
  const args = ['-r', '@swc-node/register', script];
  const command = extraArgs.cpu ? 'taskset' : process.execPath;
  const argv = extraArgs.cpu ? ['-c', extraArgs.cpu, process.execPath, ...args] : args;
  const child: ChildProcess = spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DELAY_MS: String(delayMs), SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.base.json') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the fixed-delay server did not start within 60 s'));
    }, 60_000);
    child.once('exit', (code) => reject(new Error(`the fixed-delay server exited (${code})`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      const port = Number(match[1]);
      const url = `http://127.0.0.1:${port}`;
      resolve({
        url,
        port,
        pid: child.pid ?? 0,
        stall: async (ms) => {
          const res = await fetch(`${url}/__stall?ms=${ms}`, { method: 'POST' });
          await res.text();
        },
        stats: async (reset = false) => {
          const res = await fetch(`${url}/__stats${reset ? '?reset=1' : ''}`);
          return (await res.json()) as ServerStats;
        },
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
  });
}

/** A one-request flow: POST /work, checked for status 200. */
export const oneRequestFlow: Flow = async (client, input) => {
  const res = await client.post(`${input.baseUrl}/work`, '{}', {
    headers: { 'content-type': 'application/json', traceparent: input.traceparent },
    tags: { name: 'work' },
  });
  client.check(res, { 'work status 200': (r) => r.status === 200 }, { name: 'work' });
};
