import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { runScenario, summaryExport, textSummary, thresholdsPassed, type Flow, type LoadSummary } from '../src';

// What each of k6's HTTP timing metrics measures, against servers that delay one phase on purpose.
// Bounds are generous: this checks which phase a delay lands in, not how fast anything is.

function stat(summary: LoadSummary, key: string, name: string): number {
  const value = summary.metrics[key]?.values[name];
  if (value === undefined) throw new Error(`${key} ${name} missing from the summary (has: ${Object.keys(summary.metrics).join(', ')})`);
  return value;
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function post(name: string): Flow {
  return async (client, input) => {
    const res = await client.post(`${input.baseUrl}/${name}`, '{}', { headers: { 'content-type': 'application/json' }, tags: { name } });
    client.check(res, { [`${name} status 200`]: (r) => r.status === 200 });
  };
}

const shared = (iterations: number, thresholds: Record<string, string[]> = {}): unknown => ({
  scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations, maxDuration: '30s' } },
  thresholds,
});

describe('k6 HTTP timing metrics', () => {
  it('http_req_waiting is the time to first byte: a server that thinks 200 ms before answering', async () => {
    const { server, url } = await listen((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), 200));
    });
    try {
      const summary = await runScenario(shared(3, { 'http_req_waiting{name:think}': ['p(95)>150'], http_req_waiting: ['p(95)<100'] }), { baseUrl: url, flow: post('think') });
      expect(stat(summary, 'http_req_waiting', 'min')).toBeGreaterThanOrEqual(190);
      expect(stat(summary, 'http_req_waiting', 'max')).toBeLessThan(1000);
      expect(stat(summary, 'http_req_sending', 'max')).toBeLessThan(50);
      expect(stat(summary, 'http_req_receiving', 'max')).toBeLessThan(50);
      expect(stat(summary, 'http_req_tls_handshaking', 'max')).toBe(0); // plain http
      // duration = sending + waiting + receiving, so it is the wait plus a little
      expect(stat(summary, 'http_req_duration', 'min')).toBeGreaterThanOrEqual(stat(summary, 'http_req_waiting', 'min'));
      expect(stat(summary, 'http_req_duration', 'max')).toBeLessThan(stat(summary, 'http_req_waiting', 'max') + 100);
      // thresholds on the new metrics, with and without tags, are evaluated
      expect(summary.metrics['http_req_waiting{name:think}']?.thresholds).toEqual({ 'p(95)>150': { ok: true } });
      expect(summary.metrics['http_req_waiting']?.thresholds).toEqual({ 'p(95)<100': { ok: false } });
      expect(thresholdsPassed(summary)).toBe(false);
      // and reach the text summary and k6's summary export
      expect(textSummary(summary)).toMatch(/ {4}http_req_waiting\{name:think\}\n {4}✓ 'p\(95\)>150' p\(95\)=\d+\.\d\dm?s\n/);
      expect(textSummary(summary)).toMatch(/ {4}✗ 'p\(95\)<100' p\(95\)=/);
      expect(textSummary(summary)).toMatch(/http_req_waiting\.+: avg=\d+\.\d\dm?s/);
      const exported = JSON.parse(summaryExport(summary)) as { metrics: Record<string, Record<string, unknown>> };
      expect(exported.metrics['http_req_waiting']).toMatchObject({ thresholds: { 'p(95)<100': true } }); // k6's legacy export: true = failed
      expect(exported.metrics['http_req_waiting']?.['p(95)']).toBeGreaterThanOrEqual(190);
    } finally {
      server.close();
    }
  });

  it('http_req_receiving runs from the first byte to the last: headers at once, the body 200 ms later', async () => {
    const { server, url } = await listen((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        res.write('{"ok":');
        setTimeout(() => res.end('true}'), 200);
      });
    });
    try {
      const summary = await runScenario(shared(3), { baseUrl: url, flow: post('slow_body') });
      expect(stat(summary, 'http_req_receiving', 'min')).toBeGreaterThanOrEqual(180);
      expect(stat(summary, 'http_req_waiting', 'max')).toBeLessThan(100);
      expect(stat(summary, 'checks', 'rate')).toBe(1);
    } finally {
      server.close();
    }
  });

  it('http_req_blocked is the wait for a free socket, and http_req_duration leaves it out', async () => {
    // One VU, so the agent has one socket; the flow sends two requests at once: the second waits
    // for the first one's socket (300 ms), then takes its own 300 ms.
    const { server, url } = await listen((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(200).end('{}'), 300));
    });
    const both: Flow = async (client, input) => {
      await Promise.all(['first', 'second'].map((name) => client.post(`${input.baseUrl}/${name}`, '{}', { headers: {}, tags: { name } })));
    };
    try {
      const summary = await runScenario(shared(2, { 'http_req_blocked{name:second}': ['p(95)>250'], 'http_req_connecting{name:second}': ['max==0'] }), { baseUrl: url, flow: both });
      expect(stat(summary, 'http_req_blocked{name:second}', 'min')).toBeGreaterThanOrEqual(280);
      expect(stat(summary, 'http_req_blocked', 'min')).toBeLessThan(50); // the first request had a socket at once
      expect(stat(summary, 'http_req_duration{name:second}', 'max')).toBeLessThan(500); // ≈ 300, not 600
      expect(stat(summary, 'http_req_duration{name:second}', 'min')).toBeGreaterThanOrEqual(290);
      expect(stat(summary, 'iteration_duration', 'min')).toBeGreaterThanOrEqual(580);
      expect(thresholdsPassed(summary)).toBe(true); // the second request reused the socket: connecting 0, as k6 reports
    } finally {
      server.close();
    }
  });

  it('http_req_connecting is the TCP connect: a server whose accept queue is full answers the SYN late', async () => {
    // The server runs in a worker whose event loop we freeze, so it accepts nothing; its listen
    // backlog is 1, and filler connections fill the kernel's accept queue. The driver's SYN is
    // then dropped and retried by the kernel (after ~1 s), when the server is accepting again.
    const worker = new Worker(
      `
      const { parentPort } = require('node:worker_threads');
      const http = require('node:http');
      const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end('{}')); });
      server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => parentPort.postMessage({ port: server.address().port }));
      parentPort.on('message', (ms) => {
        parentPort.postMessage({ holding: ms });
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      });
      `,
      { eval: true },
    );
    const fillers: net.Socket[] = [];
    try {
      const [{ port }] = (await once(worker, 'message')) as [{ port: number }];
      worker.postMessage(1000);
      await once(worker, 'message');
      for (let i = 0; i < 16; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        fillers.push(socket);
        const connected = await Promise.race([once(socket, 'connect').then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 150))]);
        if (!connected) break; // the accept queue is full
      }
      const summary = await runScenario(shared(1), { baseUrl: `http://127.0.0.1:${port}`, flow: post('connect') });
      expect(stat(summary, 'checks', 'rate')).toBe(1);
      expect(stat(summary, 'http_req_connecting', 'max')).toBeGreaterThanOrEqual(500);
      expect(stat(summary, 'http_req_blocked', 'max')).toBeLessThan(100);
      expect(stat(summary, 'http_req_duration', 'max')).toBeLessThan(300); // the connect is not in it
      expect(stat(summary, 'iteration_duration', 'max')).toBeGreaterThanOrEqual(500); // but the user waited for it
    } finally {
      for (const socket of fillers) socket.destroy();
      await worker.terminate();
    }
  });
});
