import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isAlive } from '@checkout-lab/embedded';
import type { StackProcesses } from '../src/stack/stack';
import { checkoutOnce, labPorts, labRoot, spawnLab } from './support/lab-cli';

describe('checkout-lab up', () => {
  it('starts the stack, serves a checkout, and stops cleanly leaving no process behind', async () => {
    const dataDir = path.join(labRoot('checkout-lab-up-'), 'lab');
    const ports = await labPorts();
    const lab = spawnLab(['up'], { ...ports, LAB_DATA_DIR: dataDir, LAB_SEED_USERS: '300', LAB_SEED_ADDRESSES_PER_USER: '2' });
    try {
      await lab.waitFor(/^ready$/m, 100_000);
      expect(lab.output()).toContain(`http://127.0.0.1:${ports.CART_HTTP_PORT}`);
      const paid = await checkoutOnce(`http://127.0.0.1:${ports.CART_HTTP_PORT}`, 'lab-up-test');
      expect(paid.status).toBe(200);
      expect(await paid.json()).toMatchObject({ status: 'paid' });
    } finally {
      lab.child.kill('SIGTERM');
    }
    expect(await lab.exited).toBe(0);
    const processes = JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackProcesses;
    const pids = [...Object.values(processes.services), ...processes.postgres].filter((p): p is number => typeof p === 'number');
    expect(pids.length).toBe(7); // stripe double, 3 services, the trace receiver, 2 PostgreSQL servers
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
