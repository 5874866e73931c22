import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { BillingModule } from './billing/billing.module';
import type { BillingAddressConfig } from './config';
import { HealthController } from './health/health.controller';

@Module({})
export class AppModule {
  static forRoot(config: BillingAddressConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [BillingModule.forRoot({ store: config.store, logger, injectLookupDelayMs: config.inject.lookupDelayMs })],
      controllers: [HealthController],
    };
  }
}
