import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { isAlive } from './postgres';
import { waitUntil } from './ports';

export interface DynaliteOptions {
  port: number;
  /** LevelDB directory, kept between runs; absent = in memory (gone when the server stops). */
  dataDir?: string;
  /** Address to bind. Default 127.0.0.1. */
  host?: string;
  /** How long to wait for the server to answer. Default 30 s. */
  startTimeoutMs?: number;
  /** Called with each line the server prints (its stdout and stderr). */
  onLog?: (line: string) => void;
}

export interface RunningDynalite {
  /** http://127.0.0.1:<port>: what DYNAMODB_ENDPOINT should be. */
  endpoint: string;
  port: number;
  /** The server's process id. */
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s); resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The program the child runs: dynalite's server, bound to one address, with tables ACTIVE at once
 * (no 500 ms CREATING state), that closes its LevelDB store on SIGTERM/SIGINT and exits by itself
 * when its parent is gone (even a parent killed with SIGKILL leaves nothing behind).
 */
const SERVER_PROGRAM = `
const [dynalitePath, port, host, dataDir, parentPid] = process.argv.slice(1);
const server = require(dynalitePath)({ path: dataDir || undefined, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(0), 5000);
  force.unref();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
server.on('error', (error) => { console.error('dynalite: ' + error.message); process.exit(1); });
server.listen(Number(port), host, () => console.log('dynalite listening on ' + host + ':' + port));
setInterval(() => { try { process.kill(Number(parentPid), 0); } catch { stop(); } }, 1000).unref();
`;

/**
 * Starts dynalite (a DynamoDB-compatible server on LevelDB) in its own Node.js process and waits
 * until it answers DynamoDB requests. It is stopped by `stop()`, when this process exits, and
 * (polling) when this process dies without a chance to clean up.
 */
export async function startDynalite(options: DynaliteOptions): Promise<RunningDynalite> {
  const host = options.host ?? '127.0.0.1';
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const dynalitePath = path.dirname(require.resolve('dynalite/package.json'));
  const child = spawn(
    process.execPath,
    ['-e', SERVER_PROGRAM, dynalitePath, String(options.port), host, options.dataDir ?? '', String(process.pid)],
    // Its own process group, so a Ctrl-C in the terminal reaches only its parent, which stops it
    // after the services; it still exits by itself once the parent is gone (see SERVER_PROGRAM).
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const output: string[] = [];
  let listening = false;
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      if (line.startsWith('dynalite listening on ')) listening = true;
      output.push(line);
      if (output.length > 20) output.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const exitedEarly = new AbortController();
  void exited.then(() => exitedEarly.abort());
  const killOnExit = () => {
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = once(async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child, exited);
  });

  const endpoint = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${options.port}`;
  try {
    if (child.pid === undefined) throw new Error('dynalite could not be started');
    await waitUntil(
      `dynalite on ${endpoint}`,
      async () => {
        // Our own child must be the one listening (not some other server on the port).
        return listening && (await answers(endpoint));
      },
      options.startTimeoutMs ?? 30_000,
      { intervalMs: 50, signal: exitedEarly.signal },
    ).catch(async (error: unknown) => {
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 500))]);
      const detail = output.length > 0 ? `: ${output.join(' | ')}` : '';
      throw new Error(
        child.exitCode !== null
          ? `dynalite exited during start-up (code ${child.exitCode})${detail}`
          : `${(error as Error).message}${detail}`,
      );
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port: options.port, pid: child.pid, stop };
}

/** True when `endpoint` answers a DynamoDB ListTables call (any DynamoDB-compatible server). */
async function answers(endpoint: string): Promise<boolean> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      // dynalite checks that a signature is present, not that it is valid.
      authorization:
        'AWS4-HMAC-SHA256 Credential=lab/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      'x-amz-date': '20240101T000000Z',
    },
    body: '{}',
    signal: AbortSignal.timeout(2_000),
  });
  await response.arrayBuffer();
  return response.ok;
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined || !isAlive(child.pid)) return;
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
