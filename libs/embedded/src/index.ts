export { startEmbeddedPostgres, ensureDatabase, isAlive } from './postgres';
export type { EmbeddedPostgresOptions, RunningPostgres } from './postgres';
export { freePort, waitUntil } from './ports';
