import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from '@checkout-lab/embedded';
import { REPO_ROOT } from '@checkout-lab/stack';

/** Every port the lab opens, so a test's lab never meets the defaults or another test's. */
const PORT_VARIABLES = [
  'CART_HTTP_PORT',
  'PAYMENT_GRPC_PORT',
  'BILLING_GRPC_PORT',
  'STRIPE_DOUBLE_PORT',
  'LAB_APP_PG_PORT',
  'LAB_BILLING_PG_PORT',
  'LAB_OTLP_PORT',
  'LAB_TRACE_VIEWER_PORT',
  'PAYMENT_METRICS_PORT',
  'BILLING_METRICS_PORT',
  'LAB_DYNAMODB_PORT',
] as const;
export type LabPorts = Record<(typeof PORT_VARIABLES)[number], string>;

/** A fresh directory the embedded PostgreSQL can use (as root it runs as the postgres user, who must reach it). */
export function labRoot(prefix: string): string {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(root, 0o755);
  return root;
}

export async function labPorts(): Promise<LabPorts> {
  const ports = await Promise.all(PORT_VARIABLES.map(() => freePort()));
  return Object.fromEntries(PORT_VARIABLES.map((name, i) => [name, String(ports[i])])) as LabPorts;
}

export interface LabProcess {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr together. */
  output(): string;
  exited: Promise<number | null>;
  /** Resolves when a line matching `pattern` has been printed; rejects if the lab exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
}

/** Runs `checkout-lab <args>` as a user would, with only the given environment (plus PATH). */
export function spawnLab(args: string[], env: Record<string, string>): LabProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/checkout-lab/src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'], SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.base.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
      const check = () => {
        if (pattern.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      check();
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`checkout-lab exited (${code}) before ${pattern}:\n${output}`));
      });
    });
  return { child, output: () => output, exited, waitFor };
}

/** One checkout through the cart API: create a cart for `userId`, add an item, check out with `key`. */
export async function checkoutOnce(baseUrl: string, key: string, userId = 'user-42'): Promise<Response> {
  const json = { 'content-type': 'application/json' };
  const created = (await (await fetch(`${baseUrl}/carts`, { method: 'POST', headers: json, body: JSON.stringify({ userId }) })).json()) as {
    cartId: string;
  };
  await fetch(`${baseUrl}/carts/${created.cartId}/items`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ sku: 'MUG-1', quantity: 1, unitPriceCents: 1500 }),
  });
  return fetch(`${baseUrl}/carts/${created.cartId}/checkout`, { method: 'POST', headers: { ...json, 'idempotency-key': key }, body: '{}' });
}
