export { createTestDatabase, testDynamoEndpoint } from './database';
