import { freePort, startDynalite, type RunningDynalite } from '@checkout-lab/embedded';

/**
 * Jest global setup: one dynalite server (in its own process, in memory) for the whole run of a
 * project's tests. Tests read TEST_DYNAMODB_ENDPOINT and use tables of their own.
 */
export default async function setup(): Promise<void> {
  const server = await startDynalite({ port: await freePort() });
  process.env['TEST_DYNAMODB_ENDPOINT'] = server.endpoint;
  (globalThis as { __testDynamo?: RunningDynalite }).__testDynamo = server;
}

export async function teardown(): Promise<void> {
  const server = (globalThis as { __testDynamo?: RunningDynalite }).__testDynamo;
  if (server) await server.stop();
}
