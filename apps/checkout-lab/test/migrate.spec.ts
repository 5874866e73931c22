// `checkout-lab migrate`: the backfill (libs/backfill, tested there) as the command runs it.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { backfillBillingToDynamo } from '@checkout-lab/backfill';
import { createDynamoClient, migrateBillingSchema, seedBillingAddresses, type DynamoConnection } from '@checkout-lab/billing-store';
import { REPO_ROOT } from '@checkout-lab/stack';
import { createTestDatabase, testDynamoEndpoint } from '@checkout-lab/testing';

describe('checkout-lab migrate', () => {
  it('exits 3 and names a corrupted and a missing item when the verification finds a difference', async () => {
    const sourceUrl = await createTestDatabase('migrate');
    await migrateBillingSchema(sourceUrl);
    await seedBillingAddresses(sourceUrl, { users: 50, addressesPerUser: 2 });
    const to: DynamoConnection = { table: `billing_${randomUUID()}`, endpoint: testDynamoEndpoint(), credentials: { accessKeyId: 'lab', secretAccessKey: 'lab' } };
    await backfillBillingToDynamo({ sourceUrl, target: to, verify: false });

    // One item changed, one gone: what the command must name (the field-level diff itself is tested in libs/backfill).
    const client = createDynamoClient(to);
    await client.send(new UpdateCommand({ TableName: to.table, Key: { userId: 'user-3', addressId: 'addr-3-0' }, UpdateExpression: 'SET postalCode = :pc', ExpressionAttributeValues: { ':pc': 'ZZ9 9ZZ' } }));
    await client.send(new DeleteCommand({ TableName: to.table, Key: { userId: 'user-21', addressId: 'addr-21-1' } }));
    client.destroy();

    const cli = await promisify(execFile)(
      process.execPath,
      ['-r', '@swc-node/register', 'apps/checkout-lab/src/main.ts', 'migrate'],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          SWC_NODE_PROJECT: 'tsconfig.base.json',
          BILLING_DATABASE_URL: sourceUrl,
          DYNAMODB_ENDPOINT: to.endpoint,
          DYNAMODB_TABLE: to.table,
          AWS_ACCESS_KEY_ID: 'lab',
          AWS_SECRET_ACCESS_KEY: 'lab',
        },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(cli.code).toBe(3);
    expect(cli.stderr).toContain('verification failed');
    expect(cli.stderr).toContain('user-3  addr-3-0  differs in postalCode');
    expect(cli.stderr).toContain('user-21  addr-21-1  missing in DynamoDB');
    expect(cli.stderr).not.toContain('ZZ9 9ZZ');
  });
});
