/**
 * Cart's domain errors. One exception filter (http/error.filter.ts) maps them to HTTP statuses
 * and the `{"error":{"code","message","details?"}}` body.
 */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(readonly entity: 'cart' | 'order' | 'route') {
    super(`${entity} not found`);
  }
}

export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(
    readonly code: 'invalid_request' | 'idempotency_key_required',
    message: string,
    readonly problems: readonly { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** The request cannot be done in the cart's current state (409) or at all (422). */
export class StateError extends Error {
  override readonly name = 'StateError';
  constructor(
    readonly code:
      | 'cart_checked_out'
      | 'checkout_in_progress'
      | 'cart_empty'
      | 'idempotency_key_reused'
      | 'billing_address_missing'
      | 'quantity_too_large'
      | 'amount_too_large'
      | 'payment_method_invalid'
      | 'payment_rejected'
      | 'payment_expired',
    message: string,
  ) {
    super(message);
  }
}

/** The route exists, but not for this method (405 with an `Allow` header). */
export class MethodNotAllowedError extends Error {
  override readonly name = 'MethodNotAllowedError';
  constructor(readonly allow: readonly string[]) {
    super(`this route accepts ${allow.join(', ')}`);
  }
}

/** A dependency failed (503) or was too slow (504); `dependency` names it for the user. */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  constructor(
    readonly dependency: string,
    readonly kind: 'unavailable' | 'timeout',
    message = kind === 'timeout' ? `${dependency} did not answer in time` : `${dependency} is unavailable`,
  ) {
    super(message);
  }
}

/**
 * Payment refused the order for a reason a retry cannot fix (an unknown payment method, a
 * request the provider rejects, a payment released unpaid). Checkout records the order `failed` and answers 422.
 */
export class PaymentRefusedError extends Error {
  override readonly name = 'PaymentRefusedError';
  constructor(
    readonly code: 'payment_method_invalid' | 'payment_rejected' | 'payment_expired',
    message: string,
  ) {
    super(message);
  }
}
