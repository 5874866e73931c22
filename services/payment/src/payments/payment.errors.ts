import { GrpcStatus, grpcError, type GrpcErrorPayload } from '@checkout-lab/contracts';

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

export class BillingAddressMissingError extends Error {
  override readonly name = 'BillingAddressMissingError';
  constructor() {
    super('the user has no billing address on file');
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
  if (error instanceof BillingAddressMissingError) {
    return grpcError(GrpcStatus.FAILED_PRECONDITION, error.message, { reason: 'billing_address_missing' });
  }
  if (error instanceof InvalidPaymentRequestError) return grpcError(GrpcStatus.INVALID_ARGUMENT, error.message);
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
