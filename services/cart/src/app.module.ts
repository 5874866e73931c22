import { Module, type DynamicModule } from '@nestjs/common';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { createPool } from '@checkout-lab/database';
import { CartsController } from './carts/carts.controller';
import { CartsRepository } from './carts/carts.repository';
import { CheckoutService } from './checkout/checkout.service';
import { GrpcPaymentAuthorizer, PaymentAuthorizer, PaymentTarget } from './checkout/payment.client';
import type { CartConfig } from './config';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { OrdersController } from './orders/orders.controller';
import { OrdersRepository } from './orders/orders.repository';

@Module({})
export class AppModule {
  static register(config: CartConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      controllers: [CartsController, OrdersController, HealthController, MetricsController],
      providers: [
        { provide: Pool, useFactory: () => createAppPool(config, logger) },
        { provide: CartsRepository, inject: [Pool], useFactory: (pool: Pool) => new CartsRepository(pool) },
        { provide: OrdersRepository, inject: [Pool], useFactory: (pool: Pool) => new OrdersRepository(pool) },
        { provide: PaymentTarget, useValue: new PaymentTarget(config.payment.target) },
        { provide: PaymentAuthorizer, useFactory: () => new GrpcPaymentAuthorizer(config.payment.target, config.payment.deadlineMs) },
        {
          provide: CheckoutService,
          inject: [OrdersRepository, PaymentAuthorizer],
          useFactory: (orders: OrdersRepository, payment: PaymentAuthorizer) =>
            new CheckoutService(
              orders,
              payment,
              { currency: config.currency, leaseMs: config.payment.orderLeaseMs, injectDelayMs: config.inject.checkoutDelayMs },
              logger,
            ),
        },
      ],
    };
  }
}

/** cart's pool: every statement time-limited; an idle connection the server closes is logged and replaced. */
function createAppPool(config: CartConfig, logger: Logger): Pool {
  return createPool({
    connectionString: config.database.url,
    max: config.database.poolMax,
    statementTimeoutMs: config.database.statementTimeoutMs,
    connectTimeoutMs: config.database.connectTimeoutMs,
    applicationName: 'cart',
    onIdleError: (info) => logger.warn({ dependency: 'cart-db', code: info.code }, `cart-db: ${info.message}; the pool replaces it`),
  });
}
