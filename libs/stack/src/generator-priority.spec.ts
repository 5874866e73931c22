import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { allowedCpus } from './cpu-isolation';
import { withGeneratorPriority } from './generator-priority';

/** The scheduling policy of this process's main thread (field 41 of /proc/self/stat: 0 = SCHED_OTHER, 1 = SCHED_FIFO). */
function policy(): number {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
}

// The lab's CI and experiments run as root on Linux with 2+ CPUs: there the move must happen.
const canMove = process.platform === 'linux' && cpus().length >= 2 && process.getuid?.() === 0;

describe('the load generator during a run', () => {
  const before = allowedCpus(process.pid);
  afterEach(() => {
    expect(allowedCpus(process.pid)).toBe(before);
    expect(policy()).toBe(0);
  });

  (canMove ? it : it.failing)('runs the work at SCHED_FIFO on the placement\'s CPUs, then goes back to SCHED_OTHER where it was', async () => {
    const last = String(cpus().length - 1);
    const seen = await withGeneratorPriority(async () => ({ cpus: allowedCpus(process.pid), policy: policy() }), { cpus: last, afterCpus: before ?? '0' });
    expect(seen.result).toEqual({ cpus: last, policy: 1 });
    expect(seen.policy).toBe('SCHED_FIFO 1 (chrt)');
    expect(seen.cpus).toBe(last);
  });

  it('stays where it is without a placement, and goes back even when the work fails', async () => {
    const seen = await withGeneratorPriority(async () => allowedCpus(process.pid));
    expect(seen.result).toBe(before);
    expect(seen.cpus).toBeUndefined();
    await expect(withGeneratorPriority(async () => Promise.reject(new Error('the load failed')), { cpus: '0', afterCpus: before ?? '0' })).rejects.toThrow('the load failed');
  });
});
