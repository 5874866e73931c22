import { teardown as teardownDynamo } from './dynamodb.global-setup';
import teardownPostgres from './postgres.global-teardown';

/** Jest global teardown: stops whatever the global setup started. */
export default async function teardown(): Promise<void> {
  await Promise.all([teardownPostgres(), teardownDynamo()]);
}
