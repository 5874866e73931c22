import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Isolation } from '@checkout-lab/run-record';

/**
 * CPU isolation: the billing data's server (the legacy PostgreSQL, or dynalite standing in for
 * DynamoDB) behaves like the separate machine it was in the incident. It runs on its own CPU(s);
 * the services, the app database, the Stripe double, the trace receiver and the load driver run
 * on the others. Its load can then slow the billing lookup (which waits for it) but not the
 * unrelated steps or the generator's schedule.
 *
 * Mechanism: CPU affinity (`taskset`, util-linux; no root needed for one's own processes). The
 * servers start and the data loads on every CPU; before the measured runs the lab pins its own
 * process tree to the stack's CPUs (the services it spawns later inherit them), then each legacy
 * server's process tree (all threads, and the backends PostgreSQL forks later inherit it) to the
 * legacy CPUs. A CPU quota on top (cpu-quota.ts) makes the legacy server smaller than a CPU.
 *
 * `LAB_LEGACY_CPUS`: `auto` (default: the last CPU for the legacy server, the rest for the stack,
 * on Linux with ≥ 2 CPUs), `off`, or a CPU list such as `1` or `2-3` (the stack then gets the
 * CPUs not listed, or `LAB_STACK_CPUS`). Where it cannot be applied (not Linux, one CPU, no
 * taskset), the lab warns, runs unpinned, and records that in each run's provenance.
 */
export interface CpuPlan {
  legacy: string;
  stack: string;
}

export type IsolationRequest = { kind: 'off' } | { kind: 'auto' } | { kind: 'cpus'; legacy: string; stack?: string };

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** Parses `LAB_LEGACY_CPUS` / `LAB_STACK_CPUS` (or a variant's legacyCpus / stackCpus); throws with the bad value named. */
export function parseIsolationRequest(legacy: string | undefined, stack?: string): IsolationRequest {
  const value = (legacy ?? 'auto').trim();
  if (value === 'off') return { kind: 'off' };
  if (value === 'auto') {
    if (stack !== undefined) throw new Error('LAB_STACK_CPUS needs LAB_LEGACY_CPUS to be a CPU list, not auto');
    return { kind: 'auto' };
  }
  if (!CPU_LIST.test(value)) throw new Error(`LAB_LEGACY_CPUS must be auto, off or a CPU list such as 1 or 2-3 (got "${value}")`);
  if (stack !== undefined && !CPU_LIST.test(stack.trim())) throw new Error(`LAB_STACK_CPUS must be a CPU list such as 0 or 0-2 (got "${stack}")`);
  return { kind: 'cpus', legacy: value, ...(stack !== undefined ? { stack: stack.trim() } : {}) };
}

/** Expands "0-2,5" into [0, 1, 2, 5]. */
export function expandCpuList(list: string): number[] {
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    for (let cpu = a; cpu <= (b ?? a); cpu++) out.add(cpu);
  }
  return [...out].sort((x, y) => x - y);
}

/** Turns a request into CPU lists for this machine, or says why it cannot be applied. */
export function planIsolation(request: IsolationRequest, cpuCount = cpus().length, platform = process.platform): CpuPlan | { off: string } {
  if (request.kind === 'off') return { off: 'switched off (LAB_LEGACY_CPUS=off)' };
  if (platform !== 'linux') return { off: `CPU affinity is applied on Linux only (this is ${platform})` };
  if (cpuCount < 2) return { off: 'only one CPU: the legacy server cannot have its own' };
  if (request.kind === 'auto') {
    const last = cpuCount - 1;
    return { legacy: String(last), stack: last === 1 ? '0' : `0-${last - 1}` };
  }
  const legacy = expandCpuList(request.legacy);
  const bad = legacy.filter((c) => c >= cpuCount);
  if (bad.length) return { off: `LAB_LEGACY_CPUS names CPU ${bad.join(', ')}, but this machine has CPUs 0-${cpuCount - 1}` };
  const stack = request.stack !== undefined ? expandCpuList(request.stack) : [...Array(cpuCount).keys()].filter((c) => !legacy.includes(c));
  if (stack.length === 0) return { off: 'LAB_LEGACY_CPUS leaves no CPU for the rest of the stack' };
  if (stack.some((c) => c >= cpuCount)) return { off: `LAB_STACK_CPUS names a CPU this machine does not have (CPUs 0-${cpuCount - 1})` };
  return { legacy: legacy.join(','), stack: stack.join(',') };
}

/** Pins a process and all its threads to `cpus`; with `tree`, its descendants too. Throws with taskset's message. */
export function pinProcess(pid: number, cpuList: string, options: { tree?: boolean } = {}): void {
  const pids = options.tree ? [pid, ...descendants(pid)] : [pid];
  for (const p of pids) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(p)], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      // A backend that exited between listing and pinning is not a failure.
      if (p !== pid && !isRunning(p)) continue;
      throw new Error(`taskset could not pin pid ${p} to CPUs ${cpuList}: ${stderr || (error instanceof Error ? error.message : String(error))}`);
    }
  }
}

/** The CPUs a process may run on, as the kernel reports them (e.g. "1" or "0-1"); null if unknown. */
export function allowedCpus(pid: number): string | null {
  try {
    const match = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * Applies a plan: the lab process (and so whatever it spawns from now on) onto the stack's CPUs,
 * each legacy server's process tree onto the legacy CPUs. Returns what was applied, for provenance;
 * never throws (a failure is recorded, and the run goes on unpinned, as the warning says).
 */
export function applyIsolation(
  plan: CpuPlan | { off: string },
  legacy: { name: string; pid: number | undefined }[],
  requested: { legacy: string; stack: string },
  labPids: number[] = [process.pid],
): Isolation {
  const legacyProcesses = legacy.map((l) => l.name);
  if ('off' in plan) return { requested, applied: false, legacyCpus: null, stackCpus: null, legacyProcesses, reason: plan.off };
  try {
    // The lab's whole tree first (the app PostgreSQL, the receiver, anything started unpinned), then the legacy trees onto their own CPUs.
    for (const pid of labPids) pinProcess(pid, plan.stack, { tree: true });
    for (const server of legacy) if (server.pid !== undefined) pinProcess(server.pid, plan.legacy, { tree: true });
  } catch (error) {
    // Undo what was half applied, so that the run is at least uniformly unpinned.
    const all = cpuListAll();
    for (const pid of labPids) tryPin(pid, all, true);
    for (const server of legacy) if (server.pid !== undefined) tryPin(server.pid, all, true);
    return { requested, applied: false, legacyCpus: null, stackCpus: null, legacyProcesses, reason: error instanceof Error ? error.message : String(error) };
  }
  const first = legacy.find((l) => l.pid !== undefined);
  return {
    requested,
    applied: true,
    legacyCpus: first?.pid !== undefined ? allowedCpus(first.pid) : plan.legacy,
    stackCpus: allowedCpus(labPids[0] ?? process.pid),
    legacyProcesses,
  };
}

/** Lets `pid` (not its children) run on every CPU again; what it spawns next inherits that. Best effort. */
export function unpinProcess(pid: number): void {
  tryPin(pid, cpuListAll());
}

function tryPin(pid: number, cpuList: string, tree = false): void {
  try {
    pinProcess(pid, cpuList, { tree });
  } catch {
    // best effort
  }
}

function cpuListAll(): string {
  const n = cpus().length;
  return n > 1 ? `0-${n - 1}` : '0';
}

/** Every descendant of `pid`, from /proc (children of children included). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces and parentheses, so parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const current = queue.shift() as number;
    for (const [child, parent] of parentOf) {
      if (parent === current) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
