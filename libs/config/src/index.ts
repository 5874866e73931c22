export { ConfigError, parseEnv, env } from './env';
export { runService } from './run-service';
export type { ServiceMain } from './run-service';
