import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFaultProxy, type FaultProxy } from './proxy';

describe('fault proxy', () => {
  let target: Server;
  let proxy: FaultProxy;

  beforeAll(async () => {
    target = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url }));
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    proxy = await startFaultProxy({ host: '127.0.0.1', port: (target.address() as AddressInfo).port });
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => target.close(resolve));
  });

  it('passes requests through untouched, then resets connections, answers 500, and passes again', async () => {
    const first = await fetch(`${proxy.url}/v1/ping`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ path: '/v1/ping' });

    proxy.setMode('drop');
    await expect(fetch(`${proxy.url}/v1/ping`)).rejects.toThrow();

    proxy.setMode('http-500');
    const failed = await fetch(`${proxy.url}/v1/payment_intents`, { method: 'POST', body: 'amount=100' });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: { type: 'api_error' } });

    proxy.setMode('pass');
    const again = await fetch(`${proxy.url}/v1/again`);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ path: '/v1/again' });
    expect(proxy.counts.faulted).toBeGreaterThanOrEqual(2);
  });

  it('runs an action when the answer to a matching request comes back, and the client never reads that answer', async () => {
    let fired = 0;
    const trapped = proxy.onNextResponse(/^POST \/v1\/payment_intents /, () => fired++);
    // A request that does not match passes untouched.
    expect((await fetch(`${proxy.url}/v1/other`)).status).toBe(200);
    expect(fired).toBe(0);
    await expect(fetch(`${proxy.url}/v1/payment_intents`, { method: 'POST', body: 'amount=100' })).rejects.toThrow();
    await trapped;
    expect(fired).toBe(1);
    // Once only: the next one passes.
    expect((await fetch(`${proxy.url}/v1/payment_intents`, { method: 'POST', body: 'amount=100' })).status).toBe(200);
    expect(fired).toBe(1);
  });

  it('cuts a connection that was open before the fault started', async () => {
    const { request } = await import('node:http');
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${proxy.url}/kept`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get()).toBe(200); // the socket stays open in the agent
    proxy.setMode('drop');
    await expect(get()).rejects.toThrow();
    proxy.setMode('pass');
    expect(await get()).toBe(200);
    agent.destroy();
  });
});
