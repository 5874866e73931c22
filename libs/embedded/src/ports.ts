import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Polls `probe` until it returns true or `timeoutMs` passes; rejects naming `what`. An aborted
 * `signal` stops the polling early (and rejects).
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  { intervalMs = 100, signal }: { intervalMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new Error(`stopped waiting for ${what}`);
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what} was not ready within ${Math.round(timeoutMs / 1000)} s`);
}

/** True when something already listens on 127.0.0.1:`port` (another lab, a server of the user's). */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE' || error.code === 'EACCES'));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/**
 * Whether a socket LISTENs on `port` (from /proc/net/tcp and tcp6); undefined where /proc cannot
 * tell (not Linux). A port that is "in use" without a listener is held by a client connection
 * that the kernel gave it as its ephemeral port, or by one in TIME_WAIT: it frees itself.
 */
export function listenerOn(port: number): boolean | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let seen = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    seen = true;
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local?.endsWith(`:${hex}`)) return true;
    }
  }
  return seen ? false : undefined;
}

/**
 * Keeps the kernel from handing `ports` to outgoing connections as their ephemeral ports (Linux's
 * ip_local_reserved_ports, writable by root): the services' fixed ports (50051, 50052) lie inside
 * the default ephemeral range 32768–60999, and a connection to PostgreSQL that drew one blocked
 * billing-address from starting. Returns the ports it added (none when all were reserved already),
 * or null where it cannot be applied (not root, not Linux); nothing else changes.
 */
export function reserveEphemeralPorts(ports: readonly number[]): number[] | null {
  const file = '/proc/sys/net/ipv4/ip_local_reserved_ports';
  try {
    const current = readFileSync(file, 'utf8').trim();
    const listed = new Set(current ? current.split(',') : []);
    const missing = ports.filter((p) => !listed.has(String(p)));
    if (missing.length === 0) return [];
    writeFileSync(file, [...listed, ...missing.map(String)].join(','));
    return missing;
  } catch {
    return null;
  }
}
