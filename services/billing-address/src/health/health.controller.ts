import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { GrpcStatus, grpcError, type HealthCheckResponse__Output } from '@checkout-lab/contracts';

/** The services this server reports on: the whole server ('') and the billing service. */
const KNOWN_SERVICES = new Set(['', 'checkout.billing.v1.BillingAddressService']);

/** grpc.health.v1.Health: SERVING once the server accepts calls (it only does after start-up). */
@Controller()
export class HealthController {
  @GrpcMethod('Health', 'Check')
  check(request: { service: string }): HealthCheckResponse__Output {
    if (!KNOWN_SERVICES.has(request.service)) throw new RpcException(grpcError(GrpcStatus.NOT_FOUND, 'unknown service'));
    return { status: 'SERVING' };
  }
}
