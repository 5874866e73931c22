import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { allowedCpus, applyIsolation, expandCpuList, parseIsolationRequest, planIsolation } from './cpu-isolation';
import { applyCpuQuota, findCpuController, parseCpuQuota, QUOTA_PERIOD_US, releaseCpuQuota } from './cpu-quota';

describe('CPU isolation settings', () => {
  it.each([
    ['auto', undefined, { kind: 'auto' }],
    ['off', undefined, { kind: 'off' }],
    ['1', undefined, { kind: 'cpus', legacy: '1' }],
    ['2-3', '0-1', { kind: 'cpus', legacy: '2-3', stack: '0-1' }],
  ])('parses LAB_LEGACY_CPUS=%s LAB_STACK_CPUS=%s', (legacy, stack, expected) => {
    expect(parseIsolationRequest(legacy, stack)).toEqual(expected);
  });

  it.each([['one'], ['1-'], ['-1']])('refuses LAB_LEGACY_CPUS=%s, naming the value', (value) => {
    expect(() => parseIsolationRequest(value)).toThrow(`(got "${value}")`);
  });

  it('gives the last CPU to the legacy server and the rest to the stack', () => {
    expect(planIsolation({ kind: 'auto' }, 2, 'linux')).toEqual({ legacy: '1', stack: '0' });
    expect(planIsolation({ kind: 'auto' }, 8, 'linux')).toEqual({ legacy: '7', stack: '0-6' });
    expect(planIsolation({ kind: 'cpus', legacy: '2-3' }, 4, 'linux')).toEqual({ legacy: '2,3', stack: '0,1' });
  });

  it('says why isolation cannot be applied', () => {
    expect(planIsolation({ kind: 'auto' }, 1, 'linux')).toEqual({ off: expect.stringContaining('only one CPU') });
    expect(planIsolation({ kind: 'auto' }, 4, 'darwin')).toEqual({ off: expect.stringContaining('Linux only') });
    expect(planIsolation({ kind: 'cpus', legacy: '5' }, 4, 'linux')).toEqual({ off: expect.stringContaining('names CPU 5') });
    expect(planIsolation({ kind: 'cpus', legacy: '0-3' }, 4, 'linux')).toEqual({ off: expect.stringContaining('leaves no CPU') });
  });

  it('expands CPU lists', () => {
    expect(expandCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
  });
});

describe('CPU isolation on this machine', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('pins a legacy process tree to its CPU and the lab to the others, or records why not', () => {
    child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const pid = child.pid as number;
    const plan = planIsolation({ kind: 'auto' });
    // The lab's "own" pid here is a second idle child, so the test runner itself is left unpinned.
    const lab = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const applied = applyIsolation(plan, [{ name: 'legacy', pid }], { legacy: 'auto', stack: 'auto' }, [lab.pid as number]);
      if ('off' in plan) {
        expect(applied).toMatchObject({ applied: false, reason: plan.off });
      } else {
        expect(applied).toMatchObject({ applied: true, legacyCpus: plan.legacy, legacyProcesses: ['legacy'] });
        expect(allowedCpus(pid)).toBe(plan.legacy);
        expect(allowedCpus(lab.pid as number)).toBe(plan.stack);
      }
    } finally {
      lab.kill('SIGKILL');
    }
  });
});

describe('the legacy server CPU quota', () => {
  it.each([
    [undefined, 'off'],
    ['off', 'off'],
    ['0.3', 0.3],
    [0.5, 0.5],
    ['2', 2],
  ])('parses %p', (value, expected) => {
    expect(parseCpuQuota(value)).toBe(expected);
  });

  it.each([['0'], ['-1'], ['half'], [''], ['100']])('refuses %p, naming the value', (value) => {
    expect(() => parseCpuQuota(value)).toThrow('LAB_LEGACY_CPU_QUOTA must be off or a fraction of one CPU');
  });

  function fakeRoot(kind: 'v1' | 'v2' | 'none'): string {
    const root = mkdtempSync(path.join(tmpdir(), 'cgroup-'));
    if (kind === 'v1') {
      mkdirSync(path.join(root, 'cpu'));
      writeFileSync(path.join(root, 'cpu', 'cpu.cfs_quota_us'), '-1');
    }
    if (kind === 'v2') {
      writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids');
      writeFileSync(path.join(root, 'cgroup.subtree_control'), 'memory');
    }
    return root;
  }

  it('writes a cgroup v1 quota over a 10 ms period and moves every process of the tree', () => {
    const root = fakeRoot('v1');
    const quota = applyCpuQuota(0.3, [101, 102], { groupName: 'checkout-lab-1', root });
    const group = path.join(root, 'cpu', 'checkout-lab-1');
    expect(quota).toMatchObject({ requested: '0.3', applied: true, cpus: 0.3, group });
    expect(readFileSync(path.join(group, 'cpu.cfs_period_us'), 'utf8')).toBe(String(QUOTA_PERIOD_US));
    expect(readFileSync(path.join(group, 'cpu.cfs_quota_us'), 'utf8')).toBe('3000');
    // A fake file keeps only the last write; the kernel's cgroup.procs takes one pid per write.
    expect(readFileSync(path.join(group, 'cgroup.procs'), 'utf8')).toBe('102');
  });

  it('writes cpu.max on cgroup v2 and enables the cpu controller for the subtree', () => {
    const root = fakeRoot('v2');
    const quota = applyCpuQuota(0.5, [7], { groupName: 'checkout-lab-1', root });
    expect(quota).toMatchObject({ applied: true, cpus: 0.5, mechanism: 'cgroup v2 cpu.max 5000 10000' });
    expect(readFileSync(path.join(root, 'checkout-lab-1', 'cpu.max'), 'utf8')).toBe('5000 10000');
    expect(readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu');
  });

  it('records why no quota was applied, without throwing', () => {
    expect(applyCpuQuota(0.3, [1], { groupName: 'g', root: fakeRoot('none') })).toMatchObject({
      applied: false,
      cpus: null,
      reason: expect.stringContaining('no cgroup cpu controller'),
    });
    expect(applyCpuQuota('off', [1], { groupName: 'g' })).toMatchObject({ applied: false, reason: expect.stringContaining('switched off') });
  });

  it('throttles a busy process on this machine when the kernel lets us, or says why not', async () => {
    const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    const groupName = `checkout-lab-test-${process.pid}`;
    try {
      const quota = applyCpuQuota(0.1, [child.pid as number], { groupName });
      const controller = findCpuController();
      if (!quota.applied) {
        // Not root, or no cpu controller: the reason is what the lab prints and records.
        expect(quota.reason).toMatch(/cgroup/);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stat = readFileSync(path.join(quota.group as string, 'cpu.stat'), 'utf8');
      const throttled = Number(/nr_throttled (\d+)/.exec(stat)?.[1]);
      expect('none' in controller).toBe(false);
      expect(throttled).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      // The kernel removes a group once it is empty; an exited process may take a moment to leave it.
      for (let i = 0; i < 20; i++) {
        const controller = findCpuController();
        if ('none' in controller) break;
        releaseCpuQuota(path.join(controller.dir, groupName));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });
});
