export { ConfigError, parseEnv, env } from './env';
