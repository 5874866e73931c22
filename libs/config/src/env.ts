import { z } from 'zod';

/** Thrown when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(`${service}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses environment variables with a zod schema whose keys are the variable names, and
 * returns a deeply frozen result. Every bad variable is named in one error, so a user fixes
 * them all at once.
 */
export function parseEnv<S extends z.ZodType>(service: string, schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
      const shown = value === undefined ? 'not set' : `got ${JSON.stringify(redact(value))}`;
      return `${name}: ${issue.message} (${shown})`;
    });
    throw new ConfigError(service, problems);
  }
  return deepFreeze(result.data);
}

/** Hides a password in a URL-like value, so an error message never prints a secret. */
function redact(value: string): string {
  return value.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/, '$1***@').replace(/\b(sk|rk)_(test|live)_\S+/, '$1_$2_***');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Building blocks for env schemas: each accepts the string form a shell gives. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  nonNegativeNumber: (fallback: number) => z.coerce.number().nonnegative().default(fallback),
  /** A known, fixed delay the lab injects at a named place (calibration experiments); 0 = none. */
  injectedDelayMs: () => z.coerce.number().nonnegative().max(60_000).default(0),
  url: () => z.string().url('must be a URL'),
  postgresUrl: () =>
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .refine((value) => URL.canParse(value), 'must be a valid URL'),
  /** host:port, as gRPC targets are written. */
  hostPort: (fallback: string) => z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').default(fallback),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1'),
};

/**
 * Waits a configured, injected delay (see env.injectedDelayMs): the calibration experiments put a
 * known latency at a known place and check that the report finds it there. A no-op at 0.
 */
export async function injectedDelay(ms: number): Promise<void> {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}
