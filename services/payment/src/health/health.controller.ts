import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

/** The standard grpc.health.v1 service: SERVING once the app listens. */
@Controller()
export class HealthController {
  @GrpcMethod('Health', 'Check')
  check(): { status: 'SERVING' } {
    return { status: 'SERVING' };
  }
}
