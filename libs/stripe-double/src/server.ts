/**
 * The HTTP side of the double (node:http): authentication, body decoding, routing, idempotency,
 * Stripe's response headers, and the latency / failure knobs.
 */
import { randomInt } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { StripeApi } from './api';
import { ApiError, errors } from './errors';
import { decodeForm, FormError, type FormObject } from './form';
import { IdempotencyStore } from './idempotency';
import { seededRandom } from '@checkout-lab/config';
import { logNormalSampler, type LatencyDistribution } from './latency';
import { newId } from './objects';
import { matchRoute, type RouteMatch } from './routes';

export interface StripeDoubleOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) asks the OS for a free port. */
  port?: number;
  /** Latency of each card authorisation (PaymentIntent create with confirm=true, and confirm); none when absent. */
  latency?: LatencyDistribution;
  /** Fixed latency of PaymentMethod create; default 0. */
  paymentMethodLatencyMs?: number;
  /** Probability in [0, 1] that a PaymentIntent create/confirm fails with a 500 and creates nothing; default 0. */
  errorRate?: number;
  /** Seed of the generator behind latencies and injected failures; random when absent. */
  seed?: number;
}

export interface StripeDoubleStats {
  paymentIntents: { total: number; byStatus: Record<string, number> };
  paymentMethods: number;
  /** Requests received, by route (`POST /v1/payment_intents`); `unmatched` for unknown routes. */
  requests: Record<string, number>;
  idempotentReplays: number;
  injectedErrors: number;
}

export interface RunningStripeDouble {
  /** http://host:port */
  url: string;
  port: number;
  stats(): StripeDoubleStats;
  /** Stops listening and drops open connections; requests still waiting on latency get no answer. */
  close(): Promise<void>;
}

interface Response {
  status: number;
  body: string;
  /** Whether an idempotency key keeps this response for replay. */
  saved: boolean;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startStripeDouble(options: StripeDoubleOptions = {}): Promise<RunningStripeDouble> {
  const host = options.host ?? '127.0.0.1';
  const errorRate = options.errorRate ?? 0;
  const paymentMethodLatencyMs = options.paymentMethodLatencyMs ?? 0;
  if (!(errorRate >= 0 && errorRate <= 1)) throw new RangeError(`errorRate must be in [0, 1] (got ${errorRate})`);
  if (!(paymentMethodLatencyMs >= 0)) throw new RangeError(`paymentMethodLatencyMs must be >= 0 (got ${paymentMethodLatencyMs})`);

  const random = seededRandom(options.seed ?? randomInt(2 ** 32));
  const sampleLatency = options.latency ? logNormalSampler(options.latency, random) : () => 0;
  const shutdown = new AbortController();
  const wait = (ms: number): Promise<void> => (ms > 0 ? sleep(ms, undefined, { signal: shutdown.signal }) : Promise.resolve());

  const counters = { requests: {} as Record<string, number>, idempotentReplays: 0, injectedErrors: 0 };
  const api = new StripeApi({
    authorisationDelay: () => wait(sampleLatency()),
    paymentMethodDelay: () => wait(paymentMethodLatencyMs),
    injectFailure: () => {
      const fail = errorRate > 0 && random() < errorRate;
      if (fail) counters.injectedErrors++;
      return fail;
    },
  });
  const idempotency = new IdempotencyStore();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newId('req', 14);
    const headers: Record<string, string> = { 'Request-Id': requestId };
    const stripeVersion = req.headers['stripe-version'];
    if (typeof stripeVersion === 'string') headers['Stripe-Version'] = stripeVersion;
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://stripe-double');
    const route = matchRoute(method, url.pathname);
    const routeName = route?.name ?? 'unmatched';
    counters.requests[routeName] = (counters.requests[routeName] ?? 0) + 1;

    try {
      authenticate(req.headers);
      if (!route) throw errors.unrecognizedUrl(method, url.pathname);
      const params = decodeParams(method === 'POST' ? await readBody(req) : url.search.slice(1));
      const key = req.headers['idempotency-key'];
      if (method !== 'POST' || typeof key !== 'string') {
        send(res, await execute(route, params), headers);
        return;
      }
      headers['Idempotency-Key'] = key;
      const claim = idempotency.claim(key, `${method} ${url.pathname}`, params);
      if (claim.kind === 'replay') {
        counters.idempotentReplays++;
        const { response } = claim;
        // Replays are answered at once: the latency was spent by the first request.
        send(res, { ...response, saved: true }, { ...headers, 'Idempotent-Replayed': 'true', 'Original-Request': response.requestId });
        return;
      }
      const response = await execute(route, params);
      if (response.saved) claim.save({ status: response.status, body: response.body, requestId });
      else claim.release();
      send(res, response, { ...headers, 'Original-Request': requestId });
    } catch (error) {
      send(res, errorResponse(error), headers);
    }
  }

  async function execute(route: RouteMatch, params: FormObject): Promise<Response> {
    try {
      return { status: 200, body: json(await route.run(api, params)), saved: true };
    } catch (error) {
      return errorResponse(error);
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await listen(server, options.port ?? 0, host);
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the Stripe API double has no TCP address');

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    port: address.port,
    stats: () => {
      const counts = api.counts();
      const total = Object.values(counts.paymentIntentsByStatus).reduce((sum, n) => sum + n, 0);
      return {
        paymentIntents: { total, byStatus: counts.paymentIntentsByStatus },
        paymentMethods: counts.paymentMethods,
        requests: { ...counters.requests },
        idempotentReplays: counters.idempotentReplays,
        injectedErrors: counters.injectedErrors,
      };
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        shutdown.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function authenticate(headers: IncomingHttpHeaders): void {
  const authorization = headers.authorization?.trim() ?? '';
  let key = '';
  if (/^bearer\s+/i.test(authorization)) {
    key = authorization.replace(/^bearer\s+/i, '');
  } else if (/^basic\s+/i.test(authorization)) {
    // `curl -u sk_test_...:` sends the key as the Basic user name.
    key = Buffer.from(authorization.replace(/^basic\s+/i, ''), 'base64').toString('utf8').split(':')[0] ?? '';
  }
  if (key === '') throw errors.noApiKey();
  if (!/^sk_test_\w+$/.test(key)) throw errors.invalidApiKey(key);
}

function decodeParams(encoded: string): FormObject {
  try {
    return decodeForm(encoded);
  } catch (error) {
    if (error instanceof FormError) throw errors.invalidBody(`Invalid request: ${error.message}`);
    throw error;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  if (size > MAX_BODY_BYTES) throw errors.invalidBody(`Request body larger than ${MAX_BODY_BYTES} bytes.`);
  return Buffer.concat(chunks).toString('utf8');
}

function errorResponse(error: unknown): Response {
  const apiError =
    error instanceof ApiError ? error : errors.internal(error instanceof Error ? error.message : String(error));
  return { status: apiError.status, body: json({ error: apiError.body }), saved: apiError.saved };
}

/** Stripe answers with pretty-printed JSON. */
function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function send(res: ServerResponse, response: Response, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(response.status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(response.body),
    'Cache-Control': 'no-cache, no-store',
    // Nothing was done: a 409 (key in use), 429 (lock) or 500 from the double can be retried safely.
    ...(response.status === 409 || response.status === 429 || response.status >= 500 ? { 'Stripe-Should-Retry': 'true' } : {}),
  });
  res.end(response.body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
