/**
 * The one templating rule for scenario files, shared by the k6 entry scripts and the built-in
 * driver (so this file has no imports: k6 loads it as it is).
 *
 * JSON cannot hold expressions, so any string value may contain `${NAME}` or `${NAME:-default}`;
 * each is replaced by the environment variable NAME, or by the default when NAME is unset or
 * empty. When the whole string is one placeholder and the result reads as a number, the value
 * becomes a JSON number (`"${RATE:-20}"` → `20`). Object keys are never substituted. A
 * placeholder without a default whose variable is unset is an error that names it.
 */
export type EnvLike = Record<string, string | undefined>;

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;
const NUMBER = /^-?\d+(\.\d+)?$/;

export class ScenarioEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioEnvError';
  }
}

export function applyScenarioEnv<T>(value: T, env: EnvLike): T {
  return substitute(value, env, '') as T;
}

function substitute(value: unknown, env: EnvLike, at: string): unknown {
  if (typeof value === 'string') return substituteString(value, env, at);
  if (Array.isArray(value)) return value.map((item, index) => substitute(item, env, `${at}[${index}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out[key] = substitute(item, env, at ? `${at}.${key}` : key);
    }
    return out;
  }
  return value;
}

function substituteString(text: string, env: EnvLike, at: string): string | number {
  const whole = WHOLE.test(text);
  const result = text.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (fallback !== undefined) return fallback;
    throw new ScenarioEnvError(`${at || 'scenario'}: \${${name}} has no default and ${name} is not set`);
  });
  return whole && NUMBER.test(result) ? Number(result) : result;
}
