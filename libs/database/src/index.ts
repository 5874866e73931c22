export { migrate } from './migrate';
export type { MigrateOptions } from './migrate';
export { classifyDatabaseError, isUniqueViolation } from './errors';
export type { DatabaseFailure } from './errors';
export { withClient } from './client';
export { createPool } from './pool';
export type { PoolOptions } from './pool';
export { probeDatabase } from './probe';
