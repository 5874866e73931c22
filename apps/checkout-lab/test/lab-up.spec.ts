import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isAlive, portInUse } from '@checkout-lab/embedded';
import type { StackProcesses } from '@checkout-lab/stack';
import { checkoutOnce, labPorts, labRoot, spawnLab } from './support/lab-cli';

const readProcesses = (dataDir: string) => JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackProcesses;
const pidsIn = (processes: StackProcesses) =>
  [...Object.values(processes.services), ...processes.postgres].filter((p): p is number => typeof p === 'number');

describe('checkout-lab up', () => {
  it('starts the stack, serves a checkout, restarts a killed service, and stops cleanly leaving no process behind', async () => {
    const dataDir = path.join(labRoot('checkout-lab-up-'), 'lab');
    const ports = await labPorts();
    let started: StackProcesses = { lab: 0, services: {}, postgres: [] };
    let restartedPayment = 0;
    let viewerPid = 0;
    const lab = spawnLab(['up'], { ...ports, LAB_DATA_DIR: dataDir, LAB_SEED_USERS: '300', LAB_SEED_ADDRESSES_PER_USER: '2' });
    try {
      await lab.waitFor(/^ready$/m, 100_000);
      expect(lab.output()).toContain(`http://127.0.0.1:${ports.CART_HTTP_PORT}`);
      const paid = await checkoutOnce(`http://127.0.0.1:${ports.CART_HTTP_PORT}`, 'lab-up-test');
      expect(paid.status).toBe(200);
      expect(await paid.json()).toMatchObject({ status: 'paid' });
      started = readProcesses(dataDir);

      // The trace viewer beside the stack lists the checkout's trace as paid: it has the receiver decode what it spooled first.
      const viewer = `http://127.0.0.1:${ports.LAB_TRACE_VIEWER_PORT}`;
      expect(lab.output()).toContain(`trace viewer         ${viewer}`);
      let listed = 0;
      for (let attempt = 0; attempt < 20 && listed === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 500)); // the services export every 500 ms
        listed = ((await (await fetch(`${viewer}/api/traces?outcome=paid`)).json()) as { total: number }).total;
      }
      expect(listed).toBe(1);
      viewerPid = ((await (await fetch(`${viewer}/api/health`)).json()) as { pid: number }).pid;

      // Supervision: payment killed from outside is reported at once, restarted, and serves again.
      const killed = started.services['payment'] as number;
      process.kill(killed, 'SIGKILL');
      await lab.waitFor(new RegExp(`payment \\(pid ${killed}\\) exited unexpectedly with signal SIGKILL`), 10_000);
      await lab.waitFor(/payment restarted \(pid \d+\) and ready/, 60_000);
      restartedPayment = Number(/payment restarted \(pid (\d+)\)/.exec(lab.output())?.[1]);
      expect(restartedPayment).not.toBe(killed);
      expect(readProcesses(dataDir).services['payment']).toBe(restartedPayment);
      const again = await checkoutOnce(`http://127.0.0.1:${ports.CART_HTTP_PORT}`, 'lab-up-test-after-restart');
      expect(await again.json()).toMatchObject({ status: 'paid' });

      // Stopped while cart's restart is pending (its backoff is 1 s): nothing is started again.
      process.kill(started.services['cart'] as number, 'SIGKILL');
      await lab.waitFor(/restarting cart in 1 s/, 10_000);
      expect(readProcesses(dataDir).services['cart']).toBeUndefined(); // a dead pid is dropped
    } finally {
      lab.child.kill('SIGTERM');
    }
    expect(await lab.exited).toBe(0);
    expect(lab.output()).not.toMatch(/cart restarted/);
    expect(pidsIn(started).length).toBe(7); // stripe double, 3 services, the trace receiver, 2 PostgreSQL servers
    const pids = [...pidsIn(started), ...pidsIn(readProcesses(dataDir)), restartedPayment, viewerPid];
    expect(pids.filter(isAlive)).toEqual([]);
    expect(await portInUse(Number(ports.CART_HTTP_PORT))).toBe(false);
  }, 180_000);
});
