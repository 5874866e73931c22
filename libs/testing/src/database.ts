import { randomBytes } from 'node:crypto';
import { ensureDatabase } from '@checkout-lab/embedded';

/**
 * Creates a fresh database on the run's test server (started by the global setup) and
 * returns its URL, so each test file owns its data.
 */
export async function createTestDatabase(prefix = 'test'): Promise<string> {
  const adminUrl = process.env['TEST_POSTGRES_URL'];
  if (!adminUrl) throw new Error('TEST_POSTGRES_URL is not set: add the postgres global setup to this jest config');
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(adminUrl, name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The endpoint of the run's dynalite server (started by the global setup with `dynamodb: true`). */
export function testDynamoEndpoint(): string {
  const endpoint = process.env['TEST_DYNAMODB_ENDPOINT'];
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: add `dynamodb: true` to this jest config');
  return endpoint;
}
