import 'reflect-metadata';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { DestinationStream, Logger } from 'pino';
import { BillingAddressStore, prepareBillingStore } from '@checkout-lab/billing-store';
import { LOADER_OPTIONS, PROTO_DIR, PROTO_FILES, PROTO_PACKAGES } from '@checkout-lab/contracts';
import { createServiceLogger, NestPinoLogger, routeGrpcLogs, serveMetrics, shutdownTelemetry, telemetryEnabled } from '@checkout-lab/telemetry';
import { AppModule } from './app.module';
import type { BillingAddressConfig } from './config';

export interface RunningBillingAddressService {
  /** host:port the gRPC server listens on. */
  address: string;
  /** Stops taking calls, lets running ones finish, closes the store. Safe to call twice. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** The logger to use; by default pino JSON on stdout at config.logLevel. */
  logger?: Logger;
  /** Where the default logger writes (tests capture lines here). */
  logDestination?: DestinationStream;
}

/**
 * Starts billing-address: readies the store's backend (for sql: migrate, apply the profile),
 * then serves checkout.billing.v1 and grpc.health.v1 over gRPC. Fails fast, before listening,
 * when the store cannot be reached.
 */
export async function startBillingAddressService(
  config: BillingAddressConfig,
  options: StartOptions = {},
): Promise<RunningBillingAddressService> {
  const logger = options.logger ?? createServiceLogger({ service: 'billing-address', level: config.logLevel, destination: options.logDestination });
  routeGrpcLogs(logger);
  await prepareBillingStore(config.store);

  const { host, port } = config.grpc;
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule.forRoot(config, logger), {
    transport: Transport.GRPC,
    options: {
      url: address,
      package: [PROTO_PACKAGES.billing, PROTO_PACKAGES.health],
      protoPath: [PROTO_FILES.billing, PROTO_FILES.health].map((file) => path.join(PROTO_DIR, file)),
      loader: LOADER_OPTIONS,
      gracefulShutdown: true,
    },
    logger: new NestPinoLogger(logger),
    // Reject instead of killing the process, so callers (main, tests) decide.
    abortOnError: false,
  });
  try {
    await app.listen();
  } catch (error) {
    await app.close();
    throw error;
  }

  // Prometheus /metrics on its own port, when telemetry runs (the preload started it).
  const metrics = telemetryEnabled() ? await serveMetrics(host, config.metrics.port) : undefined;
  const store = app.get(BillingAddressStore);
  logger.info({ address, store: store.kind, profile: store.profile, metrics: metrics?.url }, 'billing-address listening');
  let closing: Promise<void> | undefined;
  return {
    address,
    close: () => {
      closing ??= app
        .close()
        .then(() => metrics?.close())
        .then(() => logger.info('billing-address stopped'))
        // Last: flush the spans of everything above.
        .then(() => shutdownTelemetry());
      return closing;
    },
  };
}
