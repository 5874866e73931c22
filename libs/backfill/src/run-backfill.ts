import { ProgressBar } from './progress';
import { backfillBillingToDynamo, type BackfillOptions, type BackfillResult, type VerifyResult } from './backfill';

/** Runs the backfill with progress bars on `stream` and a one-line summary of each phase. */
export async function runBackfill(
  options: Omit<BackfillOptions, 'onCopyProgress' | 'onVerifyProgress'>,
  stream: NodeJS.WriteStream = process.stderr,
): Promise<BackfillResult> {
  let copyBar: ProgressBar | undefined;
  let verifyBar: ProgressBar | undefined;
  let copy: { startedAt: number; first: number; last: number; total: number } | undefined;
  const copySummary = () => {
    if (!copy || !copyBar) return;
    const copied = copy.last - copy.first;
    const seconds = (Date.now() - copy.startedAt) / 1000;
    copyBar.done(
      copied === 0
        ? `nothing to copy (${fmt(copy.total)} addresses already migrated)`
        : `${fmt(copied)} addresses in ${seconds.toFixed(1)} s (${fmt(Math.round(copied / Math.max(seconds, 0.001)))}/s)` +
            (copy.first > 0 ? `, resumed after ${fmt(copy.first)}` : ''),
    );
    copyBar = undefined;
  };
  try {
    const result = await backfillBillingToDynamo({
      ...options,
      onCopyProgress: (done, total) => {
        copy ??= { startedAt: Date.now(), first: done, last: done, total };
        copy.last = done;
        copyBar ??= new ProgressBar('copying addresses to DynamoDB', total, stream);
        copyBar.update(done);
      },
      onVerifyProgress: (done, total) => {
        copySummary();
        verifyBar ??= new ProgressBar('verifying', total, stream);
        verifyBar.update(done);
      },
    });
    copySummary();
    if (result.verify) verifyBar?.done(describeVerify(result.verify, result.verify.seconds));
    return result;
  } catch (error) {
    if (copyBar && stream.isTTY) stream.write('\n');
    throw error;
  }
}

export function describeVerify(verify: VerifyResult, seconds: number): string {
  const head = `${fmt(verify.checked)} addresses compared in ${seconds.toFixed(1)} s; SQL ${fmt(verify.sourceRows)} rows, DynamoDB ${fmt(verify.targetItems)} items`;
  return verify.ok ? `${head}: identical` : `${head}: ${fmt(verify.mismatchCount)} mismatched`;
}

/** The mismatch report: one line per address (user id, address id, differing fields), at most `limit`. */
export function mismatchReport(verify: VerifyResult, limit = 50): string {
  const lines: string[] = [];
  if (verify.sourceRows !== verify.targetItems) {
    lines.push(`count differs: SQL has ${fmt(verify.sourceRows)} addresses, DynamoDB ${fmt(verify.targetItems)} items`);
  }
  for (const mismatch of verify.mismatches.slice(0, limit)) {
    lines.push(
      `  ${mismatch.userId}  ${mismatch.addressId}  ${mismatch.fields === 'missing' ? 'missing in DynamoDB' : `differs in ${mismatch.fields.join(', ')}`}`,
    );
  }
  if (verify.mismatchCount > limit) lines.push(`  … and ${fmt(verify.mismatchCount - limit)} more`);
  return lines.join('\n');
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
