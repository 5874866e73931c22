import { migrateBillingSchema, seedBillingAddresses } from '@checkout-lab/billing-store';
import { ProgressBar } from '@checkout-lab/backfill';

/** Creates the legacy billing schema and bulk-loads `users` × `addressesPerUser` addresses (a no-op when already there). */
export async function seedBilling(
  billingDatabaseUrl: string,
  size: { users: number; addressesPerUser: number },
  stream: NodeJS.WriteStream = process.stderr,
): Promise<void> {
  await migrateBillingSchema(billingDatabaseUrl);
  const bar = new ProgressBar('seeding billing addresses', size.users * size.addressesPerUser, stream);
  const startedAt = Date.now();
  const result = await seedBillingAddresses(billingDatabaseUrl, { ...size, onProgress: (done) => bar.update(done) });
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  bar.done(
    result.skipped
      ? `${result.rows.toLocaleString('en-US')} addresses already seeded (${size.users.toLocaleString('en-US')} users)`
      : `${result.rows.toLocaleString('en-US')} addresses for ${size.users.toLocaleString('en-US')} users in ${seconds} s`,
  );
}
