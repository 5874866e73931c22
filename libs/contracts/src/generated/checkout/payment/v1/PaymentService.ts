// Original file: proto/checkout/payment/v1/payment.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AuthorizeRequest as _checkout_payment_v1_AuthorizeRequest, AuthorizeRequest__Output as _checkout_payment_v1_AuthorizeRequest__Output } from '../../../checkout/payment/v1/AuthorizeRequest';
import type { AuthorizeResponse as _checkout_payment_v1_AuthorizeResponse, AuthorizeResponse__Output as _checkout_payment_v1_AuthorizeResponse__Output } from '../../../checkout/payment/v1/AuthorizeResponse';
import type { ResolvePaymentRequest as _checkout_payment_v1_ResolvePaymentRequest, ResolvePaymentRequest__Output as _checkout_payment_v1_ResolvePaymentRequest__Output } from '../../../checkout/payment/v1/ResolvePaymentRequest';
import type { ResolvePaymentResponse as _checkout_payment_v1_ResolvePaymentResponse, ResolvePaymentResponse__Output as _checkout_payment_v1_ResolvePaymentResponse__Output } from '../../../checkout/payment/v1/ResolvePaymentResponse';

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
export interface PaymentServiceClient extends grpc.Client {
  Authorize(argument: _checkout_payment_v1_AuthorizeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_payment_v1_AuthorizeResponse__Output>): grpc.ClientUnaryCall;
  Authorize(argument: _checkout_payment_v1_AuthorizeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_checkout_payment_v1_AuthorizeResponse__Output>): grpc.ClientUnaryCall;
  Authorize(argument: _checkout_payment_v1_AuthorizeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_payment_v1_AuthorizeResponse__Output>): grpc.ClientUnaryCall;
  Authorize(argument: _checkout_payment_v1_AuthorizeRequest, callback: grpc.requestCallback<_checkout_payment_v1_AuthorizeResponse__Output>): grpc.ClientUnaryCall;
  authorize(argument: _checkout_payment_v1_AuthorizeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_payment_v1_AuthorizeResponse__Output>): grpc.ClientUnaryCall;
  authorize(argument: _checkout_payment_v1_AuthorizeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_checkout_payment_v1_AuthorizeResponse__Output>): grpc.ClientUnaryCall;
  authorize(argument: _checkout_payment_v1_AuthorizeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_payment_v1_AuthorizeResponse__Output>): grpc.ClientUnaryCall;
  authorize(argument: _checkout_payment_v1_AuthorizeRequest, callback: grpc.requestCallback<_checkout_payment_v1_AuthorizeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Resolves the payment of a key without ever starting a charge: the recorded outcome, or, for a
   * pending payment, what Stripe knows of it (under the payment's lease, as the reconciler does).
   * A key payment has never seen is recorded as released (canceled), so a late Authorize with it
   * cannot charge. Errors as for Authorize, except that nothing is ever declined or charged.
   */
  ResolvePayment(argument: _checkout_payment_v1_ResolvePaymentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_payment_v1_ResolvePaymentResponse__Output>): grpc.ClientUnaryCall;
  ResolvePayment(argument: _checkout_payment_v1_ResolvePaymentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_checkout_payment_v1_ResolvePaymentResponse__Output>): grpc.ClientUnaryCall;
  ResolvePayment(argument: _checkout_payment_v1_ResolvePaymentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_payment_v1_ResolvePaymentResponse__Output>): grpc.ClientUnaryCall;
  ResolvePayment(argument: _checkout_payment_v1_ResolvePaymentRequest, callback: grpc.requestCallback<_checkout_payment_v1_ResolvePaymentResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Resolves the payment of a key without ever starting a charge: the recorded outcome, or, for a
   * pending payment, what Stripe knows of it (under the payment's lease, as the reconciler does).
   * A key payment has never seen is recorded as released (canceled), so a late Authorize with it
   * cannot charge. Errors as for Authorize, except that nothing is ever declined or charged.
   */
  resolvePayment(argument: _checkout_payment_v1_ResolvePaymentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_payment_v1_ResolvePaymentResponse__Output>): grpc.ClientUnaryCall;
  resolvePayment(argument: _checkout_payment_v1_ResolvePaymentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_checkout_payment_v1_ResolvePaymentResponse__Output>): grpc.ClientUnaryCall;
  resolvePayment(argument: _checkout_payment_v1_ResolvePaymentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_payment_v1_ResolvePaymentResponse__Output>): grpc.ClientUnaryCall;
  resolvePayment(argument: _checkout_payment_v1_ResolvePaymentRequest, callback: grpc.requestCallback<_checkout_payment_v1_ResolvePaymentResponse__Output>): grpc.ClientUnaryCall;
  
}

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
export interface PaymentServiceHandlers extends grpc.UntypedServiceImplementation {
  Authorize: grpc.handleUnaryCall<_checkout_payment_v1_AuthorizeRequest__Output, _checkout_payment_v1_AuthorizeResponse>;
  
  /**
   * Resolves the payment of a key without ever starting a charge: the recorded outcome, or, for a
   * pending payment, what Stripe knows of it (under the payment's lease, as the reconciler does).
   * A key payment has never seen is recorded as released (canceled), so a late Authorize with it
   * cannot charge. Errors as for Authorize, except that nothing is ever declined or charged.
   */
  ResolvePayment: grpc.handleUnaryCall<_checkout_payment_v1_ResolvePaymentRequest__Output, _checkout_payment_v1_ResolvePaymentResponse>;
  
}

export interface PaymentServiceDefinition extends grpc.ServiceDefinition {
  Authorize: MethodDefinition<_checkout_payment_v1_AuthorizeRequest, _checkout_payment_v1_AuthorizeResponse, _checkout_payment_v1_AuthorizeRequest__Output, _checkout_payment_v1_AuthorizeResponse__Output>
  ResolvePayment: MethodDefinition<_checkout_payment_v1_ResolvePaymentRequest, _checkout_payment_v1_ResolvePaymentResponse, _checkout_payment_v1_ResolvePaymentRequest__Output, _checkout_payment_v1_ResolvePaymentResponse__Output>
}
