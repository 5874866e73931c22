import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { BILLING_LOOKUP_SQL } from '@checkout-lab/billing-store';
import { withClient } from '@checkout-lab/database';
import type { LegacySpeed } from '@checkout-lab/run-record';

/**
 * Pins the legacy server's speed, not its CPU share. A fixed CPU quota leaves the scan's time to
 * the host: on this VM the same quota (0.23) gave legacy lookups of 188–195 ms in one experiment
 * and 217–227 ms an hour later, and a queue that close to saturation turned that into 0.5 % and
 * 6.1 % of checkouts timing out. The incident's server was a machine on which the query took so
 * long, whatever machine the lab runs on.
 *
 * So before a run the lab measures the CPU time of one unindexed lookup on the idle server (the
 * backend's /proc/<pid>/schedstat, in ns, over a few lookups) and sets the quota to that CPU time
 * over `targetMs`: a lookup then takes about `targetMs` of wall time, as a scan's time under CFS
 * bandwidth control is its CPU time over the quota. CPU time, not wall time, because the wall
 * time of a few throttled scans scatters too much to steer by (measured: rounds of 7 lookups at
 * quotas 0.2366 and 0.2616 gave 221 and 162 ms), while their CPU time is what the host's speed
 * changes.
 *
 * The CPU counted is the timed backend's alone, with parallel workers off for its session. The
 * server's whole process tree was tried first, and processes starting and exiting between two
 * readings skewed whole rounds (one read 49 ms of CPU per lookup in lookups of 209 ms at a quota
 * of 0.174, which allows 36). On a legacy server with several CPUs, the load's lookups run with
 * parallel workers, at about the same CPU in total.
 *
 * The timed lookups are BILLING_LOOKUP_SQL with index scans switched off for their session, so
 * they measure the sequential scan in every variant (the indexed one included), on one
 * connection, one at a time, as billing-address's pool of one runs them.
 */

/** Lookups timed per round; the fastest and slowest are dropped. */
export const SPEED_SAMPLES = 7;
/** A quota that moves by more than this fraction from the one the lookups were timed at is timed again there. */
export const REFINE_ABOVE = 0.05;
/** The quota stays within these bounds (a fraction of one CPU). */
export const QUOTA_BOUNDS = { min: 0.02, max: 1 } as const;

/** The trimmed mean of one round of timings (ms): the fastest and slowest dropped when there are five or more. */
export function trimmedMean(samples: number[]): number {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const kept = sorted.length >= 5 ? sorted.slice(1, -1) : sorted;
  return kept.reduce((sum, x) => sum + x, 0) / kept.length;
}

/** The quota at which one lookup of `cpuMs` of CPU takes `targetMs`, within QUOTA_BOUNDS (4 decimals). */
export function quotaFor(cpuMs: number, targetMs: number): number {
  const quota = cpuMs / targetMs;
  return Math.round(Math.min(QUOTA_BOUNDS.max, Math.max(QUOTA_BOUNDS.min, quota)) * 10_000) / 10_000;
}

/** A process's CPU time so far in ns (the first field of /proc/<pid>/schedstat; a backend is one thread). */
export function cpuTimeNs(pid: number): number {
  const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  if (!Number.isFinite(ns)) throw new Error(`/proc/${pid}/schedstat has no CPU time`);
  return ns;
}

/**
 * Times SPEED_SAMPLES lookups at the current quota (`startQuota`), then applies the quota at which
 * one takes `targetMs` (`applyQuota` says whether it took), timing them once more at that quota
 * first when it is more than REFINE_ABOVE away. The backend must run on this machine
 * (the embedded server): its CPU time is read from /proc.
 */
export async function calibrateLegacySpeed(options: {
  billingDb: string;
  targetMs: number;
  startQuota: number;
  users: number;
  applyQuota: (fraction: number) => boolean;
  samples?: number;
}): Promise<LegacySpeed> {
  const samples = options.samples ?? SPEED_SAMPLES;
  const users = Math.max(1, options.users);
  return withClient(options.billingDb, async (client) => {
    await client.query('SET enable_indexscan = off');
    await client.query('SET enable_bitmapscan = off');
    await client.query('SET enable_indexonlyscan = off');
    // The backend does the whole scan, so its own CPU time is the lookup's (a parallel plan's
    // workers come and go, and their CPU would be missed).
    await client.query('SET max_parallel_workers_per_gather = 0');
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = Number(rows[0]?.pid);
    const cpuNow = () => cpuTimeNs(backend);
    let next = 0;
    const lookup = async () => {
      // Users spread over the population, as the load draws them.
      const user = `user-${1 + ((next++ * 7919) % users)}`;
      const cpuBefore = cpuNow();
      const started = performance.now();
      await client.query(BILLING_LOOKUP_SQL, [user]);
      return { wallMs: performance.now() - started, cpuMs: (cpuNow() - cpuBefore) / 1e6 };
    };
    await lookup(); // the plan cached, the connection warm
    const round = async () => {
      const timed = [];
      for (let i = 0; i < samples; i++) timed.push(await lookup());
      return { cpuMs: round3(trimmedMean(timed.map((t) => t.cpuMs))), wallMs: round3(trimmedMean(timed.map((t) => t.wallMs))) };
    };
    const first = await round();
    let cpuMs = first.cpuMs;
    let quota = quotaFor(cpuMs, options.targetMs);
    let rounds = 1;
    // A scan's CPU time depends on the quota it runs at (throttled more often, it resumes on cold
    // caches more often): timed at 0.23, lookups then ran 0–12 % faster than the target at the
    // quota derived from it (185–204 ms for 210). So when the quota moves by more than
    // REFINE_ABOVE, it is applied and the lookups are timed once more there.
    if (Math.abs(quota / options.startQuota - 1) > REFINE_ABOVE) {
      if (!options.applyQuota(quota)) return failed(quota, 'could not be applied');
      cpuMs = (await round()).cpuMs;
      quota = quotaFor(cpuMs, options.targetMs);
      rounds = 2;
    }
    const base = { targetMs: options.targetMs, cpuMs, startQuota: options.startQuota, startLookupMs: first.wallMs, quota, rounds };
    if (!options.applyQuota(quota)) return { ...base, reached: false, reason: `the CPU quota ${quota} could not be applied` };
    const atBound = quota === QUOTA_BOUNDS.min || quota === QUOTA_BOUNDS.max;
    return atBound ? { ...base, reached: false, reason: `the quota is at its bound (${quota} of a CPU)` } : { ...base, reached: true };

    function failed(at: number, why: string): LegacySpeed {
      return { targetMs: options.targetMs, cpuMs, startQuota: options.startQuota, startLookupMs: first.wallMs, quota: at, rounds, reached: false, reason: `the CPU quota ${at} ${why}` };
    }
  });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
