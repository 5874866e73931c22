export { createTestDatabase, testDynamoEndpoint } from './database';
export { LOG_TIME, serviceLogLines, spawnService } from './service-logs';
export type { SpawnedService } from './service-logs';
