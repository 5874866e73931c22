import { ConfigError } from '@checkout-lab/config';
import { loadConfig } from './config';

const DATABASE_URL = 'postgres://lab:lab@127.0.0.1:5433/billing';

function problems(environment: NodeJS.ProcessEnv): string {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('needs only the database URL and fills in the documented defaults', () => {
    const config = loadConfig({ BILLING_DATABASE_URL: DATABASE_URL, UNRELATED: 'ignored' });

    expect(config).toEqual({
      grpc: { host: '127.0.0.1', port: 50052 },
      inject: { lookupDelayMs: 0 },
      metrics: { port: 9466 },
      store: {
        kind: 'sql',
        profile: 'legacy',
        databaseUrl: DATABASE_URL,
        poolMax: 4,
        statementTimeoutMs: 10_000,
        connectTimeoutMs: 2_000,
      },
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.store)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      BILLING_GRPC_HOST: '0.0.0.0',
      BILLING_GRPC_PORT: '6000',
      BILLING_STORE: 'sql',
      BILLING_SQL_PROFILE: 'indexed',
      BILLING_DATABASE_URL: DATABASE_URL,
      BILLING_DB_POOL_MAX: '2',
      BILLING_DB_STATEMENT_TIMEOUT_MS: '250',
      BILLING_DB_CONNECT_TIMEOUT_MS: '100',
      LOG_LEVEL: 'warn',
      BILLING_METRICS_PORT: '6001',
    });

    expect(config).toEqual({
      grpc: { host: '0.0.0.0', port: 6000 },
      inject: { lookupDelayMs: 0 },
      metrics: { port: 6001 },
      store: { kind: 'sql', profile: 'indexed', databaseUrl: DATABASE_URL, poolMax: 2, statementTimeoutMs: 250, connectTimeoutMs: 100 },
      logLevel: 'warn',
    });
  });

  it('requires BILLING_DATABASE_URL for the sql store', () => {
    expect(problems({})).toMatch(/BILLING_DATABASE_URL: .*\(not set\)/);
    expect(problems({ BILLING_DATABASE_URL: 'mysql://h/db' })).toContain('BILLING_DATABASE_URL');
  });

  it('names an unknown store', () => {
    expect(problems({ BILLING_STORE: 'mongodb', BILLING_DATABASE_URL: DATABASE_URL })).toMatch(
      /BILLING_STORE: must be one of: sql, dynamodb \(got "mongodb"\)/,
    );
  });

  it('selects the dynamodb store without any SQL variable; table defaults to billing_addresses, region and credentials to the AWS chain', () => {
    expect(loadConfig({ BILLING_STORE: 'dynamodb' }).store).toEqual({
      kind: 'dynamodb',
      table: 'billing_addresses',
      requestTimeoutMs: 2_000,
    });
    expect(
      loadConfig({ BILLING_STORE: 'dynamodb', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000', BILLING_DATABASE_URL: 'not even a URL' }).store,
    ).toEqual({ kind: 'dynamodb', table: 'billing_addresses', endpoint: 'http://127.0.0.1:8000', region: 'us-east-1', requestTimeoutMs: 2_000 });
    expect(
      loadConfig({
        BILLING_STORE: 'dynamodb',
        DYNAMODB_TABLE: 'addresses-prod',
        AWS_REGION: 'eu-west-1',
        DYNAMODB_REQUEST_TIMEOUT_MS: '500',
      }).store,
    ).toEqual({ kind: 'dynamodb', table: 'addresses-prod', region: 'eu-west-1', requestTimeoutMs: 500 });
  });

  it('names bad dynamodb variables', () => {
    const message = problems({ BILLING_STORE: 'dynamodb', DYNAMODB_ENDPOINT: 'localhost 8000', DYNAMODB_TABLE: 'a b', AWS_REGION: 'EU West' });
    for (const name of ['DYNAMODB_ENDPOINT', 'DYNAMODB_TABLE', 'AWS_REGION']) expect(message).toContain(name);
    expect(message).not.toContain('BILLING_DATABASE_URL');
  });

  it('names every bad variable at once', () => {
    const message = problems({
      BILLING_DATABASE_URL: DATABASE_URL,
      BILLING_GRPC_PORT: '70000',
      BILLING_SQL_PROFILE: 'fast',
      BILLING_DB_POOL_MAX: '0',
      BILLING_DB_STATEMENT_TIMEOUT_MS: 'soon',
      BILLING_DB_CONNECT_TIMEOUT_MS: '-1',
      LOG_LEVEL: 'loud',
    });

    for (const name of [
      'BILLING_GRPC_PORT',
      'BILLING_SQL_PROFILE',
      'BILLING_DB_POOL_MAX',
      'BILLING_DB_STATEMENT_TIMEOUT_MS',
      'BILLING_DB_CONNECT_TIMEOUT_MS',
      'LOG_LEVEL',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('BILLING_DATABASE_URL');
  });

  it('rejects port 0, which would hide the port actually bound', () => {
    expect(problems({ BILLING_DATABASE_URL: DATABASE_URL, BILLING_GRPC_PORT: '0' })).toContain('BILLING_GRPC_PORT');
  });
});
