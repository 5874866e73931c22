import type { TelemetryResource } from '@checkout-lab/telemetry';
// The conventions alone (strings, no imports), not the barrel, which loads @grpc/grpc-js, pino and the rest of the library.
import { ATTR_BILLING_SQL_PROFILE, ATTR_BILLING_STORE } from '@checkout-lab/telemetry/lab-conventions';
import { loadConfig } from './config';

/**
 * What billing-address adds to its telemetry resource: the store it serves from (and the SQL
 * store's profile), so every span and metric of the process says which store answered. Named in
 * package.json ("telemetryResource"): the telemetry preload calls it before the service's own
 * modules load, so this file reaches the config and the conventions and nothing else (no driver).
 */
export const telemetryResource: TelemetryResource = (environment): Record<string, string> => {
  const { store } = loadConfig(environment);
  switch (store.kind) {
    case 'sql':
      return { [ATTR_BILLING_STORE]: store.kind, [ATTR_BILLING_SQL_PROFILE]: store.profile };
    case 'dynamodb':
      return { [ATTR_BILLING_STORE]: store.kind };
  }
};
