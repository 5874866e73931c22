// Container health check (Dockerfile HEALTHCHECK, compose healthcheck). Finds which service
// this container runs from the process table, then asks it: cart GET /healthz, payment and
// billing-address grpc.health.v1.Health/Check (SERVING). A one-shot job is always healthy.
// Exit 0 = healthy, 1 = not. Plain CommonJS so it starts fast, without the TypeScript runner.
'use strict';
const fs = require('node:fs');

function runningRole() {
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const match = /services\/(cart|payment|billing-address)\/src\/main\.ts/.exec(cmdline);
    if (match) return match[1];
  }
  return undefined;
}

function checkHttp(port) {
  return fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => r.ok);
}

function checkGrpc(port) {
  const grpc = require('@grpc/grpc-js');
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      () => Buffer.alloc(0), // HealthCheckRequest{service: ""}: the empty message
      (bytes) => bytes,
      {},
      { deadline: Date.now() + 4000 },
      (error, bytes) => {
        client.close();
        // HealthCheckResponse{status = 1 (SERVING)} is the two bytes 0x08 0x01.
        resolve(!error && bytes.length >= 2 && bytes[0] === 0x08 && bytes[1] === 0x01);
      },
    );
  });
}

const env = (name, fallback) => process.env[name] || fallback;
const checks = {
  cart: () => checkHttp(env('CART_HTTP_PORT', '3000')),
  payment: () => checkGrpc(env('PAYMENT_GRPC_PORT', '50051')),
  'billing-address': () => checkGrpc(env('BILLING_GRPC_PORT', '50052')),
};

const role = process.argv[2] || runningRole();
const check = role ? checks[role] : undefined;
if (!check) process.exit(0);
check().then(
  (healthy) => process.exit(healthy ? 0 : 1),
  () => process.exit(1),
);
