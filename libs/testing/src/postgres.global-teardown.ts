import type { RunningPostgres } from '@checkout-lab/embedded';

export default async function teardown(): Promise<void> {
  await (globalThis as { __testPostgres?: RunningPostgres }).__testPostgres?.stop();
}
