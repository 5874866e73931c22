import { rm } from 'node:fs/promises';
import type { TestPostgres } from './postgres.global-setup';

export default async function teardown(): Promise<void> {
  const testPostgres = (globalThis as { __testPostgres?: TestPostgres }).__testPostgres;
  if (!testPostgres) return;
  await testPostgres.server.stop();
  await rm(testPostgres.root, { recursive: true, force: true });
}
