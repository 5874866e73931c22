import { z } from 'zod';
import { MAX_QUANTITY } from './carts.repository';


export const createCartBody = z.strictObject({
  userId: z
    .string()
    .trim()
    .min(1)
    .max(200)
    // PostgreSQL text cannot hold NUL, and control characters are never part of an id.
    .refine((value) => !hasControlCharacter(value), 'must not contain control characters (such as NUL)'),
});

export const addItemBody = z.strictObject({
  sku: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores'),
  quantity: z.number().int().min(1).max(MAX_QUANTITY),
  unitPriceCents: z.number().int().min(1).max(1_000_000),
});

export const checkoutBody = z.strictObject({
  paymentMethod: z
    .string()
    .regex(/^(pm|tok)_[A-Za-z0-9_]{1,100}$/, 'must be a Stripe payment method such as pm_card_visa')
    .default('pm_card_visa'),
});

/** Printable ASCII, as Stripe accepts for its own Idempotency-Key. */
export const idempotencyKeyHeader = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 printable ASCII characters');

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
