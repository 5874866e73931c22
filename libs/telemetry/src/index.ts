export * from './span-model';
export { TELEMETRY_ENV_VARS, BATCH_DEFAULTS, type TelemetryResource } from './settings';
export { LAB_BAGGAGE_KEYS, type SpanExportStats } from './processors';
export {
  startTelemetry,
  telemetryEnabled,
  spanExportStats,
  flushTelemetry,
  shutdownTelemetry,
  metricsText,
  METRICS_CONTENT_TYPE,
  setHttpRoute,
} from './sdk';
export { serveMetrics, type MetricsServer } from './metrics-server';
export { createServiceLogger, NestPinoLogger, routeGrpcLogs, type LogLevel, type ServiceLoggerOptions } from './logging';
export { withSpan, failSpan, businessMetrics, type CheckoutOutcome, type PaymentOutcome } from './business';
export { startTraceReceiver, type TraceReceiver, type TraceReceiverOptions } from './receiver/otlp-receiver';
export { readRunSpans, runSpansDir, UNASSIGNED_RUN, SPANS_FILE } from './receiver/span-store';
export { parseOtlpJson, readOtlpJsonFiles, readOtlpJsonLines, readOtlpJsonRanges, flattenOtlp, TraceFormatError, type OtlpTraceRequest, type OtlpReadOptions, type OtlpJsonLine, type ByteRange } from './reader/otlp-json';
export { readJaegerSpans, type JaegerQuery } from './reader/jaeger';
