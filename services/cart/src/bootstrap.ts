import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Pool } from 'pg';
import { migrate } from '@checkout-lab/database';
import { createServiceLogger, NestPinoLogger, routeGrpcLogs, setHttpRoute, shutdownTelemetry } from '@checkout-lab/telemetry';
import { AppModule } from './app.module';
import { CheckoutReconciler } from './checkout/checkout.reconciler';
import { GrpcPaymentAuthorizer, PaymentAuthorizer } from './checkout/payment.client';
import { OrdersRepository } from './orders/orders.repository';
import type { CartConfig } from './config';
import { HttpErrorFilter, toHttpError } from './http/error.filter';
import { RouteTable } from './http/routes';

export interface RunningCartService {
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** Migrates cart's database and serves the public HTTP API. */
export async function startCartService(config: CartConfig): Promise<RunningCartService> {
  const logger = createServiceLogger({ service: 'cart', level: config.logLevel });
  routeGrpcLogs(logger);
  await migrate({ database: config.database.url, dir: MIGRATIONS_DIR, table: 'cart_migrations' });
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    // The router's own failures (a path parameter over maxParamLength, a malformed URL) in the
    // API's error shape; Fastify's default body would echo the path.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const { status, body } = toHttpError(error);
      void reply.status(status).send(body);
    },
  });
  // JSON only: Fastify's text/plain parser would hand a string to the controllers, and Nest's
  // default parsers would accept form bodies; anything but application/json is a 415.
  adapter.getInstance().removeContentTypeParser('text/plain');
  const routes = new RouteTable();
  adapter.getInstance().addHook('onRoute', (route) => routes.add(route.method, route.url));
  // One line per request (inside its trace: trace_id/span_id): method, route template, status, time. Never bodies or query strings.
  adapter.getInstance().addHook('onRequest', (request, _reply, done) => {
    if (request.routeOptions.url) setHttpRoute(request.raw, request.routeOptions.url);
    done();
  });
  adapter.getInstance().addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const fields = { method: request.method, route, status: reply.statusCode, durationMs: Math.round(reply.elapsedTime * 10) / 10 };
    if (PROBES.has(route)) logger.debug(fields, 'request');
    else logger.info(fields, 'request');
    done();
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, logger), adapter, {
    logger: new NestPinoLogger(logger),
    bodyParser: false,
  });
  app.useGlobalFilters(new HttpErrorFilter(logger, routes));
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const url = `http://${config.http.host}:${port}`;
  logger.info({ url }, 'cart listening');
  // Pending orders nobody retries (payment killed mid-charge, a client gone) follow their payment.
  const reconciler = new CheckoutReconciler(
    app.get(OrdersRepository),
    app.get(PaymentAuthorizer),
    { ...config.reconcile, leaseMs: config.payment.orderLeaseMs },
    logger,
  );
  reconciler.start();
  return {
    url,
    close: async () => {
      await reconciler.stop();
      const payment = app.get(PaymentAuthorizer);
      if (payment instanceof GrpcPaymentAuthorizer) payment.close();
      await app.close();
      await app.get(Pool).end();
      // Last: flush the spans of everything above.
      await shutdownTelemetry();
    },
  };
}
