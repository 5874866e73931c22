import { Module, type DynamicModule } from '@nestjs/common';
import { Pool } from 'pg';
import pino, { type Logger } from 'pino';
import type { PaymentConfig } from './config';
import { HealthController } from './health/health.controller';
import { BillingAddressLookup, GrpcBillingAddressLookup } from './payments/billing-address.client';
import { PaymentsController } from './payments/payments.controller';
import { PaymentsRepository } from './payments/payments.repository';
import { PaymentsService } from './payments/payments.service';
import { PaymentGateway, StripePaymentGateway } from './payments/stripe.gateway';

@Module({})
export class AppModule {
  static register(config: PaymentConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      controllers: [PaymentsController, HealthController],
      providers: [
        {
          provide: Pool,
          useFactory: () => new Pool({ connectionString: config.database.url, max: config.database.poolMax }),
        },
        { provide: PaymentsRepository, inject: [Pool], useFactory: (pool: Pool) => new PaymentsRepository(pool) },
        {
          provide: BillingAddressLookup,
          useFactory: () => new GrpcBillingAddressLookup(config.billingAddress.target, config.billingAddress.deadlineMs),
        },
        { provide: PaymentGateway, useFactory: () => new StripePaymentGateway(config.stripe) },
        {
          provide: PaymentsService,
          inject: [PaymentsRepository, BillingAddressLookup, PaymentGateway],
          useFactory: (repository: PaymentsRepository, billing: BillingAddressLookup, gateway: PaymentGateway) =>
            new PaymentsService(repository, billing, gateway, logger),
        },
      ],
    };
  }
}

export function createLogger(level: PaymentConfig['logLevel']): Logger {
  return pino({ level, base: { service: 'payment' } });
}
