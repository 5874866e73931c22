/**
 * DI token of the service's pino logger (createServiceLogger in @checkout-lab/telemetry: the same
 * JSON lines as cart and payment). What is logged must never include a billing address, a name or
 * an e-mail: log ids, codes and counts only.
 */
export const LOGGER = Symbol('billing-address.logger');
