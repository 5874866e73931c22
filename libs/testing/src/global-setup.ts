import setupDynamo from './dynamodb.global-setup';
import setupPostgres from './postgres.global-setup';

/** The test servers the preset was asked for (see jest-preset.js). */
export interface TestServers {
  postgres?: boolean;
  dynamodb?: boolean;
}

/** Jest global setup: starts the servers named in the project's `globals.checkoutLabTestServers`, side by side. */
export default async function setup(_globalConfig: unknown, projectConfig: { globals?: Record<string, unknown> }): Promise<void> {
  const servers = (projectConfig.globals?.['checkoutLabTestServers'] ?? {}) as TestServers;
  await Promise.all([servers.postgres ? setupPostgres() : undefined, servers.dynamodb ? setupDynamo() : undefined]);
}
