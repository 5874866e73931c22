import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with traffic:
 * - `pass`: forwards bytes both ways, untouched;
 * - `drop`: resets every open connection, and every new one as soon as it is accepted (a network
 *   path that drops connections: the client sees ECONNRESET);
 * - `http-500`: answers every request on a new connection with an HTTP 500 in Stripe's error shape
 *   and closes it (open connections are reset first, so keep-alive sockets cannot slip past).
 */
export type FaultMode = 'pass' | 'drop' | 'http-500';

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`, the address to give a client instead of the target's. */
  readonly url: string;
  readonly port: number;
  readonly mode: FaultMode;
  setMode(mode: FaultMode): void;
  /**
   * Once: when the answer to the next request whose request line matches `requestLine` comes back
   * from the target, runs `action` before that answer is passed on, then cuts the connection (the
   * client never reads it). Resolves when it happened.
   */
  onNextResponse(requestLine: RegExp, action: () => void): Promise<void>;
  /** Connections accepted, and how many of them the fault refused (reset or answered 500). */
  readonly counts: { accepted: number; faulted: number };
  close(): Promise<void>;
}

const STRIPE_500_BODY = JSON.stringify({
  error: { type: 'api_error', message: 'An injected fault: the lab\'s fault proxy answered 500 in place of the Stripe API.' },
});

/**
 * A small TCP proxy on 127.0.0.1 in front of one server, which can fail on demand where the server
 * itself cannot (dynalite has no way to drop its connections; the Stripe double answers 5xx only
 * at random). It runs in the lab process.
 */
export async function startFaultProxy(target: { host: string; port: number }, options: { port?: number } = {}): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let trap: { requestLine: RegExp; fire: () => void } | undefined;
  const open = new Set<Socket>();
  const counts = { accepted: 0, faulted: 0 };

  const server: Server = createServer((client) => {
    counts.accepted++;
    if (mode === 'drop') {
      counts.faulted++;
      client.resetAndDestroy();
      return;
    }
    if (mode === 'http-500') {
      counts.faulted++;
      answer500(client);
      return;
    }
    const upstream = createConnection(target);
    open.add(client);
    open.add(upstream);
    const forget = () => {
      open.delete(client);
      open.delete(upstream);
    };
    // The request line of the request in flight on this connection (HTTP/1.1: one at a time).
    let requestLine = '';
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1', 0, Math.min(chunk.length, 200));
      if (/^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(text)) requestLine = text.slice(0, text.indexOf('\r\n'));
      upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('data', (chunk: Buffer) => {
      if (trap && trap.requestLine.test(requestLine)) {
        const { fire } = trap;
        trap = undefined;
        fire();
        client.resetAndDestroy();
        return;
      }
      client.write(chunk);
    });
    upstream.on('end', () => client.end());
    // One side failing takes the other down the same way, as a broken path would.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.resetAndDestroy());
    client.on('close', () => {
      upstream.destroy();
      forget();
    });
    upstream.on('close', () => {
      client.destroy();
      forget();
    });
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fault proxy has no TCP address');
  const port = address.port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get mode() {
      return mode;
    },
    counts,
    onNextResponse(requestLine, action) {
      return new Promise<void>((resolve) => {
        trap = {
          requestLine,
          fire: () => {
            action();
            resolve();
          },
        };
      });
    },
    setMode(next) {
      mode = next;
      if (next === 'pass') return;
      for (const socket of open) {
        if (!socket.destroyed) socket.resetAndDestroy();
      }
      open.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        open.clear();
        server.close(() => resolve());
      }),
  };
}

/** Reads the request head (enough to know a request came), then answers 500 and closes. */
function answer500(client: Socket): void {
  client.on('error', () => undefined);
  let head = '';
  client.on('data', (chunk: Buffer) => {
    if (head.includes('\r\n\r\n')) return;
    head += chunk.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    const body = Buffer.from(STRIPE_500_BODY);
    client.end(
      'HTTP/1.1 500 Internal Server Error\r\n' +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\n` +
        `Request-Id: req_fault_${Date.now().toString(36)}\r\n` +
        'Connection: close\r\n\r\n' +
        body.toString('latin1'),
    );
  });
}
