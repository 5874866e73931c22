import { execFileSync } from 'node:child_process';

/**
 * The load generator's scheduling while it drives a run. It shares a CPU with the services, and a
 * nice value is not enough to keep its schedule there: under EEVDF a waking task at nice −10 can
 * still wait for a running one's slice. Measured on this VM during a quick experiment (a probe
 * pinned to the stack's CPU, sleeping 1 ms in a loop for 330 s): at nice −10 it overslept by more
 * than 8 ms 28 times, up to 23 ms; at SCHED_FIFO 7 times, up to 12 ms, all within bursts of the
 * hypervisor's steal time. One such stall at an iteration's start makes a run of 71 iterations
 * invalid (schedule lag p99 > 10 ms).
 *
 * So for the load phase only, the lab's main thread (where the driver's event loop runs) goes to
 * SCHED_FIFO at the lowest real-time priority, and back to SCHED_OTHER (its nice value kept)
 * after. Its CPU use is small (a few % of a CPU at the lab's rates), and the kernel's real-time
 * throttling (95 % of each second by default) bounds it if it ever spun. Mechanism: `chrt`
 * (util-linux), which needs root or an RLIMIT_RTPRIO; where refused, the run keeps the nice value
 * and says so in provenance.
 *
 * Where it drives the load from matters too. On the services' CPU, a real-time generator
 * preempts cart the moment cart writes a response, handles that response, and only then lets cart
 * finish the request: the client's work lands inside cart's server span. Measured at 1 checkout/s
 * (an idle stack, two runs each): from the end of `checkout` to the end of cart's HTTP span 1.93–
 * 1.94 ms with the generator beside cart, 0.62–0.72 ms with it on the other CPU. So, with the
 * legacy server isolated, the generator's main thread moves onto the legacy server's CPU for the
 * load (`cpus`; LAB_GENERATOR_CPUS, stack-settings): a shopper's browser is not on cart's machine
 * either. At real-time priority it is never delayed by the legacy server's work there (a normal
 * task); it takes about 1 % of that CPU, which the legacy server's CPU quota leaves idle anyway.
 * Only the main thread moves (libuv's and V8's threads stay with the stack), and only when
 * SCHED_FIFO took: at a nice value alone the legacy server's scans could delay it.
 */

export const GENERATOR_RT_PRIORITY = 1;

export interface GeneratorPlacement {
  /** The CPUs the generator's main thread runs on during the load (a CPU list). */
  cpus: string;
  /** Where it goes back to after the load. */
  afterCpus: string;
}

/**
 * Runs `work` with this process's main thread at SCHED_FIFO (and on `placement.cpus`, if given);
 * `policy` says what it ran at, `cpus` where it ran (undefined: where it was).
 */
export async function withGeneratorPriority<T>(work: () => Promise<T>, placement?: GeneratorPlacement): Promise<{ result: T; policy: string; cpus?: string }> {
  const raised = setPolicy(['-f', '-p', String(GENERATOR_RT_PRIORITY), String(process.pid)]);
  const policy = raised === true ? `SCHED_FIFO ${GENERATOR_RT_PRIORITY} (chrt)` : `SCHED_OTHER (SCHED_FIFO refused: ${raised})`;
  const moved = raised === true && placement !== undefined && pinMainThread(placement.cpus);
  try {
    return { result: await work(), policy, ...(moved ? { cpus: placement.cpus } : {}) };
  } finally {
    if (moved) pinMainThread(placement.afterCpus);
    if (raised === true) setPolicy(['-o', '-p', '0', String(process.pid)]);
  }
}

/** `taskset` without `-a`: this process's main thread only. False when refused. */
function pinMainThread(cpus: string): boolean {
  try {
    execFileSync('taskset', ['-p', '-c', cpus, String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    return true;
  } catch {
    return false;
  }
}

/** True when chrt succeeded, else its reason. */
function setPolicy(args: string[]): true | string {
  if (process.platform !== 'linux') return `real-time scheduling is applied on Linux only (this is ${process.platform})`;
  try {
    execFileSync('chrt', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return true;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return stderr || (error instanceof Error ? error.message : String(error));
  }
}
