import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { BillingAddressStore } from '@checkout-lab/billing-store';
import { GrpcStatus, grpcError, type HealthCheckResponse__Output } from '@checkout-lab/contracts';
import { CachedCheck } from '@checkout-lab/contracts';
import { probeStore } from './readiness';

/** The services this server reports on: the whole server ('') and the billing service. */
const KNOWN_SERVICES = new Set(['', 'checkout.billing.v1.BillingAddressService']);

/**
 * grpc.health.v1.Health: SERVING while billing-address can answer lookups, i.e. its store is
 * reachable (the server only accepts calls after start-up). A store that is only slow keeps it SERVING.
 */
@Controller()
export class HealthController {
  private readonly store: CachedCheck;

  constructor(store: BillingAddressStore) {
    this.store = new CachedCheck((timeoutMs) => probeStore(store, timeoutMs));
  }

  @GrpcMethod('Health', 'Check')
  async check(request: { service: string }): Promise<HealthCheckResponse__Output> {
    if (!KNOWN_SERVICES.has(request.service)) throw new RpcException(grpcError(GrpcStatus.NOT_FOUND, 'unknown service'));
    return { status: (await this.store.run()) === 'down' ? 'NOT_SERVING' : 'SERVING' };
  }
}
