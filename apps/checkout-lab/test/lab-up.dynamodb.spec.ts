import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isAlive } from '@checkout-lab/embedded';
import type { StackProcesses } from '@checkout-lab/stack';
import { checkoutOnce, labPorts, labRoot, spawnLab } from './support/lab-cli';

describe('checkout-lab up with BILLING_STORE=dynamodb', () => {
  it('starts dynalite, migrates the seed into it, serves a paid checkout from DynamoDB, and stops everything', async () => {
    const dataDir = path.join(labRoot('checkout-lab-up-dynamo-'), 'lab');
    const ports = await labPorts();
    const lab = spawnLab(['up'], {
      ...ports,
      LAB_DATA_DIR: dataDir,
      LAB_SEED_USERS: '300',
      LAB_SEED_ADDRESSES_PER_USER: '2',
      BILLING_STORE: 'dynamodb',
    });
    try {
      await lab.waitFor(/^ready$/m, 150_000);
      expect(lab.output()).toMatch(/copying addresses to DynamoDB: 600 addresses in/);
      expect(lab.output()).toMatch(/verifying: 600 addresses compared .*: identical/);

      const paid = await checkoutOnce(`http://127.0.0.1:${ports.CART_HTTP_PORT}`, 'lab-up-dynamo-test');
      expect(paid.status).toBe(200);
      expect(await paid.json()).toMatchObject({ status: 'paid' });

      // The address came from DynamoDB: billing-address runs the dynamodb store.
      const billingLog = readFileSync(path.join(dataDir, 'logs', 'billing-address.log'), 'utf8');
      expect(billingLog).toMatch(/"msg":"billing-address listening"/);
      expect(billingLog).toMatch(/"store":"dynamodb"/);
    } finally {
      lab.child.kill('SIGTERM');
    }
    expect(await lab.exited).toBe(0);
    const processes = JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackProcesses;
    expect(processes.dynamodb).toEqual(expect.any(Number));
    const pids = [...Object.values(processes.services), ...processes.postgres, processes.dynamodb].filter(
      (p): p is number => typeof p === 'number',
    );
    expect(pids.length).toBe(8); // stripe double, 3 services, the trace receiver, 2 PostgreSQL servers, dynalite
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
