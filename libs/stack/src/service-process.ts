import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { setPriority } from 'node:os';
import * as path from 'node:path';
import { waitUntil } from '@checkout-lab/embedded';

/**
 * The repository root, where the services' entry files live: the npm workspace root, i.e. the
 * nearest directory above this file whose package.json declares `workspaces` (nx.json would do in
 * a clone, but the Docker image has no nx.json). Found by walking up, so no file depends on how
 * deep it sits.
 */
export const REPO_ROOT = workspaceRoot(__dirname);

function workspaceRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && 'workspaces' in (JSON.parse(readFileSync(manifest, 'utf8')) as object)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no npm workspace root (a package.json with "workspaces") above ${from}`);
  }
}

export interface ServiceProcessOptions {
  name: string;
  /** Entry file relative to the repo root, e.g. services/cart/src/main.ts. */
  entry: string;
  env: NodeJS.ProcessEnv;
  /** Where stdout and stderr go (appended); the last lines are shown if the process dies early. */
  logFile: string;
  /** Resolves true once the process is ready to serve. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Modules loaded with `-r` after @swc-node/register, before the entry (e.g. TELEMETRY_PRELOAD). */
  preload?: string[];
  /** Arguments for `node` itself, before the entry (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** A lower scheduling priority (nice value) for the process, so the load generator keeps its schedule. */
  nice?: number;
  /**
   * Called when the process exits without being asked to, after it had become ready (a crash,
   * or a kill from outside). Not called for an exit during start-up: start() throws then.
   */
  onUnexpectedExit?: (exit: UnexpectedExit) => void;
}

/** How a process that was not asked to stop ended. */
export interface UnexpectedExit {
  code: number | null;
  signal: string | null;
  pid: number | undefined;
  /** Its last log lines. */
  tail: string[];
  /** How long it had been ready, in ms. */
  upMs: number;
}

/** Loaded first into every process: it exits when the lab is gone (see exit-with-parent.ts). */
export const EXIT_WITH_PARENT_PRELOAD = path.join(__dirname, 'exit-with-parent.ts');

/** Starts OpenTelemetry before a service's modules load (libs/telemetry/src/preload.ts). */
export const TELEMETRY_PRELOAD = path.join(REPO_ROOT, 'libs', 'telemetry', 'src', 'preload.ts');

/**
 * One part of the stack running as its own Node.js process (TypeScript through
 * @swc-node/register), with its output in a log file.
 *
 * The process runs in its own process group (`detached`), so the terminal's Ctrl-C reaches only
 * the lab, which then stops the services before the databases. It still never outlives the lab:
 * EXIT_WITH_PARENT_PRELOAD makes it stop itself once the lab is gone, even after a SIGKILL.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  /** Where the current process's output starts in its log file (bytes). */
  private logFrom = 0;
  private stopping = false;
  /** When the current process became ready (Date.now()); undefined while it starts. */
  private readyAt: number | undefined;
  /** Set when the process exited without being asked to (a crash): its code or signal. */
  unexpectedExit: { code: number | null; signal: string | null } | undefined;

  constructor(readonly options: ServiceProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the process it started last has not exited. */
  get running(): boolean {
    const child = this.child;
    return child !== undefined && child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Its last log lines (at most 20). */
  get lastLines(): string[] {
    return lastLinesOf(this.options.logFile, this.logFrom, 20);
  }

  async start(): Promise<void> {
    const { name, entry, env, logFile, ready, readyTimeoutMs = 60_000 } = this.options;
    mkdirSync(path.dirname(logFile), { recursive: true });
    // The process writes its output straight into its log file (appended): the lab reads none of
    // it while it runs. Piped through the lab instead, every log line woke the load generator,
    // which runs at real-time priority during a run and so preempted the service that had just
    // written it, inside the request being measured.
    const log = openSync(logFile, 'a');
    const logFrom = fstatSync(log).size;
    const preload = (this.options.preload ?? []).flatMap((module) => ['-r', module]);
    const args = [...(this.options.nodeArgs ?? []), '-r', '@swc-node/register', '-r', EXIT_WITH_PARENT_PRELOAD, ...preload, path.join(REPO_ROOT, entry)];
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, args, {
        cwd: REPO_ROOT,
        env: { ...env, SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.base.json') },
        stdio: ['ignore', log, log],
        // Its own process group: a Ctrl-C in the terminal goes to the lab only.
        detached: true,
      });
    } finally {
      closeSync(log); // the child holds its own copy
    }
    this.child = child;
    this.logFrom = logFrom;
    if (this.options.nice && child.pid !== undefined) lowerPriority(child.pid, this.options.nice);
    this.stopping = false;
    this.readyAt = undefined;
    this.unexpectedExit = undefined;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.stopping) {
          this.unexpectedExit = { code, signal };
          if (this.readyAt !== undefined) {
            this.options.onUnexpectedExit?.({ code, signal, pid: child.pid, tail: this.lastLines, upMs: Date.now() - this.readyAt });
          }
        }
        resolve(code);
      }),
    );
    const gaveUp = new AbortController();
    const exitedEarly = this.exited.then(() => {
      gaveUp.abort();
      return 'exited' as const;
    });
    const outcome = await Promise.race([
      waitUntil(name, ready, readyTimeoutMs, { signal: gaveUp.signal }).then(
        () => 'ready' as const,
        () => 'timeout' as const,
      ),
      exitedEarly,
    ]);
    if (outcome !== 'ready') {
      gaveUp.abort();
      await this.stop();
      const why = outcome === 'exited' ? 'exited during start-up' : `was not ready within ${Math.round(readyTimeoutMs / 1000)} s`;
      throw new Error(`${name} ${why}. Last output (${logFile}):\n${this.lastLines.join('\n')}`);
    }
    this.readyAt = Date.now();
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.stopping = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The last `count` lines a file holds after byte `from` (at most its last 64 KiB are read); none when it cannot be read. */
export function lastLinesOf(file: string, from: number, count: number): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const start = Math.max(from, size - 64 * 1024);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    const read = readSync(fd, buffer, 0, buffer.length, start);
    return buffer.subarray(0, read).toString('utf8').split('\n').filter(Boolean).slice(-count);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Sets a process's nice value (a negative one needs root); best effort, as it only shifts scheduling. False when refused. */
export function lowerPriority(pid: number, nice: number): boolean {
  try {
    setPriority(pid, nice);
    return true;
  } catch {
    return false;
  }
}
