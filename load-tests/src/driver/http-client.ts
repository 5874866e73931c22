import { setTimeout as pause } from 'node:timers/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { FlowRequestParams, FlowResponse, LoadClient } from '../flow';
import type { MetricRegistry, Tags } from './metrics';

/** Keep-alive agents sized to the scenario's VUs, one pair per run. */
export class Agents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  constructor(maxSockets: number) {
    this.http = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    this.https = new https.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }
  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

export interface ClientHooks {
  onCheck(name: string, ok: boolean): void;
  onRequestError(): void;
}

/**
 * The driver's adapter for the flow's LoadClient: node:http with a keep-alive agent. Each request
 * records k6's HTTP metrics with k6's definitions (ms): http_req_blocked, http_req_connecting,
 * http_req_tls_handshaking, http_req_sending, http_req_waiting, http_req_receiving and
 * http_req_duration = sending + waiting + receiving (not the time spent waiting for or opening a
 * connection); http_reqs, http_req_failed (status 0 or ≥ 400), data_sent/data_received.
 */
export class NodeLoadClient implements LoadClient {
  constructor(
    private readonly agents: Agents,
    private readonly registry: MetricRegistry,
    private readonly baseTags: Tags,
    private readonly signal: AbortSignal,
    private readonly hooks: ClientHooks,
  ) {}

  post(url: string, body: string, params: FlowRequestParams): Promise<FlowResponse> {
    return this.request('POST', url, body, params);
  }

  get(url: string, params: FlowRequestParams): Promise<FlowResponse> {
    return this.request('GET', url, undefined, params);
  }

  /** An abortable pause: a stopped run does not wait for it. */
  async sleep(seconds: number): Promise<void> {
    if (seconds > 0) await pause(seconds * 1000, undefined, { signal: this.signal }).catch(() => undefined);
  }

  check<T>(value: T, checks: Record<string, (value: T) => boolean>, tags?: Record<string, string>): boolean {
    let all = true;
    for (const [name, predicate] of Object.entries(checks)) {
      let ok: boolean;
      try {
        ok = predicate(value) === true;
      } catch {
        ok = false;
      }
      all &&= ok;
      this.registry.add('checks', ok ? 1 : 0, { ...this.baseTags, ...tags, check: name });
      this.hooks.onCheck(name, ok);
    }
    return all;
  }

  private request(method: string, url: string, body: string | undefined, params: FlowRequestParams): Promise<FlowResponse> {
    return new Promise<FlowResponse>((resolve, reject) => {
      if (this.signal.aborted) {
        reject(new IterationInterrupted());
        return;
      }
      const target = new URL(url);
      const isHttps = target.protocol === 'https:';
      const headers: Record<string, string | number> = { ...params.headers };
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
      const tags: Tags = { ...this.baseTags, ...params.tags, method };
      const timing = new RequestTiming();
      let settled = false;
      const finish = (status: number, text: string, received: number): void => {
        if (settled) return;
        settled = true;
        const phases = timing.phases(performance.now());
        const failed = status === 0 || status >= 400;
        const sampleTags: Tags = { ...tags, status: String(status), expected_response: String(!failed) };
        this.registry.add('http_reqs', 1, sampleTags);
        this.registry.add('http_req_blocked', phases.blocked, sampleTags);
        this.registry.add('http_req_connecting', phases.connecting, sampleTags);
        this.registry.add('http_req_tls_handshaking', phases.tlsHandshaking, sampleTags);
        this.registry.add('http_req_sending', phases.sending, sampleTags);
        this.registry.add('http_req_waiting', phases.waiting, sampleTags);
        this.registry.add('http_req_receiving', phases.receiving, sampleTags);
        this.registry.add('http_req_duration', phases.duration, sampleTags);
        this.registry.add('http_req_failed', failed ? 1 : 0, sampleTags);
        this.registry.add('data_sent', estimateSent(method, target, headers, body), sampleTags);
        this.registry.add('data_received', received, sampleTags);
        if (failed) this.hooks.onRequestError();
        resolve({ status, body: text });
      };
      const req = (isHttps ? https : http).request(target, { method, headers, agent: isHttps ? this.agents.https : this.agents.http });
      timing.watch(req);
      const onAbort = (): void => {
        req.destroy();
        if (!settled) {
          settled = true;
          reject(new IterationInterrupted());
        }
      };
      this.signal.addEventListener('abort', onAbort, { once: true });
      req.on('response', (res) => {
        timing.firstByte = performance.now();
        const chunks: Buffer[] = [];
        let received = 0;
        for (let i = 0; i < res.rawHeaders.length; i++) received += (res.rawHeaders[i]?.length ?? 0) + 2;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
        });
        res.on('end', () => {
          this.signal.removeEventListener('abort', onAbort);
          finish(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), received);
        });
        res.on('error', () => {
          this.signal.removeEventListener('abort', onAbort);
          finish(0, '', received);
        });
      });
      req.on('error', () => {
        this.signal.removeEventListener('abort', onAbort);
        finish(0, '', 0);
      });
      req.end(body);
    });
  }
}

/** One request's phases in ms, as k6 reports them. */
export interface RequestPhases {
  blocked: number;
  connecting: number;
  tlsHandshaking: number;
  sending: number;
  waiting: number;
  receiving: number;
  /** sending + waiting + receiving (k6's http_req_duration) */
  duration: number;
}

/**
 * The moments of one request on the monotonic clock, from node:http's events, turned into k6's
 * phases the way k6's tracer (Go's httptrace) does:
 *   start → connect start   blocked: waiting for a free socket of the agent, and the DNS lookup of
 *                           a new connection ('socket', then 'lookup' when the host is a name)
 *   connect start → 'connect'               connecting (0 on a reused keep-alive socket)
 *   'connect' → 'secureConnect'             tls_handshaking (0 for http and for a reused socket)
 *   connection ready → request 'finish'     sending (the request flushed to the socket)
 *   'finish' → 'response'                   waiting (time to first byte: the headers arrived)
 *   'response' → response 'end'             receiving
 * k6's own tracer counts a new connection's DNS, connect and TLS into http_req_blocked too; here
 * blocked stops where the TCP connect starts, so the two are not counted twice.
 */
export class RequestTiming {
  readonly start = performance.now();
  socket?: number;
  connectStart?: number;
  connectEnd?: number;
  tlsStart?: number;
  tlsEnd?: number;
  wrote?: number;
  firstByte?: number;

  watch(req: http.ClientRequest): void {
    req.once('socket', (socket) => {
      this.socket = performance.now();
      if (!socket.connecting) return; // a reused keep-alive socket: connected already
      this.connectStart = this.socket;
      socket.once('lookup', () => {
        this.connectStart = performance.now();
      });
      socket.once('connect', () => {
        this.connectEnd = performance.now();
        if ('encrypted' in socket) this.tlsStart = this.connectEnd;
      });
      socket.once('secureConnect', () => {
        this.tlsEnd = performance.now();
      });
    });
    req.once('finish', () => {
      this.wrote = performance.now();
    });
  }

  phases(end: number): RequestPhases {
    const span = (from: number | undefined, to: number | undefined): number => (from === undefined || to === undefined ? 0 : Math.max(0, to - from));
    const blocked = span(this.start, this.connectStart ?? this.socket ?? end);
    const connecting = span(this.connectStart, this.connectEnd);
    const tlsHandshaking = span(this.tlsStart, this.tlsEnd);
    // Sending starts when the connection is ready: after TLS, after connect, or at once on a reused socket.
    const ready = this.tlsEnd ?? this.connectEnd ?? this.socket;
    let sending = 0;
    let waiting = 0;
    if (this.wrote !== undefined) {
      sending = span(ready, this.wrote);
      // The server may answer before the request is fully sent: no waiting then (as k6).
      waiting = this.firstByte === undefined ? span(this.wrote, end) : span(this.wrote, this.firstByte);
    }
    const receiving = span(this.firstByte, end);
    return { blocked, connecting, tlsHandshaking, sending, waiting, receiving, duration: sending + waiting + receiving };
  }
}

/** Thrown into a flow whose iteration was cut off by gracefulStop or an abort. */
export class IterationInterrupted extends Error {
  constructor() {
    super('iteration interrupted');
    this.name = 'IterationInterrupted';
  }
}

function estimateSent(method: string, url: URL, headers: Record<string, string | number>, body: string | undefined): number {
  let bytes = method.length + url.pathname.length + url.search.length + 12 + url.host.length + 8;
  for (const [k, v] of Object.entries(headers)) bytes += k.length + String(v).length + 4;
  return bytes + (body === undefined ? 0 : Buffer.byteLength(body));
}
