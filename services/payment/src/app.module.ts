import { Module, type DynamicModule } from '@nestjs/common';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { createPool } from '@checkout-lab/database';
import type { PaymentConfig } from './config';
import { HealthController, PaymentReadiness } from './health/health.controller';
import { BillingAddressLookup, GrpcBillingAddressLookup } from './payments/billing-address.client';
import { PAYMENT_LOGGER } from './payments/payment.errors';
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
        { provide: PAYMENT_LOGGER, useValue: logger },
        {
          provide: Pool,
          useFactory: () => createAppPool(config, logger),
        },
        { provide: PaymentsRepository, inject: [Pool], useFactory: (pool: Pool) => new PaymentsRepository(pool) },
        { provide: PaymentReadiness, inject: [Pool], useFactory: (pool: Pool) => new PaymentReadiness(pool, config.billingAddress.target) },
        {
          provide: BillingAddressLookup,
          useFactory: () => new GrpcBillingAddressLookup(config.billingAddress.target, config.billingAddress.deadlineMs),
        },
        { provide: PaymentGateway, useFactory: () => new StripePaymentGateway(config.stripe) },
        {
          provide: PaymentsService,
          inject: [PaymentsRepository, BillingAddressLookup, PaymentGateway],
          useFactory: (repository: PaymentsRepository, billing: BillingAddressLookup, gateway: PaymentGateway) =>
            new PaymentsService(repository, billing, gateway, logger, { leaseMs: config.reconcile.leaseMs, reconcileAfterMs: config.reconcile.afterMs }),
        },
      ],
    };
  }
}

/** payment's pool: every statement time-limited; an idle connection the server closes is logged and replaced. */
function createAppPool(config: PaymentConfig, logger: Logger): Pool {
  return createPool({
    connectionString: config.database.url,
    max: config.database.poolMax,
    statementTimeoutMs: config.database.statementTimeoutMs,
    connectTimeoutMs: config.database.connectTimeoutMs,
    applicationName: 'payment',
    onIdleError: (info) => logger.warn({ dependency: 'payment-db', code: info.code }, `payment-db: ${info.message}; the pool replaces it`),
  });
}
