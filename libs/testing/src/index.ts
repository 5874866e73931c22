export { createTestDatabase } from './database';
