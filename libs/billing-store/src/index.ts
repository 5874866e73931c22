export { BillingAddressStore, validateUserId } from './billing-address.store';
export type { BillingAddress, BillingAddressInput } from './billing-address.store';
export {
  BillingStoreError,
  BillingStoreUnavailableError,
  BillingStoreTimeoutError,
  BillingStoreCancelledError,
  InvalidBillingAddressError,
  AddressOwnedByAnotherUserError,
} from './billing-store.errors';
export { PostgresBillingAddressStore, BILLING_LOOKUP_SQL } from './postgres.billing-address.store';
export type { PostgresBillingAddressStoreOptions } from './postgres.billing-address.store';
export { migrateBillingSchema, applySqlProfile, BILLING_LOOKUP_INDEX } from './postgres.schema';
export { seedBillingAddresses } from './postgres.seed';
export type { SeedOptions, SeedResult } from './postgres.seed';
export { createBillingAddressStore, prepareBillingStore } from './billing-address-store.factory';
export type { BillingStoreConfig, SqlBillingStoreConfig, DynamoBillingStoreConfig, StoreHooks } from './billing-address-store.factory';
export { DynamoBillingAddressStore } from './dynamo.billing-address.store';
export {
  BATCH_WRITE_MAX,
  BATCH_GET_MAX,
  createDynamoClient,
  ensureBillingTable,
  writeBillingBatch,
  readBillingBatch,
  countBillingItems,
  backoffMs,
  isThrottling,
  describeEndpoint,
} from './dynamo.billing-table';
export type { DynamoConnection } from './dynamo.billing-table';
export { PostgresBillingAddressReader } from './postgres.billing-address.reader';
export { benchBillingLookups, lookupBenchTable } from './billing-lookup.benchmark';
export type { LookupBenchBackend, LookupBenchData, LookupBenchOptions, LookupMeasurement } from './billing-lookup.benchmark';
