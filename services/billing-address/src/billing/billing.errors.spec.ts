import {
  BillingStoreError,
  BillingStoreTimeoutError,
  BillingStoreUnavailableError,
  InvalidBillingAddressError,
} from '@checkout-lab/billing-store';
import { ERROR_METADATA, GrpcStatus } from '@checkout-lab/contracts';
import { BillingAddressNotFoundError, toGrpcError } from './billing.errors';

describe('toGrpcError', () => {
  it.each([
    [new InvalidBillingAddressError('user_id', 'is required'), GrpcStatus.INVALID_ARGUMENT, 'user_id is required'],
    [new BillingAddressNotFoundError(), GrpcStatus.NOT_FOUND, 'no default billing address for this user'],
    [new BillingStoreTimeoutError('statement timed out (SQLSTATE 57014)'), GrpcStatus.DEADLINE_EXCEEDED, 'billing store did not answer in time'],
    [new BillingStoreUnavailableError('unreachable (ECONNREFUSED)'), GrpcStatus.UNAVAILABLE, 'billing store unavailable'],
    [new BillingStoreError('billing store query failed (SQLSTATE 42P01)'), GrpcStatus.INTERNAL, 'internal error'],
    [new TypeError("Cannot read properties of undefined (reading 'email')"), GrpcStatus.INTERNAL, 'internal error'],
    ['a string', GrpcStatus.INTERNAL, 'internal error'],
  ])('maps %p to %s', (error, code, message) => {
    const payload = toGrpcError(error);
    expect(payload).toMatchObject({ code, message, details: message });
  });

  it('names the failed dependency and the reason in trailing metadata', () => {
    const unavailable = toGrpcError(new BillingStoreUnavailableError('x')).metadata;
    expect(unavailable.get(ERROR_METADATA.failedDependency)).toEqual(['billing-db']);
    expect(unavailable.get(ERROR_METADATA.reason)).toEqual(['billing_store_unavailable']);
    expect(toGrpcError(new BillingAddressNotFoundError()).metadata.get(ERROR_METADATA.reason)).toEqual([
      'billing_address_missing',
    ]);
  });
});
