import { ConfigurableModuleBuilder, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { BillingAddressStore, createBillingAddressStore, type BillingStoreConfig } from '@checkout-lab/billing-store';
import { LOGGER } from '../logger';
import { BillingController, INJECTED_LOOKUP_DELAY_MS } from './billing.controller';

export interface BillingModuleOptions {
  store: BillingStoreConfig;
  logger: Logger;
  /** Calibration only: a known delay inside every lookup (ms). */
  injectLookupDelayMs?: number;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<BillingModuleOptions>()
  .setClassMethodName('forRoot')
  .build();

/** The billing feature: the gRPC controller and the store it reads, chosen by the store factory. */
@Module({
  controllers: [BillingController],
  providers: [
    {
      provide: BillingAddressStore,
      useFactory: (options: BillingModuleOptions) =>
        createBillingAddressStore(options.store, {
          onIdleError: (info) => options.logger.warn({ code: info.code }, `billing store: ${info.message}; the pool replaces it`),
        }),
      inject: [MODULE_OPTIONS_TOKEN],
    },
    { provide: LOGGER, useFactory: (options: BillingModuleOptions) => options.logger, inject: [MODULE_OPTIONS_TOKEN] },
    { provide: INJECTED_LOOKUP_DELAY_MS, useFactory: (options: BillingModuleOptions) => options.injectLookupDelayMs ?? 0, inject: [MODULE_OPTIONS_TOKEN] },
  ],
  exports: [BillingAddressStore],
})
export class BillingModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(private readonly store: BillingAddressStore) {
    super();
  }

  /** After the gRPC server has stopped: release the store's pool. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
