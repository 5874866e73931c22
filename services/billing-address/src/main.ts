import 'reflect-metadata';
import { ConfigError } from '@checkout-lab/config';
import { startBillingAddressService, type RunningBillingAddressService } from './bootstrap';
import { loadConfig, type BillingAddressConfig } from './config';
import { createLogger } from './logger';

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config: BillingAddressConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const logger = createLogger(config.logLevel);
  let service: RunningBillingAddressService;
  try {
    service = await startBillingAddressService(config, { logger });
  } catch (error) {
    logger.fatal(
      { error: error instanceof Error ? error.name : typeof error, reason: error instanceof Error ? error.message : String(error) },
      'billing-address failed to start',
    );
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'billing-address stopping');
    setTimeout(() => {
      logger.error({ graceMs: SHUTDOWN_GRACE_MS }, 'billing-address did not stop in time; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'billing-address failed to stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`billing-address: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
