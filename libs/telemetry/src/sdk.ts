import type { IncomingMessage } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { BaggageSpanProcessor } from '@opentelemetry/baggage-span-processor';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { createTraceExporter } from './exporters';
import {
  CountingBatchSpanProcessor,
  PreciseStartSpanProcessor,
  QueryStringScrubProcessor,
  SpanBudgetProcessor,
  isLabBaggageKey,
  type SpanExportStats,
} from './processors';
import { RpcMetricsSpanProcessor } from './rpc-metrics';
import { loadTelemetrySettings, serviceIdentity, serviceResourceAttributes, type TelemetrySettings } from './settings';
import { registerSpanExportMetrics } from './span-export-metrics';

interface TelemetryState {
  sdk: NodeSDK;
  /** Undefined when OTEL_TRACES_EXPORTER=none: spans are recorded and processed, then dropped. */
  spans: CountingBatchSpanProcessor | undefined;
  prometheus: PrometheusExporter;
  serializer: PrometheusSerializer;
  settings: TelemetrySettings;
  serviceName: string;
  stopping?: Promise<void>;
}

// On globalThis, so the preload and the service share one state however each was loaded.
const STATE = Symbol.for('checkout-lab.telemetry');
const holder = globalThis as typeof globalThis & { [STATE]?: TelemetryState };

const HTTP_ROUTE = Symbol.for('checkout-lab.http.route');
type RoutedRequest = { [HTTP_ROUTE]?: string };

/**
 * Records the route template (`/carts/:cartId/checkout`) a web framework matched for a raw
 * Node.js request, so the HTTP server span gets `http.route` and the name `POST <route>`.
 */
export function setHttpRoute(request: object, route: string): void {
  (request as RoutedRequest)[HTTP_ROUTE] = route;
}

/** Requests that are not traced: probes and scrapes. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Starts the OpenTelemetry Node SDK. Must run before the service's modules load (see preload.ts).
 * - Auto-instrumentation: http, grpc, pg, aws-sdk, undici, pino. Not nestjs-core: its two handler
 *   spans per request duplicate the HTTP server span and the business span.
 * - Housekeeping spans that measured nothing are left out (SpanBudgetProcessor).
 * - W3C trace-context + baggage propagation.
 * - Trace export configured by the standard OTEL_* variables (OTLP http/protobuf by default, or
 *   http/json or grpc; OTEL_TRACES_EXPORTER=console|none), through a counting batch processor.
 * - The resource: service name and version, deployment environment, and whatever the service adds
 *   through its TelemetryResource (billing-address: billing.store, billing.sql_profile).
 * - The baggage entries lab.run_id / lab.variant copied onto every span (BaggageSpanProcessor).
 * - A Prometheus reader, served by the service on /metrics.
 * Returns false when OTEL_SDK_DISABLED=true. Starting twice is a no-op.
 */
export function startTelemetry(environment: NodeJS.ProcessEnv = process.env, entry = process.argv[1]): boolean {
  if (holder[STATE]) return true;
  const settings = loadTelemetrySettings(environment);
  if (settings.disabled) return false;
  const identity = serviceIdentity(entry);
  const serviceName = settings.serviceName ?? identity.name;

  // Instrumentations first: they hook module loading as they are constructed, and the gRPC
  // exporter loads @grpc/grpc-js, which must be patched before anything holds it.
  const instrumentations = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
      // The route template a framework matched (see setHttpRoute) names the server span.
      applyCustomAttributesOnSpan: (span, request) => {
        const route = (request as RoutedRequest)[HTTP_ROUTE];
        if (route && 'method' in request && request.method) {
          span.setAttribute('http.route', route);
          span.updateName(`${request.method} ${route}`);
        }
      },
      requireParentforOutgoingSpans: true,
    }),
    new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
    new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    new AwsInstrumentation({ suppressInternalInstrumentation: true }),
    new UndiciInstrumentation({ requireParentforSpans: true }),
    new PinoInstrumentation({ disableLogSending: true }),
  ];
  // The service's own attributes (its package.json's telemetryResource), now that its modules may load.
  const serviceAttributes = serviceResourceAttributes(identity, environment);
  const exporter = createTraceExporter(settings);
  const spans = exporter ? new CountingBatchSpanProcessor(exporter.exporter, settings.batch) : undefined;
  const budget = new SpanBudgetProcessor(spans ?? NO_EXPORT);
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: serviceName,
      [ATTR_SERVICE_VERSION]: identity.version,
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: settings.deploymentEnvironment,
      ...serviceAttributes,
    }),
    resourceDetectors: [envDetector, processDetector, hostDetector],
    textMapPropagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    spanProcessors: [
      new PreciseStartSpanProcessor(),
      new BaggageSpanProcessor(isLabBaggageKey),
      new QueryStringScrubProcessor(),
      new RpcMetricsSpanProcessor(),
      budget,
    ],
    metricReaders: [prometheus],
    // No views: the pg instrumentation's db.client.connection.count (db.client.connection.state,
    // db.client.connection.pool.name) keeps its semantic-conventions name, served as the gauge
    // db_client_connection_count. promtool's linter wants `_count` only on histograms and
    // summaries and says so about this one metric; the name is the conventions', not ours.
    logRecordProcessors: [],
    instrumentations,
  });
  sdk.start();
  if (spans && exporter) registerSpanExportMetrics(metrics.getMeter('checkout-lab'), spans, exporter.componentType);
  holder[STATE] = { sdk, spans, prometheus, serializer: new PrometheusSerializer(), settings, serviceName };
  return true;
}

/** True once startTelemetry has run in this process (and was not disabled). */
export function telemetryEnabled(): boolean {
  return holder[STATE] !== undefined;
}

/** What the span exporter delivered and lost so far; undefined when telemetry is off. */
export function spanExportStats(): SpanExportStats | undefined {
  return holder[STATE]?.spans?.exportStats();
}

/** Sends every finished span now (e.g. before a test reads the receiver). */
export async function flushTelemetry(): Promise<void> {
  await holder[STATE]?.spans?.forceFlush();
}

/** Flushes and stops the SDK; the service calls it last when it stops, so no span is lost. Safe to call twice. */
export function shutdownTelemetry(): Promise<void> {
  const state = holder[STATE];
  if (!state) return Promise.resolve();
  state.stopping ??= state.sdk.shutdown().catch((error: unknown) => {
    process.stderr.write(`telemetry: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
  });
  return state.stopping;
}

/** The service's metrics in Prometheus text format (empty when telemetry is off). */
export async function metricsText(): Promise<string> {
  const state = holder[STATE];
  if (!state) return '';
  const { resourceMetrics } = await state.prometheus.collect();
  return state.serializer.serialize(resourceMetrics);
}

/** Content type of metricsText(). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Where spans go with OTEL_TRACES_EXPORTER=none: nowhere. */
const NO_EXPORT: SpanProcessor = {
  onStart: () => undefined,
  onEnd: () => undefined,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
