import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import type { OtlpTraceRequest } from '../reader/otlp-json';
import { decodeTraceRequest, encodeStatus, encodeTraceResponse } from './otlp-decode';
import { SpanStore } from './span-store';
import { BatchSpool } from './spool';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface TraceReceiverOptions {
  /** Where runs' span files go: `<dir>/<run id>/spans/traces.json`. */
  dir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Largest request body accepted (decompressed), bytes. */
  maxBodyBytes?: number;
  /**
   * Defer decoding protobuf batches: each is appended raw to a spool (`<dir>/.spool`) and decoded
   * into the run files once no batch has arrived for `settleIdleMs`, or on flush() /
   * `POST /lab/flush`. Off by default; the lab's receiver process turns it on, so that decoding
   * never competes for the CPU with the load it records.
   */
  deferDecoding?: boolean;
  /** With deferDecoding: how long the receiver waits without a batch before decoding (ms, default 1000). */
  settleIdleMs?: number;
  /** Where decoding problems are reported (default stderr). */
  warn?: (line: string) => void;
}

export interface TraceReceiver {
  /** The base URL to put in OTEL_EXPORTER_OTLP_ENDPOINT (http://host:port). */
  endpoint: string;
  port: number;
  dir: string;
  /** Spans stored per run id since start. */
  spanCounts(): Record<string, number>;
  /** Resolves once every accepted batch is decoded (when deferred) and written. */
  flush(): Promise<void>;
  /** Stops accepting, finishes writes, fsyncs and closes the files. Safe to call twice. */
  stop(): Promise<void>;
}

type Encoding = 'protobuf' | 'json';

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An OTLP/HTTP trace receiver (POST /v1/traces; application/x-protobuf or application/json,
 * optionally gzip-encoded) that stores every span, grouped by `lab.run_id`, as OTLP/JSON lines.
 * Answers per the OTLP spec: 200 with an ExportTraceServiceResponse once the spans are written
 * (with deferDecoding: once the batch is in the spool), 400 for a body it cannot decode, 415 for
 * another content type. `POST /lab/flush` decodes what is spooled and answers the span counts.
 */
export async function startTraceReceiver(options: TraceReceiverOptions): Promise<TraceReceiver> {
  const { dir, host = '127.0.0.1', port = 4318, maxBodyBytes = 64 * 1024 * 1024, deferDecoding = false, settleIdleMs = 1000 } = options;
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store = new SpanStore(dir);
  const sockets = new Set<import('node:net').Socket>();

  // Deferred decoding: batches wait in the spool until the receiver has been idle for settleIdleMs.
  const spool = deferDecoding ? new BatchSpool(path.join(dir, '.spool')) : undefined;
  let lastBatchAt = 0;
  const settle = async (): Promise<void> => {
    if (!spool) return;
    await spool.drain(
      async (body) => void (await store.append(decodeTraceRequest(body))),
      (error) => warn(`trace receiver: a spooled batch could not be decoded and was skipped: ${error instanceof Error ? error.message : String(error)}`),
    );
    await store.flush();
  };
  const idleTimer = spool
    ? setInterval(() => {
        if (spool.size > 0 && Date.now() - lastBatchAt >= settleIdleMs) {
          settle().catch((error: unknown) => warn(`trace receiver: decoding the spool failed: ${error instanceof Error ? error.message : String(error)}`));
        }
      }, Math.max(50, Math.min(250, settleIdleMs))).unref()
    : undefined;
  if (spool) await settle(); // what a receiver that was killed left behind

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = (request.url ?? '').split('?')[0];
    if (url === '/lab/flush' && request.method === 'POST') {
      await settle();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ spans: store.spanCounts() }));
      return;
    }
    if (url !== '/v1/traces') return reply(response, 404, 'json', 'not found: this receiver serves POST /v1/traces');
    if (request.method !== 'POST') return reply(response, 405, 'json', 'use POST');
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    const encoding: Encoding | undefined =
      contentType === 'application/x-protobuf' ? 'protobuf' : contentType === 'application/json' ? 'json' : undefined;
    if (!encoding) return reply(response, 415, 'json', `unsupported content type ${JSON.stringify(contentType ?? '')}`);
    try {
      const body = await readBody(request, maxBodyBytes);
      const decoded = await decompress(body, String(request.headers['content-encoding'] ?? 'identity'));
      if (decoded.length > maxBodyBytes) throw new BadRequest(413, 'request body too large');
      if (spool && encoding === 'protobuf') {
        if (!isProtobufMessage(decoded)) throw new BadRequest(400, 'not a protobuf ExportTraceServiceRequest: malformed wire format');
        lastBatchAt = Date.now();
        await spool.append(decoded);
      } else {
        await store.append(decode(decoded, encoding));
      }
      response.writeHead(200, { 'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json' });
      response.end(encoding === 'protobuf' ? encodeTraceResponse() : '{}');
    } catch (error) {
      if (error instanceof BadRequest) return reply(response, error.status, encoding, error.message);
      return reply(response, 500, encoding, 'could not store the spans');
    }
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    port: boundPort,
    dir,
    spanCounts: () => store.spanCounts(),
    flush: async () => {
      await settle();
      await store.flush();
    },
    stop: () => {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Keep-alive sockets with no request in flight would hold close() open.
        server.closeIdleConnections();
        await closed;
        if (idleTimer) clearInterval(idleTimer);
        await settle();
        await spool?.close();
        await store.close();
      })();
      return stopping;
    },
  };
}

/**
 * A cheap check that a body is protobuf wire format (every top-level field a valid tag whose value
 * fits in the body), so garbage is refused with 400 at once although decoding happens later.
 */
export function isProtobufMessage(body: Buffer): boolean {
  let at = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= body.length) return undefined;
      const byte = body[at++] as number;
      if (shift < 28) value |= (byte & 0x7f) << shift;
      else value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (at < body.length) {
    const tag = varint();
    if (tag === undefined || tag >>> 3 === 0) return false;
    switch (tag & 7) {
      case 0:
        if (varint() === undefined) return false;
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = varint();
        if (length === undefined) return false;
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        return false;
    }
    if (at > body.length) return false;
  }
  return true;
}

function decode(body: Buffer, encoding: Encoding): OtlpTraceRequest {
  switch (encoding) {
    case 'protobuf':
      try {
        return decodeTraceRequest(body);
      } catch (error) {
        throw new BadRequest(400, `not a protobuf ExportTraceServiceRequest: ${error instanceof Error ? error.message : String(error)}`);
      }
    case 'json': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new BadRequest(400, 'body is not JSON');
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadRequest(400, 'body is not an ExportTraceServiceRequest');
      const request = parsed as OtlpTraceRequest;
      if (request.resourceSpans !== undefined && !Array.isArray(request.resourceSpans)) {
        throw new BadRequest(400, 'resourceSpans must be an array');
      }
      return request;
    }
  }
}

async function decompress(body: Buffer, contentEncoding: string): Promise<Buffer> {
  switch (contentEncoding.toLowerCase()) {
    case 'identity':
    case '':
      return body;
    case 'gzip':
      return gunzipAsync(body).catch(() => {
        throw new BadRequest(400, 'body is not valid gzip');
      });
    case 'deflate':
      return inflateAsync(body).catch(() => {
        throw new BadRequest(400, 'body is not valid deflate');
      });
    default:
      throw new BadRequest(415, `unsupported content encoding ${JSON.stringify(contentEncoding)}`);
  }
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BadRequest(413, 'request body too large'));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

/** An error (or other) answer: google.rpc.Status in the request's encoding. */
function reply(response: ServerResponse, status: number, encoding: Encoding, message: string): void {
  const grpcCode = status === 400 || status === 413 ? 3 : status === 415 ? 3 : status === 404 ? 5 : 13;
  if (encoding === 'protobuf') {
    response.writeHead(status, { 'content-type': 'application/x-protobuf' }).end(encodeStatus(grpcCode, message));
  } else {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: grpcCode, message }));
  }
}
