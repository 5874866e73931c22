import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { Pool } from 'pg';
import { LOADER_OPTIONS, PROTO_FILES, PROTO_PACKAGES } from '@checkout-lab/contracts';
import { migrate } from '@checkout-lab/database';
import { createServiceLogger, NestPinoLogger, routeGrpcLogs, serveMetrics, shutdownTelemetry, telemetryEnabled } from '@checkout-lab/telemetry';
import { AppModule } from './app.module';
import type { PaymentConfig } from './config';
import { BillingAddressLookup, GrpcBillingAddressLookup } from './payments/billing-address.client';
import { PaymentsReconciler } from './payments/payments.reconciler';
import { PaymentsRepository } from './payments/payments.repository';
import { PaymentsService } from './payments/payments.service';

export interface RunningPaymentService {
  address: string;
  close(): Promise<void>;
}

const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** Migrates payment's database and serves PaymentService (and grpc.health.v1) over gRPC. */
export async function startPaymentService(config: PaymentConfig): Promise<RunningPaymentService> {
  const logger = createServiceLogger({ service: 'payment', level: config.logLevel });
  routeGrpcLogs(logger);
  await migrate({ database: config.database.url, dir: MIGRATIONS_DIR, table: 'payment_migrations' });
  const address = `${config.grpc.host}:${config.grpc.port}`;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule.register(config, logger), {
    transport: Transport.GRPC,
    options: {
      url: address,
      package: [PROTO_PACKAGES.payment, PROTO_PACKAGES.health],
      protoPath: [PROTO_FILES.payment, PROTO_FILES.health],
      loader: LOADER_OPTIONS,
    },
    logger: new NestPinoLogger(logger),
  });
  await app.listen();
  // Pending payments nobody finishes (payment killed mid-charge) are resolved against Stripe.
  const reconciler = new PaymentsReconciler(app.get(PaymentsRepository), app.get(PaymentsService), config.reconcile, logger);
  reconciler.start();
  // Prometheus /metrics on its own port, when telemetry runs (the preload started it).
  const metrics = telemetryEnabled() ? await serveMetrics(config.grpc.host, config.metrics.port) : undefined;
  logger.info({ address, metrics: metrics?.url }, 'payment listening');
  return {
    address,
    close: async () => {
      await reconciler.stop();
      const billing = app.get(BillingAddressLookup);
      if (billing instanceof GrpcBillingAddressLookup) billing.close();
      await app.get(Pool).end();
      await app.close();
      await metrics?.close();
      // Last: flush the spans of everything above.
      await shutdownTelemetry();
    },
  };
}
