import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, startEmbeddedPostgres, type RunningPostgres } from '@checkout-lab/embedded';

export interface TestPostgres {
  server: RunningPostgres;
  /** Temporary folder holding the data directory; removed by the teardown. */
  root: string;
}

/**
 * Jest global setup: one real PostgreSQL server for the whole run of a project's tests.
 * Tests read TEST_POSTGRES_URL and create a database of their own (see createTestDatabase).
 */
export default async function setup(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'checkout-lab-test-pg-'));
  const dataDir = path.join(root, 'data');
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort() });
  process.env['TEST_POSTGRES_URL'] = server.url();
  (globalThis as { __testPostgres?: TestPostgres }).__testPostgres = { server, root };
}
