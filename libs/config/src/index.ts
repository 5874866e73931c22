export { ConfigError, parseEnv, env, injectedDelay } from './env';
export {
  BILLING_STORE_KINDS,
  DEFAULT_BILLING_STORE,
  BILLING_STORE_PROBLEM,
  SQL_PROFILES,
  DEFAULT_SQL_PROFILE,
  DEFAULT_BILLING_TABLE,
  billingStoreEnv,
} from './billing-store';
export type { BillingStoreKind, SqlProfile } from './billing-store';
export { parseDuration, durationSchema, DurationError } from './duration';
export { runService } from './run-service';
export { logLine } from './log-line';
export type { ServiceMain } from './run-service';
export { seededRandom } from './random';
export type { Random } from './random';
export { PeriodicTask } from './periodic';
