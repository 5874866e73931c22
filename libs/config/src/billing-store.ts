import { z } from 'zod';

/**
 * The billing store billing-address serves from, and its settings: one definition for the
 * service's config, the lab's settings and the experiment definitions.
 */

/** BILLING_STORE: which store billing-address reads addresses from. */
export const BILLING_STORE_KINDS = ['sql', 'dynamodb'] as const;
export type BillingStoreKind = (typeof BILLING_STORE_KINDS)[number];
export const DEFAULT_BILLING_STORE = 'sql' as const satisfies BillingStoreKind;
/** The one-line problem with a BILLING_STORE that names no store. */
export const BILLING_STORE_PROBLEM = `must be one of: ${BILLING_STORE_KINDS.join(', ')}`;

/** BILLING_SQL_PROFILE: the SQL store's schema, `legacy` (the incident's) or `indexed` (the fix). */
export const SQL_PROFILES = ['legacy', 'indexed'] as const;
export type SqlProfile = (typeof SQL_PROFILES)[number];
export const DEFAULT_SQL_PROFILE = 'legacy' as const satisfies SqlProfile;

/** DYNAMODB_TABLE: the DynamoDB store's table. */
export const DEFAULT_BILLING_TABLE = 'billing_addresses';

/** Env schemas for the store's variables, with their defaults (see parseEnv). */
export const billingStoreEnv = {
  kind: () => z.enum(BILLING_STORE_KINDS, { error: BILLING_STORE_PROBLEM }).default(DEFAULT_BILLING_STORE),
  sqlProfile: () => z.enum(SQL_PROFILES, { error: `must be one of: ${SQL_PROFILES.join(', ')}` }).default(DEFAULT_SQL_PROFILE),
  dynamoTable: () =>
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)')
      .default(DEFAULT_BILLING_TABLE),
};
