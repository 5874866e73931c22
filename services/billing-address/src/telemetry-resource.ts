import type { TelemetryResource } from '@checkout-lab/telemetry';
import { loadConfig } from './config';

/**
 * What billing-address adds to its telemetry resource: the store it serves from (and the SQL
 * store's profile), so every span and metric of the process says which store answered. Named in
 * package.json ("telemetryResource"): the telemetry preload calls it before the service's own
 * modules load, so this file reaches the config and nothing else (no driver). That is why the two
 * keys are written out here rather than imported: they are telemetry's ATTR_BILLING_STORE and
 * ATTR_BILLING_SQL_PROFILE, but its barrel loads @grpc/grpc-js, pino and the rest of the library.
 */
export const telemetryResource: TelemetryResource = (environment): Record<string, string> => {
  const { store } = loadConfig(environment);
  switch (store.kind) {
    case 'sql':
      return { 'billing.store': store.kind, 'billing.sql_profile': store.profile };
    case 'dynamodb':
      return { 'billing.store': store.kind };
  }
};
