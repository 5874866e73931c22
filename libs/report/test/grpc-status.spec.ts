import type { AttributeValue, FlatSpan } from '@checkout-lab/telemetry';
import { ANALYSED_ATTRIBUTES, isTimeout } from '../src/checkout-spans';

/** A failed gRPC client span carrying `attributes` (no status message, so only the attribute can tell). */
function grpcSpan(attributes: Record<string, AttributeValue>): FlatSpan {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'grpc.checkout.billing.v1.BillingAddressService/GetBillingAddress',
    kind: 'client',
    service: 'payment',
    startUnixNano: 1_000_000_000n,
    endUnixNano: 1_250_000_000n,
    status: 'error',
    attributes,
    resource: {},
    events: [],
  };
}

describe('gRPC status under each convention (spans from elsewhere: a Collector file, Jaeger)', () => {
  it.each([
    ['rpc.grpc.status_code (deprecated, number)', { 'rpc.system': 'grpc', 'rpc.grpc.status_code': 4 }],
    ['rpc.grpc.status_code (deprecated, as a string tag)', { 'rpc.system': 'grpc', 'rpc.grpc.status_code': '4' }],
    ['rpc.response.status_code (interim name)', { 'rpc.system.name': 'grpc', 'rpc.response.status_code': 'DEADLINE_EXCEEDED' }],
    ['rpc.status_code (current)', { 'rpc.system.name': 'grpc', 'rpc.status_code': 'DEADLINE_EXCEEDED' }],
  ])('a deadline exceeded in %s is a timeout', (_name, attributes) => {
    expect(isTimeout(grpcSpan(attributes))).toBe(true);
  });

  it.each([
    ['rpc.grpc.status_code', { 'rpc.system': 'grpc', 'rpc.grpc.status_code': 14 }],
    ['rpc.status_code', { 'rpc.system.name': 'grpc', 'rpc.status_code': 'UNAVAILABLE' }],
  ])('another failure in %s is not', (_name, attributes) => {
    expect(isTimeout(grpcSpan(attributes))).toBe(false);
  });

  it('the compact span reader keeps every name the analysis reads', () => {
    expect(ANALYSED_ATTRIBUTES).toEqual(expect.arrayContaining(['rpc.status_code', 'rpc.response.status_code', 'rpc.grpc.status_code']));
  });
});
