import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as BillingProto } from './generated/billing';
import type { ProtoGrpcType as PaymentProto } from './generated/payment';
import type { ProtoGrpcType as HealthProto } from './generated/health';
import type { BillingAddressServiceClient } from './generated/checkout/billing/v1/BillingAddressService';
import type { PaymentServiceClient } from './generated/checkout/payment/v1/PaymentService';
import type { HealthClient } from './generated/grpc/health/v1/Health';

/** Where the .proto files live; `includeDirs` for every loader. */
export const PROTO_DIR = path.resolve(__dirname, '..', 'proto');

export const PROTO_FILES = {
  payment: 'checkout/payment/v1/payment.proto',
  billing: 'checkout/billing/v1/billing.proto',
  health: 'grpc/health/v1/health.proto',
} as const;

export const PROTO_PACKAGES = {
  payment: 'checkout.payment.v1',
  billing: 'checkout.billing.v1',
  health: 'grpc.health.v1',
} as const;

/**
 * The proto-loader options every client and server uses. They must match the flags of the
 * `generate` target (longs as numbers, enums as strings, defaults filled in), or the
 * generated types would lie about the runtime objects.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

function load<T>(file: string): T {
  const definition = protoLoader.loadSync(file, LOADER_OPTIONS);
  return grpc.loadPackageDefinition(definition) as unknown as T;
}

/**
 * Options shared by every channel: keepalive so a dead peer is noticed; no retries by grpc-js
 * (callers own retries and idempotency); and a short reconnect backoff (200 ms, at most 2 s,
 * instead of 1 s growing to 120 s) so a restarted peer on the same network is used again quickly.
 */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.enable_retries': 0,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

export function createPaymentClient(address: string): PaymentServiceClient {
  const proto = load<PaymentProto>(PROTO_FILES.payment);
  return new proto.checkout.payment.v1.PaymentService(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

export function createBillingAddressClient(address: string): BillingAddressServiceClient {
  const proto = load<BillingProto>(PROTO_FILES.billing);
  return new proto.checkout.billing.v1.BillingAddressService(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

/** Service definitions, for servers built directly on grpc-js (test doubles of a service). */
export function paymentServiceDefinition(): PaymentProto['checkout']['payment']['v1']['PaymentService']['service'] {
  return load<PaymentProto>(PROTO_FILES.payment).checkout.payment.v1.PaymentService.service;
}

export function billingAddressServiceDefinition(): BillingProto['checkout']['billing']['v1']['BillingAddressService']['service'] {
  return load<BillingProto>(PROTO_FILES.billing).checkout.billing.v1.BillingAddressService.service;
}

export function createHealthClient(address: string): HealthClient {
  const proto = load<HealthProto>(PROTO_FILES.health);
  return new proto.grpc.health.v1.Health(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

/**
 * Asks a gRPC server's standard health service whether it is SERVING.
 * Resolves false (never throws) when the server is unreachable or not serving.
 */
export async function isServing(address: string, timeoutMs = 1000): Promise<boolean> {
  const client = createHealthClient(address);
  try {
    return await new Promise<boolean>((resolve) => {
      client.check({ service: '' }, { deadline: Date.now() + timeoutMs }, (error, response) => {
        resolve(!error && response?.status === 'SERVING');
      });
    });
  } finally {
    client.close();
  }
}
