import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import type { AuthorizeRequest__Output, AuthorizeResponse } from '@checkout-lab/contracts';
import { toGrpcError } from './payment.errors';
import { PaymentsService } from './payments.service';

@Controller()
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @GrpcMethod('PaymentService', 'Authorize')
  async authorize(request: AuthorizeRequest__Output): Promise<AuthorizeResponse> {
    try {
      return await this.payments.authorize(request);
    } catch (error) {
      throw new RpcException(toGrpcError(error));
    }
  }
}
