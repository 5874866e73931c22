import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, startEmbeddedPostgres } from '@checkout-lab/embedded';

/**
 * Jest global setup: one real PostgreSQL server for the whole run of a project's tests.
 * Tests read TEST_POSTGRES_URL and create a database of their own (see createTestDatabase).
 */
export default async function setup(): Promise<void> {
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'checkout-lab-test-pg-')), 'data');
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort() });
  process.env['TEST_POSTGRES_URL'] = server.url();
  (globalThis as { __testPostgres?: typeof server }).__testPostgres = server;
}
