import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AuthorizeRequest as _checkout_payment_v1_AuthorizeRequest, AuthorizeRequest__Output as _checkout_payment_v1_AuthorizeRequest__Output } from './checkout/payment/v1/AuthorizeRequest';
import type { AuthorizeResponse as _checkout_payment_v1_AuthorizeResponse, AuthorizeResponse__Output as _checkout_payment_v1_AuthorizeResponse__Output } from './checkout/payment/v1/AuthorizeResponse';
import type { PaymentServiceClient as _checkout_payment_v1_PaymentServiceClient, PaymentServiceDefinition as _checkout_payment_v1_PaymentServiceDefinition } from './checkout/payment/v1/PaymentService';
import type { ResolvePaymentRequest as _checkout_payment_v1_ResolvePaymentRequest, ResolvePaymentRequest__Output as _checkout_payment_v1_ResolvePaymentRequest__Output } from './checkout/payment/v1/ResolvePaymentRequest';
import type { ResolvePaymentResponse as _checkout_payment_v1_ResolvePaymentResponse, ResolvePaymentResponse__Output as _checkout_payment_v1_ResolvePaymentResponse__Output } from './checkout/payment/v1/ResolvePaymentResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  checkout: {
    payment: {
      v1: {
        AuthorizeRequest: MessageTypeDefinition<_checkout_payment_v1_AuthorizeRequest, _checkout_payment_v1_AuthorizeRequest__Output>
        AuthorizeResponse: MessageTypeDefinition<_checkout_payment_v1_AuthorizeResponse, _checkout_payment_v1_AuthorizeResponse__Output>
        /**
         * Authorises the payment of one order. Idempotent by idempotency_key: a retry with the
         * same key returns the first outcome and never charges twice.
         * 
         * Errors (gRPC status, with the trailing metadata keys in libs/contracts/src/errors.ts):
         * FAILED_PRECONDITION  card declined (x-error-reason: card_declined, x-payment-id, x-decline-code)
         * or the user has no billing address (x-error-reason: billing_address_missing)
         * or the payment of this key was released unpaid and will never be charged
         * (x-error-reason: payment_expired, x-payment-id): final, check out anew
         * ABORTED              another attempt holds this payment's lease right now: retry shortly
         * DEADLINE_EXCEEDED    a dependency was slower than its deadline (x-failed-dependency names it)
         * UNAVAILABLE          a dependency could not be reached (x-failed-dependency names it)
         * INVALID_ARGUMENT     the request is malformed
         */
        PaymentService: SubtypeConstructor<typeof grpc.Client, _checkout_payment_v1_PaymentServiceClient> & { service: _checkout_payment_v1_PaymentServiceDefinition }
        ResolvePaymentRequest: MessageTypeDefinition<_checkout_payment_v1_ResolvePaymentRequest, _checkout_payment_v1_ResolvePaymentRequest__Output>
        ResolvePaymentResponse: MessageTypeDefinition<_checkout_payment_v1_ResolvePaymentResponse, _checkout_payment_v1_ResolvePaymentResponse__Output>
      }
    }
  }
}

