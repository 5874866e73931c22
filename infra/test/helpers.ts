import * as path from 'node:path';
import { CONFIG_ENV_VARS as CART_VARS, loadConfig as loadCartConfig } from '@checkout-lab/cart/src/config';
import { CONFIG_ENV_VARS as PAYMENT_VARS, loadConfig as loadPaymentConfig } from '@checkout-lab/payment/src/config';
import { CONFIG_ENV_VARS as BILLING_VARS, loadConfig as loadBillingConfig } from '@checkout-lab/billing-address/src/config';
import { TELEMETRY_ENV_VARS } from '@checkout-lab/telemetry';

export const REPO = path.resolve(__dirname, '..', '..');
export const INFRA = path.join(REPO, 'infra');

/** The AWS SDK's default credential/region chain: what a container may set for AWS access. */
export const AWS_ENV_VARS = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_SESSION_NAME',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_DYNAMODB',
];

export interface ServiceSchema {
  known: ReadonlySet<string>;
  /** Parses like the service does at start-up; throws ConfigError naming bad or missing variables. */
  load(env: Record<string, string>): unknown;
}

const withCommon = (vars: readonly string[]) => new Set([...vars, ...TELEMETRY_ENV_VARS, ...AWS_ENV_VARS]);

/** What each service's own config schema (plus telemetry and the AWS chain) knows. */
export const SERVICE_SCHEMAS: Record<'cart' | 'payment' | 'billing-address', ServiceSchema> = {
  cart: { known: withCommon(CART_VARS), load: (env) => loadCartConfig(env) },
  payment: { known: withCommon(PAYMENT_VARS), load: (env) => loadPaymentConfig(env) },
  'billing-address': { known: withCommon(BILLING_VARS), load: (env) => loadBillingConfig(env) },
};

export const SERVICES = Object.keys(SERVICE_SCHEMAS) as (keyof typeof SERVICE_SCHEMAS)[];
