import {
  AddressOwnedByAnotherUserError,
  BillingStoreCancelledError,
  BillingStoreTimeoutError,
  BillingStoreUnavailableError,
  InvalidBillingAddressError,
} from '@checkout-lab/billing-store';
import { GrpcStatus, grpcError, type GrpcErrorPayload } from '@checkout-lab/contracts';

/** The user has no default billing address. */
export class BillingAddressNotFoundError extends Error {
  override readonly name = 'BillingAddressNotFoundError';
  constructor() {
    super('no default billing address for this user');
  }
}

/** Names the store's backend in `x-failed-dependency`, so callers can say what failed. */
const FAILED_DEPENDENCY = 'billing-db';

/**
 * The one mapping from the errors a billing request can end in to what the gRPC client receives.
 * Clients get fixed texts and a field name at most: never a stack, a driver message or user data.
 */
export function toGrpcError(error: unknown): GrpcErrorPayload {
  if (error instanceof InvalidBillingAddressError) {
    return grpcError(GrpcStatus.INVALID_ARGUMENT, error.message, { reason: 'invalid_argument' });
  }
  if (error instanceof AddressOwnedByAnotherUserError) {
    return grpcError(GrpcStatus.FAILED_PRECONDITION, 'address_id belongs to another user; use a new address_id', {
      reason: 'address_owned_by_another_user',
    });
  }
  if (error instanceof BillingAddressNotFoundError) {
    return grpcError(GrpcStatus.NOT_FOUND, error.message, { reason: 'billing_address_missing' });
  }
  if (error instanceof BillingStoreTimeoutError) {
    return grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'billing store did not answer in time', {
      failedDependency: FAILED_DEPENDENCY,
      reason: 'billing_store_timeout',
    });
  }
  if (error instanceof BillingStoreCancelledError) {
    // The caller has gone: grpc-js will not deliver this, but the span and the log record it.
    return grpcError(GrpcStatus.CANCELLED, 'the caller gave up before the lookup ran', { reason: 'caller_gave_up' });
  }
  if (error instanceof BillingStoreUnavailableError) {
    return grpcError(GrpcStatus.UNAVAILABLE, 'billing store unavailable', {
      failedDependency: FAILED_DEPENDENCY,
      reason: 'billing_store_unavailable',
    });
  }
  return grpcError(GrpcStatus.INTERNAL, 'internal error');
}
