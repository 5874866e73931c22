import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CpuQuota } from '@checkout-lab/run-record';

/**
 * A CPU quota for the legacy billing PostgreSQL: the under-provisioned machine of the incident
 * (a burstable VM out of CPU credits runs at a fraction of one vCPU). On top of the CPU affinity
 * (cpu-isolation.ts), the server's whole process tree gets `fraction` of one CPU's time, enforced
 * by the kernel's CFS bandwidth control over a short period (10 ms), so a 50 ms scan at 0.3 takes
 * about 165 ms instead of stalling for whole 100 ms periods.
 *
 * `LAB_LEGACY_CPU_QUOTA` (or a variant's `legacyCpuQuota`): `off` (default) or a fraction of one
 * CPU such as `0.3`. Mechanism: a cgroup of the `cpu` controller (cgroup v2 `cpu.max`, or v1
 * `cpu.cfs_quota_us`), which needs write access to the cgroup tree (root, or a delegated subtree).
 * Where that is missing, the lab warns, runs the server without a quota, and records why.
 */

export const QUOTA_PERIOD_US = 10_000;

/** Parses `LAB_LEGACY_CPU_QUOTA` / `legacyCpuQuota`: 'off' or a fraction of one CPU in (0, 64]. Throws naming the value. */
export function parseCpuQuota(value: string | number | undefined): number | 'off' {
  if (value === undefined) return 'off';
  const text = String(value).trim();
  if (text === 'off') return 'off';
  const fraction = Number(text);
  if (text === '' || !Number.isFinite(fraction) || fraction < 0.01 || fraction > 64) {
    throw new Error(`LAB_LEGACY_CPU_QUOTA must be off or a fraction of one CPU between 0.01 and 64, such as 0.3 (got "${text}")`);
  }
  return fraction;
}

/** Where this machine lets us create a cpu cgroup: v2 (cpu.max) or v1 (cpu.cfs_quota_us), or why not. */
export function findCpuController(root = '/sys/fs/cgroup'): { version: 2 | 1; dir: string } | { none: string } {
  const v2Controllers = path.join(root, 'cgroup.controllers');
  if (existsSync(v2Controllers) && readFileSync(v2Controllers, 'utf8').split(/\s+/).includes('cpu')) return { version: 2, dir: root };
  for (const name of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']) {
    const dir = path.join(root, name);
    if (existsSync(path.join(dir, 'cpu.cfs_quota_us'))) return { version: 1, dir };
  }
  return { none: `no cgroup cpu controller under ${root}` };
}

/**
 * Puts the process tree of `pids` into the lab's cgroup with `fraction` of one CPU. Idempotent
 * (called before every run); never throws: a failure comes back with its reason.
 */
export function applyCpuQuota(
  fraction: number | 'off',
  pids: number[],
  options: { groupName: string; root?: string },
): CpuQuota {
  const requested = String(fraction);
  if (fraction === 'off') return { requested, applied: false, cpus: null, reason: 'switched off (LAB_LEGACY_CPU_QUOTA=off)' };
  const controller = findCpuController(options.root);
  if ('none' in controller) return { requested, applied: false, cpus: null, reason: controller.none };
  const group = path.join(controller.dir, options.groupName);
  const quotaUs = Math.round(fraction * QUOTA_PERIOD_US);
  try {
    mkdirSync(group, { recursive: true });
    if (controller.version === 2) {
      enableV2Controller(controller.dir);
      writeFileSync(path.join(group, 'cpu.max'), `${quotaUs} ${QUOTA_PERIOD_US}`);
    } else {
      // The period first: a quota is checked against the current period when written.
      writeFileSync(path.join(group, 'cpu.cfs_period_us'), String(QUOTA_PERIOD_US));
      writeFileSync(path.join(group, 'cpu.cfs_quota_us'), String(quotaUs));
    }
    for (const pid of pids) {
      try {
        writeFileSync(path.join(group, 'cgroup.procs'), String(pid));
      } catch (error) {
        // A backend that exited since the tree was listed; anything else is a real failure.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  } catch (error) {
    return { requested, applied: false, cpus: null, reason: `cgroup ${group}: ${error instanceof Error ? error.message : String(error)}` };
  }
  return {
    requested,
    applied: true,
    cpus: fraction,
    mechanism: controller.version === 2 ? `cgroup v2 cpu.max ${quotaUs} ${QUOTA_PERIOD_US}` : `cgroup v1 cpu.cfs_quota_us ${quotaUs} per ${QUOTA_PERIOD_US} µs`,
    group,
  };
}

/** Removes the group once its processes have exited (the kernel refuses while any is left). Best effort. */
export function releaseCpuQuota(group: string | undefined): void {
  if (!group || !existsSync(group)) return;
  try {
    rmdirSync(group);
  } catch {
    // still populated (a server that would not stop) or already gone: nothing to do
  }
}

/** Groups this lab left behind by a crash: `checkout-lab-<pid>` whose pid is gone. Removes them when empty. */
export function removeStaleQuotaGroups(root = '/sys/fs/cgroup'): void {
  const controller = findCpuController(root);
  if ('none' in controller) return;
  let entries: string[] = [];
  try {
    entries = readdirSync(controller.dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^checkout-lab-(\d+)$/.exec(entry);
    if (!match) continue;
    try {
      process.kill(Number(match[1]), 0);
    } catch {
      releaseCpuQuota(path.join(controller.dir, entry));
    }
  }
}

function enableV2Controller(dir: string): void {
  const control = path.join(dir, 'cgroup.subtree_control');
  if (readFileSync(control, 'utf8').split(/\s+/).includes('cpu')) return;
  writeFileSync(control, '+cpu');
}
