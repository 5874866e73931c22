import { ConfigError } from '@checkout-lab/config';
import { ATTR_BILLING_SQL_PROFILE, ATTR_BILLING_STORE } from '@checkout-lab/telemetry';
import { telemetryResource } from './telemetry-resource';

const DATABASE_URL = 'postgres://lab:lab@127.0.0.1:5433/billing';

describe('telemetryResource', () => {
  it('labels the process with the store it serves from, and the SQL profile for sql', () => {
    expect(telemetryResource({ BILLING_DATABASE_URL: DATABASE_URL })).toEqual({ 'billing.store': 'sql', 'billing.sql_profile': 'legacy' });
    expect(telemetryResource({ BILLING_DATABASE_URL: DATABASE_URL, BILLING_SQL_PROFILE: 'indexed' })).toEqual({ 'billing.store': 'sql', 'billing.sql_profile': 'indexed' });
    expect(telemetryResource({ BILLING_STORE: 'dynamodb' })).toEqual({ 'billing.store': 'dynamodb' });
  });

  it("uses the keys the lookup span has (telemetry's lab conventions), written out because the preload loads this file", () => {
    expect(Object.keys(telemetryResource({ BILLING_DATABASE_URL: DATABASE_URL }))).toEqual([ATTR_BILLING_STORE, ATTR_BILLING_SQL_PROFILE]);
  });

  it("fails as the service's config does, naming the bad variable", () => {
    expect(() => telemetryResource({ BILLING_STORE: 'mongodb' })).toThrow(ConfigError);
    expect(() => telemetryResource({ BILLING_STORE: 'mongodb' })).toThrow(/BILLING_STORE: must be one of: sql, dynamodb \(got "mongodb"\)/);
  });
});
