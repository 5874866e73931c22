export { ConfigError, parseEnv, env, injectedDelay } from './env';
export { runService } from './run-service';
export type { ServiceMain } from './run-service';
export { seededRandom } from './random';
export type { Random } from './random';
export { PeriodicTask } from './periodic';
