import { GrpcStatus, grpcError, type GrpcErrorPayload } from '@checkout-lab/contracts';

/** DI token of payment's pino logger. */
export const PAYMENT_LOGGER = Symbol('payment.logger');

/** The dependencies whose failure payment reports to its caller by name. */
export type Dependency = 'billing-address' | 'stripe' | 'payment-db';

export class InvalidPaymentRequestError extends Error {
  override readonly name = 'InvalidPaymentRequestError';
}

/** The card was declined: a final outcome, stored, and replayed for the same key. */
export class PaymentDeclinedError extends Error {
  override readonly name = 'PaymentDeclinedError';
  constructor(
    readonly paymentId: string,
    readonly declineCode: string,
  ) {
    super(`card declined (${declineCode})`);
  }
}

/**
 * The payment of this key was released unpaid (status `canceled`: abandoned, found at no point
 * at Stripe) and will never be charged: a final answer; the customer checks out anew.
 */
export class PaymentExpiredError extends Error {
  override readonly name = 'PaymentExpiredError';
  constructor(
    readonly paymentId: string,
    readonly cancelReason: string,
  ) {
    super(`this payment was released unpaid (${cancelReason}) and will not be charged; check out again with a new key`);
  }
}

export class BillingAddressMissingError extends Error {
  override readonly name = 'BillingAddressMissingError';
  constructor() {
    super('the user has no billing address on file');
  }
}

/**
 * Stripe refused the request for good (it would refuse a retry too): the payment method does not
 * exist (`payment_method_invalid`), or another invalid_request_error (`payment_rejected`).
 */
export class PaymentRejectedError extends Error {
  override readonly name = 'PaymentRejectedError';
  constructor(
    readonly reason: 'payment_method_invalid' | 'payment_rejected',
    /** Stripe's error code, e.g. `resource_missing`; never its message (it can quote parameters). */
    readonly stripeCode: string | undefined,
  ) {
    super(
      reason === 'payment_method_invalid'
        ? 'the payment provider does not know this payment method'
        : `the payment provider rejected the request${stripeCode ? ` (${stripeCode})` : ''}`,
    );
  }
}

/** The same idempotency key was used for a different payment. */
export class IdempotencyMismatchError extends Error {
  override readonly name = 'IdempotencyMismatchError';
  constructor() {
    super('this idempotency key was already used for a different payment');
  }
}

/** Another request with the same key is being processed right now. */
export class PaymentInProgressError extends Error {
  override readonly name = 'PaymentInProgressError';
  constructor() {
    super('a payment with this idempotency key is already in progress');
  }
}

export class DependencyTimeoutError extends Error {
  override readonly name = 'DependencyTimeoutError';
  constructor(readonly dependency: Dependency) {
    super(`${dependency} did not answer within its deadline`);
  }
}

export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: Dependency,
    detail = 'is unavailable',
  ) {
    super(`${dependency} ${detail}`);
  }
}

/** The one mapping from payment's domain errors to gRPC status codes (see payment.proto). */
export function toGrpcError(error: unknown): GrpcErrorPayload {
  if (error instanceof PaymentDeclinedError) {
    return grpcError(GrpcStatus.FAILED_PRECONDITION, error.message, {
      reason: 'card_declined',
      paymentId: error.paymentId,
      declineCode: error.declineCode,
    });
  }
  if (error instanceof PaymentExpiredError) {
    return grpcError(GrpcStatus.FAILED_PRECONDITION, error.message, { reason: 'payment_expired', paymentId: error.paymentId });
  }
  if (error instanceof BillingAddressMissingError) {
    return grpcError(GrpcStatus.FAILED_PRECONDITION, error.message, { reason: 'billing_address_missing' });
  }
  if (error instanceof PaymentRejectedError) {
    return grpcError(GrpcStatus.FAILED_PRECONDITION, error.message, { reason: error.reason });
  }
  if (error instanceof InvalidPaymentRequestError) {
    return grpcError(GrpcStatus.INVALID_ARGUMENT, error.message, { reason: 'invalid_argument' });
  }
  if (error instanceof IdempotencyMismatchError) {
    return grpcError(GrpcStatus.FAILED_PRECONDITION, error.message, { reason: 'idempotency_mismatch' });
  }
  if (error instanceof PaymentInProgressError) return grpcError(GrpcStatus.ABORTED, error.message);
  if (error instanceof DependencyTimeoutError) {
    return grpcError(GrpcStatus.DEADLINE_EXCEEDED, error.message, { failedDependency: error.dependency });
  }
  if (error instanceof DependencyUnavailableError) {
    return grpcError(GrpcStatus.UNAVAILABLE, error.message, { failedDependency: error.dependency });
  }
  return grpcError(GrpcStatus.INTERNAL, 'internal error in payment');
}
