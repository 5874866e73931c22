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
 */

export const GENERATOR_RT_PRIORITY = 1;

/** Runs `work` with this process's main thread at SCHED_FIFO; `policy` says what it ran at. */
export async function withGeneratorPriority<T>(work: () => Promise<T>): Promise<{ result: T; policy: string }> {
  const raised = setPolicy(['-f', '-p', String(GENERATOR_RT_PRIORITY), String(process.pid)]);
  const policy = raised === true ? `SCHED_FIFO ${GENERATOR_RT_PRIORITY} (chrt)` : `SCHED_OTHER (SCHED_FIFO refused: ${raised})`;
  try {
    return { result: await work(), policy };
  } finally {
    if (raised === true) setPolicy(['-o', '-p', '0', String(process.pid)]);
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
