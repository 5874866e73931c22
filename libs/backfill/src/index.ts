export { backfillBillingToDynamo, BackfillInterruptedError } from './backfill';
export type { BackfillOptions, BackfillResult, Mismatch, VerifyResult } from './backfill';
export { runBackfill, mismatchReport } from './run-backfill';
export { ProgressBar } from './progress';
