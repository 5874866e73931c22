/**
 * The failures a BillingAddressStore reports. Adapters translate their driver's errors into
 * these; messages carry at most a driver error code, never the driver's text (it can quote data).
 */

/** Base class: a store failure that is none of the more specific ones below. */
export class BillingStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The store cannot be reached: connection refused or reset, host unknown, server shutting down, pool closed. */
export class BillingStoreUnavailableError extends BillingStoreError {}

/** The store was too slow: a statement timed out, or no pooled connection came free in time. */
export class BillingStoreTimeoutError extends BillingStoreError {}

/** The caller gave up (its gRPC deadline passed, or it cancelled) before the store was asked: nothing was run. */
export class BillingStoreCancelledError extends BillingStoreError {}

/** The input broke a rule; `field` names the offending field (the message never quotes its value). */
export class InvalidBillingAddressError extends BillingStoreError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

/** The address id already belongs to another user: a put must not move an address between users. */
export class AddressOwnedByAnotherUserError extends BillingStoreError {
  constructor() {
    super('this address_id belongs to another user');
  }
}

/** Node socket errors that mean "the server cannot be reached", whichever store's driver threw them. */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
]);
