import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import type { Logger } from 'pino';
import {
  GrpcStatus,
  type AuthorizeRequest__Output,
  type AuthorizeResponse,
  type ResolvePaymentRequest__Output,
  type ResolvePaymentResponse,
} from '@checkout-lab/contracts';
import { PAYMENT_LOGGER, toGrpcError } from './payment.errors';
import { PaymentsService } from './payments.service';

@Controller()
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    @Inject(PAYMENT_LOGGER) private readonly logger: Logger,
  ) {}

  @GrpcMethod('PaymentService', 'Authorize')
  authorize(request: AuthorizeRequest__Output): Promise<AuthorizeResponse> {
    return this.answer('Authorize', () => this.payments.authorize(request));
  }

  /** Never starts a charge: the recorded outcome, or what Stripe knows of a pending payment. */
  @GrpcMethod('PaymentService', 'ResolvePayment')
  resolvePayment(request: ResolvePaymentRequest__Output): Promise<ResolvePaymentResponse> {
    return this.answer('ResolvePayment', async () => {
      const resolution = await this.payments.resolve(request);
      return {
        status: resolution.status,
        paymentId: resolution.paymentId,
        stripePaymentIntentId: 'stripePaymentIntentId' in resolution ? (resolution.stripePaymentIntentId ?? '') : '',
        declineCode: resolution.status === 'declined' ? resolution.declineCode : '',
        cancelReason: 'cancelReason' in resolution ? resolution.cancelReason : '',
      };
    });
  }

  private async answer<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const payload = toGrpcError(error);
      // Every INTERNAL is a bug to look at: log it (the error, not the request: it holds user ids).
      if (payload.code === GrpcStatus.INTERNAL) this.logger.error({ err: error, method }, 'payment request failed');
      throw new RpcException(payload);
    }
  }
}
