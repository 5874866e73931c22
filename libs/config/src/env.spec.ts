import { z } from 'zod';
import { ConfigError, env, parseEnv } from './env';

const schema = z.object({
  PORT: env.port(3000),
  DATABASE_URL: env.postgresUrl(),
  VERBOSE: env.boolean(false),
});

describe('parseEnv', () => {
  it('applies defaults and coerces strings', () => {
    const config = parseEnv('svc', schema, { DATABASE_URL: 'postgres://u@h/db', VERBOSE: '1' });
    expect(config).toEqual({ PORT: 3000, DATABASE_URL: 'postgres://u@h/db', VERBOSE: true });
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      parseEnv('svc', schema, { PORT: 'eighty', VERBOSE: 'yes' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('PORT');
    expect(message).toContain('"eighty"');
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('not set');
    expect(message).toContain('VERBOSE');
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('never prints a password or secret key it was given', () => {
    let message = '';
    try {
      parseEnv('svc', schema, { DATABASE_URL: 'mysql://admin:hunter2@db/x', PORT: 'sk_test_abc123' });
    } catch (caught) {
      message = (caught as Error).message;
    }
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('abc123');
  });

  it('returns a frozen object', () => {
    const config = parseEnv('svc', schema, { DATABASE_URL: 'postgresql://h/db' });
    expect(Object.isFrozen(config)).toBe(true);
  });
});
