import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import * as path from 'node:path';
import { SORT_KEYS, TraceIndex, type SortKey, type TraceQuery } from './trace-index';

/**
 * The trace viewer: one page (static/index.html, plain JS and CSS, nothing from the network) and
 * a JSON API over a TraceIndex, on 127.0.0.1 only.
 *
 *   GET /api/traces?run=&variant=&service=&outcome=&q=&minMs=&maxMs=&sort=start|duration|checkout|spans&order=desc|asc&limit=100&offset=0
 *   GET /api/traces/<trace id>[?run=<run id>]   one trace: its spans, attributes, events and critical path
 *   GET /api/health                             {"status":"ok","pid":…}
 *   GET /, GET /trace/<trace id>               the page (the report's exemplar links are /trace/<id>)
 *
 * Errors are `{"error":{"code","message"}}` with a 4xx status for a bad request (an unknown
 * parameter, a bad value, an id that is not 32 hex digits) and never a stack trace.
 */

export interface TraceViewerOptions {
  /** Experiment, run or span-file directories (see TraceIndex). */
  dirs: readonly string[];
  /** 0 picks a free port. */
  port: number;
  /** The directories fill while the viewer runs (`up`, `experiment`): missing or empty is not an error. */
  live?: boolean;
  /** The embedded trace receiver (http://host:port): asked to decode its spooled batches (POST /lab/flush) before the viewer looks for new spans. */
  receiverUrl?: string;
  /** Base URL of a Jaeger UI: each trace also links to `<url>/trace/<id>`. */
  jaegerUrl?: string;
  /** Told about each run read (see TraceIndexOptions.onProgress). */
  onProgress?: (line: string) => void;
}

export interface TraceViewer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  index: TraceIndex;
  /** Stops accepting and closes every connection. Safe to call twice. */
  stop(): Promise<void>;
}

/** The viewer's own process (main.ts), which the lab starts for `up` and `experiment`: the path from the repository root. */
export const TRACE_VIEWER_ENTRY = 'libs/report/src/viewer/main.ts';

const HOST = '127.0.0.1';
const TRACE_ID = /^[0-9a-fA-F]{32}$/;
const MAX_LIMIT = 1000;
const STATIC_DIR = path.join(__dirname, 'static');
const STATIC: Record<string, { file: string; type: string }> = {
  '/static/viewer.js': { file: 'viewer.js', type: 'text/javascript; charset=utf-8' },
  '/static/viewer.css': { file: 'viewer.css', type: 'text/css; charset=utf-8' },
};
/** The page runs only its own script and style, talks only to this server, and cannot be framed. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** A request the API refuses: its status, code and message. */
class BadRequest extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts the viewer. Over finished runs (not `live`) it finds and reads them first, so a bad
 * directory fails at once (ViewerInputError) and the first page is quick; a live viewer reads only
 * when a page asks. Rejects with the listen error (code EADDRINUSE) when the port is taken.
 */
export async function startTraceViewer(options: TraceViewerOptions): Promise<TraceViewer> {
  const receiverUrl = options.receiverUrl?.replace(/\/+$/, '');
  const jaegerUrl = options.jaegerUrl?.replace(/\/+$/, '') ?? null;
  const index = new TraceIndex({
    dirs: options.dirs,
    live: options.live ?? false,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    // While batches arrive the receiver only spools them; what it has not decoded is not in the files yet.
    ...(receiverUrl ? { beforeRefresh: () => askReceiverToDecode(receiverUrl) } : {}),
  });
  if (!options.live) await index.refresh();
  const page = readFileSync(path.join(STATIC_DIR, 'index.html'));
  const assets = Object.fromEntries(Object.entries(STATIC).map(([route, { file, type }]) => [route, { body: readFileSync(path.join(STATIC_DIR, file)), type }]));
  const served = { dirs: options.dirs.map((d) => path.resolve(d)), live: options.live ?? false, jaegerUrl };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://viewer.invalid');
    if (!isLocalHost(request.headers.host)) throw new BadRequest(403, 'forbidden_host', 'this viewer answers only requests addressed to 127.0.0.1 or localhost');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      throw new BadRequest(405, 'method_not_allowed', `${request.method ?? ''} is not allowed: use GET`);
    }
    const route = url.pathname;
    // The pid tells the lab that the viewer answering is the one it started.
    if (route === '/api/health') return sendJson(request, response, 200, { status: 'ok', pid: process.pid });
    if (route === '/api/traces') {
      const query = parseQuery(url.searchParams);
      await index.refresh();
      return sendJson(request, response, 200, { ...index.list(query), served });
    }
    if (route.startsWith('/api/traces/')) {
      const traceId = traceIdFrom(route.slice('/api/traces/'.length));
      const unknown = [...url.searchParams.keys()].find((name) => name !== 'run');
      if (unknown !== undefined) throw new BadRequest(400, 'invalid_query', `unknown query parameter "${clip(unknown)}" (known: run)`);
      const run = single(url.searchParams, 'run');
      await index.refresh();
      const trace = await index.trace(traceId, run);
      if (!trace) throw new BadRequest(404, 'trace_not_found', `no trace ${traceId}${run ? ` in run ${run}` : ''} among the runs this viewer serves`);
      return sendJson(request, response, 200, { ...trace, jaegerUrl: jaegerUrl ? `${jaegerUrl}/trace/${traceId}` : null });
    }
    if (route.startsWith('/api/')) throw new BadRequest(404, 'not_found', `no such API: ${route}`);
    if (route === '/' || /^\/trace\/[^/]*$/.test(route)) return send(request, response, 200, 'text/html; charset=utf-8', page);
    const asset = assets[route];
    if (asset) return send(request, response, 200, asset.type, asset.body);
    if (route === '/favicon.ico') return send(request, response, 204, 'text/plain', Buffer.alloc(0));
    throw new BadRequest(404, 'not_found', `nothing at ${route}`);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy();
      if (error instanceof BadRequest) return sendJson(request, response, error.status, { error: { code: error.code, message: error.message } });
      // Never a stack trace: one line saying what could not be read.
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      sendJson(request, response, 500, { error: { code: 'internal_error', message: `the viewer could not read the traces: ${message}` } });
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}`,
    port,
    index,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

/** The list's query string as a TraceQuery; an unknown parameter or a bad value is a 400 naming it. An empty value means "any". */
export function parseQuery(params: URLSearchParams): TraceQuery {
  const known = ['run', 'variant', 'service', 'outcome', 'q', 'minMs', 'maxMs', 'sort', 'order', 'limit', 'offset'];
  for (const name of new Set(params.keys())) {
    if (!known.includes(name)) throw new BadRequest(400, 'invalid_query', `unknown query parameter "${clip(name)}" (known: ${known.join(', ')})`);
  }
  const text = (name: string) => single(params, name);
  const number = (name: string, min: number, max: number, integer: boolean): number | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      throw new BadRequest(400, 'invalid_query', `${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${clip(raw)}"`);
    }
    return value;
  };
  const sort = text('sort');
  if (sort !== undefined && !(SORT_KEYS as readonly string[]).includes(sort)) throw new BadRequest(400, 'invalid_query', `sort must be one of ${SORT_KEYS.join(', ')}, got "${clip(sort)}"`);
  const order = text('order');
  if (order !== undefined && order !== 'asc' && order !== 'desc') throw new BadRequest(400, 'invalid_query', `order must be asc or desc, got "${clip(order)}"`);
  const query: TraceQuery = {};
  for (const [name, key] of [['run', 'run'], ['variant', 'variant'], ['service', 'service'], ['outcome', 'outcome'], ['q', 'text']] as const) {
    const value = text(name);
    if (value !== undefined) query[key] = value;
  }
  const minMs = number('minMs', 0, 1e9, false);
  const maxMs = number('maxMs', 0, 1e9, false);
  const limit = number('limit', 1, MAX_LIMIT, true);
  const offset = number('offset', 0, 1e9, true);
  if (minMs !== undefined) query.minMs = minMs;
  if (maxMs !== undefined) query.maxMs = maxMs;
  if (limit !== undefined) query.limit = limit;
  if (offset !== undefined) query.offset = offset;
  if (sort !== undefined) query.sort = sort as SortKey;
  if (order !== undefined) query.order = order;
  return query;
}

/** A parameter given at most once, at most 200 characters, without control characters; undefined when absent or empty. */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new BadRequest(400, 'invalid_query', `${name} is given ${values.length} times; give it once`);
  const value = values[0];
  if (value === undefined || value === '') return undefined;
  // eslint-disable-next-line no-control-regex
  if (value.length > 200 || /[\u0000-\u001f\u007f]/.test(value)) throw new BadRequest(400, 'invalid_query', `${name} must be at most 200 characters, without control characters`);
  return value;
}

function traceIdFrom(text: string): string {
  let id: string;
  try {
    id = decodeURIComponent(text);
  } catch {
    id = text;
  }
  if (!TRACE_ID.test(id)) throw new BadRequest(400, 'invalid_trace_id', `a trace id is 32 hexadecimal digits, got "${clip(id)}"`);
  return id.toLowerCase();
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** A page served on 127.0.0.1 can still be reached by a web page whose DNS name was rebound to it; that page's Host header names its own domain. */
function isLocalHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}

async function askReceiverToDecode(receiverUrl: string): Promise<void> {
  try {
    await fetch(`${receiverUrl}/lab/flush`, { method: 'POST', signal: AbortSignal.timeout(60_000) });
  } catch {
    // The receiver is gone (the stack is stopping) or slow: show what is in the files.
  }
}

function sendJson(request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void {
  send(request, response, status, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(body)));
}

function send(request: IncomingMessage, response: ServerResponse, status: number, type: string, body: Buffer): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': body.length });
  response.end(request.method === 'HEAD' ? undefined : body);
}
