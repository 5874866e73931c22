export { ConfigError, parseEnv, env } from './env';
export { runService } from './run-service';
export type { ServiceMain } from './run-service';
export { seededRandom } from './random';
export type { Random } from './random';
