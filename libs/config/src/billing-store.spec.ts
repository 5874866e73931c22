import { z } from 'zod';
import { BILLING_STORE_KINDS, billingStoreEnv, DEFAULT_BILLING_STORE } from './billing-store';
import { ConfigError, parseEnv } from './env';

const schema = z.object({ BILLING_STORE: billingStoreEnv.kind(), BILLING_SQL_PROFILE: billingStoreEnv.sqlProfile(), DYNAMODB_TABLE: billingStoreEnv.dynamoTable() });
const parse = (environment: NodeJS.ProcessEnv) => parseEnv('svc', schema, environment);

describe('the billing store kind (BILLING_STORE)', () => {
  it('knows the sql and dynamodb stores, sql unless set', () => {
    expect(BILLING_STORE_KINDS).toEqual(['sql', 'dynamodb']);
    for (const kind of BILLING_STORE_KINDS) expect(parse({ BILLING_STORE: kind }).BILLING_STORE).toBe(kind);
    expect(DEFAULT_BILLING_STORE).toBe('sql');
    expect(parse({})).toEqual({ BILLING_STORE: 'sql', BILLING_SQL_PROFILE: 'legacy', DYNAMODB_TABLE: 'billing_addresses' });
  });

  it('refuses any other value in one line naming the variable and the allowed values', () => {
    expect(() => parse({ BILLING_STORE: 'mongodb' })).toThrow(new ConfigError('svc', ['BILLING_STORE: must be one of: sql, dynamodb (got "mongodb")']));
  });

  it('refuses a bad SQL profile or table name the same way', () => {
    expect(() => parse({ BILLING_SQL_PROFILE: 'fast', DYNAMODB_TABLE: 'a b' })).toThrow(
      new ConfigError('svc', [
        'BILLING_SQL_PROFILE: must be one of: legacy, indexed (got "fast")',
        'DYNAMODB_TABLE: must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -) (got "a b")',
      ]),
    );
  });
});
