export { BillingAddressStore, validateUserId } from './billing-address.store';
export type { BillingAddress, BillingAddressInput } from './billing-address.store';
export {
  BillingStoreError,
  BillingStoreUnavailableError,
  BillingStoreTimeoutError,
  InvalidBillingAddressError,
} from './billing-store.errors';
export { PostgresBillingAddressStore, BILLING_LOOKUP_SQL, SQL_PROFILES } from './postgres.billing-address.store';
export type { PostgresBillingAddressStoreOptions, SqlProfile } from './postgres.billing-address.store';
export { migrateBillingSchema, applySqlProfile, BILLING_LOOKUP_INDEX } from './postgres.schema';
export { seedBillingAddresses } from './postgres.seed';
export type { SeedOptions, SeedResult } from './postgres.seed';
export { createBillingAddressStore, prepareBillingStore } from './billing-address-store.factory';
export type { BillingStoreConfig, SqlBillingStoreConfig } from './billing-address-store.factory';
export { describeBillingAddressStoreContract } from './billing-address-store.contract';
