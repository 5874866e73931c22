import type { BillingStoreKind } from '@checkout-lab/config';
import { InvalidBillingAddressError } from './billing-store.errors';

/** A user's billing address, as every store returns it. */
export interface BillingAddress {
  addressId: string;
  userId: string;
  name: string;
  email: string;
  line1: string;
  line2: string;
  city: string;
  state: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, upper case: "US". */
  country: string;
  isDefault: boolean;
  /** Set by the store on every write. */
  updatedAt: Date;
}

/** What a caller writes; the store sets `updatedAt`. */
export type BillingAddressInput = Omit<BillingAddress, 'updatedAt'>;

/**
 * The port: where billing addresses live. Adapters take and return domain types only and
 * translate their driver's failures into the errors of billing-store.errors.ts.
 */
export abstract class BillingAddressStore {
  abstract readonly kind: BillingStoreKind;
  /** The variant of the backing store, for reports and spans: `legacy` | `indexed` for sql. */
  abstract readonly profile: string;
  /**
   * The user's current address: the latest (by `updatedAt`) of their default addresses; null if none.
   * `signal`: the caller's cancellation. A lookup whose caller has gone by the time the store could
   * run it is dropped (BillingStoreCancelledError) instead of spending the server on an answer
   * nobody reads.
   */
  abstract getCurrent(userId: string, options?: { signal?: AbortSignal }): Promise<BillingAddress | null>;
  /** Creates or replaces the address with `input.addressId`; returns it as stored. */
  abstract put(input: BillingAddressInput): Promise<BillingAddress>;
  /**
   * The cheapest round trip that proves the store answers (readiness): SQL `SELECT 1` through the
   * pool, DynamoDB a key lookup that finds nothing. Never the lookup itself, which on the legacy
   * profile is a table scan. Throws the same errors as getCurrent.
   */
  abstract ping(options?: { signal?: AbortSignal }): Promise<void>;
  /** Releases connections; the store is unusable afterwards. Safe to call twice. */
  abstract close(): Promise<void>;
}

/** Longest user or address id a store accepts. */
export const MAX_ID_LENGTH = 200;
/** Longest free-text field (name, address lines, city...) a store accepts. */
export const MAX_TEXT_LENGTH = 1000;

const TEXT_FIELDS = ['name', 'email', 'line1', 'line2', 'city', 'state', 'postalCode', 'country'] as const;
const REQUIRED_TEXT_FIELDS: ReadonlySet<string> = new Set(['name', 'line1', 'city', 'country']);

/** Throws InvalidBillingAddressError (naming the field, never echoing its value) unless `userId` is usable. */
export function validateUserId(userId: unknown, field = 'userId'): string {
  if (typeof userId !== 'string') throw new InvalidBillingAddressError(field, 'must be a string');
  if (userId.trim() === '') throw new InvalidBillingAddressError(field, 'is required');
  if (userId.length > MAX_ID_LENGTH) throw new InvalidBillingAddressError(field, `must be at most ${MAX_ID_LENGTH} characters`);
  if (userId.includes('\u0000')) throw new InvalidBillingAddressError(field, 'must not contain NUL characters');
  return userId;
}

/**
 * Checks an address before it is written; every adapter calls this so they all reject the same
 * inputs. Messages name the field and the rule, never the value (it may be personal data).
 */
export function validateBillingAddressInput(input: BillingAddressInput): BillingAddressInput {
  if (typeof input !== 'object' || input === null) throw new InvalidBillingAddressError('address', 'is required');
  validateUserId(input.addressId, 'addressId');
  validateUserId(input.userId, 'userId');
  for (const field of TEXT_FIELDS) {
    const value: unknown = input[field];
    if (typeof value !== 'string') throw new InvalidBillingAddressError(field, 'must be a string');
    if (REQUIRED_TEXT_FIELDS.has(field) && value.trim() === '') throw new InvalidBillingAddressError(field, 'is required');
    if (value.length > MAX_TEXT_LENGTH) {
      throw new InvalidBillingAddressError(field, `must be at most ${MAX_TEXT_LENGTH} characters`);
    }
    if (value.includes('\u0000')) throw new InvalidBillingAddressError(field, 'must not contain NUL characters');
  }
  if (!/^[A-Z]{2}$/.test(input.country)) {
    throw new InvalidBillingAddressError('country', 'must be an ISO 3166-1 alpha-2 code in upper case, e.g. "US"');
  }
  if (input.email !== '' && !/^[^\s@]+@[^\s@]+$/.test(input.email)) {
    throw new InvalidBillingAddressError('email', 'must be an e-mail address');
  }
  if (typeof input.isDefault !== 'boolean') throw new InvalidBillingAddressError('isDefault', 'must be a boolean');
  return input;
}
