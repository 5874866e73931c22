import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, isAlive, portInUse } from '@checkout-lab/embedded';
import { lastLinesOf, REPO_ROOT, ServiceProcess } from '../src/service-process';
import { Supervisor } from '../src/supervisor';

/** The supervisor around a tiny HTTP process (no stack): the same ServiceProcess the lab uses for its services. */
async function supervisedTiny(options: { initialBackoffMs: number }) {
  const port = await freePort();
  const lines: string[] = [];
  let changes = 0;
  const supervisor = new Supervisor({
    say: (line) => lines.push(line),
    restart: true,
    portsFree: async () => {
      while (await portInUse(port)) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    onChange: () => (changes += 1),
    initialBackoffMs: options.initialBackoffMs,
  });
  const service: ServiceProcess = new ServiceProcess({
    name: 'tiny',
    entry: 'libs/stack/test/support/tiny-service.ts',
    env: { ...process.env, TINY_PORT: String(port) },
    logFile: path.join(mkdtempSync(path.join(tmpdir(), 'supervision-')), 'tiny.log'),
    ready: () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok),
    onUnexpectedExit: (exit) => supervisor.exited(service, exit),
  });
  await service.start();
  supervisor.watch(service);
  return { port, lines, supervisor, service, changes: () => changes };
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a service process\'s output', () => {
  it('goes straight into its log file, and a start-up failure quotes this process\'s last lines only', async () => {
    const taken = await supervisedTiny({ initialBackoffMs: 200 });
    const logFile = path.join(mkdtempSync(path.join(tmpdir(), 'service-log-')), 'tiny.log');
    writeFileSync(logFile, 'a line from an earlier run\n');
    const second = new ServiceProcess({
      name: 'tiny-2',
      entry: 'libs/stack/test/support/tiny-service.ts',
      env: { ...process.env, TINY_PORT: String(taken.port) }, // taken: it fails to listen and exits
      logFile,
      ready: async () => false,
      readyTimeoutMs: 20_000,
    });
    try {
      const failure = await second.start().then(() => undefined, (error: Error) => error.message);
      expect(failure).toContain('tiny-2 exited during start-up. Last output');
      expect(failure).toContain('EADDRINUSE');
      expect(failure).not.toContain('a line from an earlier run');
      // The file keeps everything, the earlier run's line first.
      const log = readFileSync(logFile, 'utf8');
      expect(log.startsWith('a line from an earlier run\n')).toBe(true);
      expect(log).toContain('EADDRINUSE');
    } finally {
      taken.supervisor.cancel(taken.service);
      await taken.service.stop();
    }
  });

  it('lastLinesOf reads the last lines after an offset, and nothing from a missing file', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'service-log-')), 'x.log');
    writeFileSync(file, 'old\none\ntwo\nthree\n');
    expect(lastLinesOf(file, 4, 2)).toEqual(['two', 'three']);
    expect(lastLinesOf(file, 4, 20)).toEqual(['one', 'two', 'three']);
    expect(lastLinesOf(`${file}.missing`, 0, 20)).toEqual([]);
  });
});

describe('supervision', () => {
  it('reports a kill -9 with the name, the signal and the last output, and restarts the process until it is ready again', async () => {
    const tiny = await supervisedTiny({ initialBackoffMs: 200 });
    try {
      const first = tiny.service.pid as number;
      process.kill(first, 'SIGKILL');
      await eventually(() => tiny.supervisor.serviceEvents().some((e) => e.kind === 'restarted'), 15_000);

      const report = tiny.lines.join('\n');
      expect(report).toContain(`tiny (pid ${first}) exited unexpectedly with signal SIGKILL`);
      expect(report).toContain(`tiny service ${first} listening`); // its last output
      expect(report).toMatch(/restarting tiny in 200 ms/);
      const [exited, restarted] = tiny.supervisor.serviceEvents();
      expect(exited).toMatchObject({ service: 'tiny', kind: 'exited', signal: 'SIGKILL', code: null, pid: first });
      expect(restarted).toMatchObject({ service: 'tiny', kind: 'restarted', pid: tiny.service.pid });
      expect(new Date(restarted?.at ?? '').getTime()).toBeGreaterThanOrEqual(new Date(exited?.at ?? '').getTime());
      // Ready again, as the new process.
      expect(tiny.service.pid).not.toBe(first);
      expect(await (await fetch(`http://127.0.0.1:${tiny.port}/`)).text()).toBe(String(tiny.service.pid));
      expect(tiny.changes()).toBe(2); // stack.json rewritten after the exit and after the restart
    } finally {
      tiny.supervisor.cancel(tiny.service);
      await tiny.service.stop();
    }
  });

  it('waits twice as long before each further restart of a process that did not stay up a minute: 200 ms, 400 ms, 800 ms', async () => {
    const tiny = await supervisedTiny({ initialBackoffMs: 200 });
    try {
      for (const delay of ['200 ms', '400 ms', '800 ms']) {
        const before = tiny.supervisor.serviceEvents().filter((e) => e.kind === 'restarted').length;
        process.kill(tiny.service.pid as number, 'SIGKILL');
        await eventually(() => tiny.supervisor.serviceEvents().filter((e) => e.kind === 'restarted').length > before, 15_000);
        expect(tiny.lines.join('\n')).toContain(`restarting tiny in ${delay}`);
      }
    } finally {
      tiny.supervisor.cancel(tiny.service);
      await tiny.service.stop();
    }
  });

  it('never restarts a process stopped while its restart is pending', async () => {
    const tiny = await supervisedTiny({ initialBackoffMs: 1_000 });
    const first = tiny.service.pid as number;
    process.kill(first, 'SIGKILL');
    await eventually(() => tiny.lines.some((line) => line.includes('restarting tiny in 1 s')), 5_000);
    // What Stack.stopServices() does.
    tiny.supervisor.cancel(tiny.service);
    await tiny.service.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(tiny.supervisor.serviceEvents().map((e) => e.kind)).toEqual(['exited']);
    expect(tiny.service.running).toBe(false);
    expect(isAlive(first)).toBe(false);
    expect(await portInUse(tiny.port)).toBe(false);
  });

  it('a process the lab started stops by itself when the lab is killed with SIGKILL', async () => {
    const port = await freePort();
    const lab = spawn(process.execPath, ['-r', '@swc-node/register', 'libs/stack/test/support/orphaning-parent.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, TINY_PORT: String(port), SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    lab.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => /child \d+/.test(output), 30_000);
    const child = Number(/child (\d+)/.exec(output)?.[1]);
    expect(isAlive(child)).toBe(true);
    lab.kill('SIGKILL');
    await eventually(() => !isAlive(child), 5_000);
    expect(await portInUse(port)).toBe(false);
  });
});
