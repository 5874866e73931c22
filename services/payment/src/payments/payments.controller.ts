import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { GrpcStatus, type AuthorizeRequest__Output, type AuthorizeResponse } from '@checkout-lab/contracts';
import { PAYMENT_LOGGER, toGrpcError } from './payment.errors';
import { PaymentsService } from './payments.service';

@Controller()
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    @Inject(PAYMENT_LOGGER) private readonly logger: Logger,
  ) {}

  @GrpcMethod('PaymentService', 'Authorize')
  async authorize(request: AuthorizeRequest__Output): Promise<AuthorizeResponse> {
    try {
      return await this.payments.authorize(request);
    } catch (error) {
      const payload = toGrpcError(error);
      // Every INTERNAL is a bug to look at: log it (the error, not the request: it holds user ids).
      if (payload.code === GrpcStatus.INTERNAL) this.logger.error({ err: error, method: 'Authorize' }, 'payment request failed');
      throw new RpcException(payload);
    }
  }
}
