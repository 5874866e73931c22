export { startEmbeddedPostgres, ensureDatabase, isAlive } from './postgres';
export type { EmbeddedPostgresOptions, RunningPostgres } from './postgres';
export { freePort, listenerOn, portInUse, reserveEphemeralPorts, waitUntil } from './ports';
export { startDynalite } from './dynalite';
export type { DynaliteOptions, RunningDynalite } from './dynalite';
