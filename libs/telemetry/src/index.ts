export * from './span-model';
export {
  SPAN_CHECKOUT,
  SPAN_CHECKOUT_RECONCILE,
  SPAN_PAYMENT_AUTHORIZE,
  SPAN_PAYMENT_RESOLVE,
  SPAN_PAYMENT_RECONCILE,
  SPAN_BILLING_LOOKUP,
  SPAN_CHECKOUT_FLOW,
  ATTR_LAB_RUN_ID,
  ATTR_LAB_VARIANT,
  ATTR_CHECKOUT_OUTCOME,
  ATTR_CHECKOUT_ORDER_ID,
  ATTR_CHECKOUT_AMOUNT_CENTS,
  ATTR_CHECKOUT_ITEM_COUNT,
  ATTR_PAYMENT_OUTCOME,
  ATTR_PAYMENT_DECLINE_CODE,
  ATTR_PAYMENT_RESOLUTION,
  ATTR_STRIPE_REQUEST_ID,
  ATTR_BILLING_STORE,
  ATTR_BILLING_SQL_PROFILE,
  ATTR_BILLING_FOUND,
  ATTR_RECONCILE_PREFIX,
  ATTR_LOAD_SCENARIO,
  ATTR_LOAD_ITERATION,
  ATTR_LOAD_VU,
} from './lab-conventions';
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
export { createServiceLogger, errorFields, NestPinoLogger, routeGrpcLogs, type LogLevel, type ServiceLoggerOptions } from './logging';
export { withSpan, failSpan, reconcileCountAttributes, businessMetrics, type CheckoutOutcome, type PaymentOutcome } from './business';
export { startTraceReceiver, type TraceReceiver, type TraceReceiverOptions } from './receiver/otlp-receiver';
export { readRunSpans, runSpansDir, UNASSIGNED_RUN, SPANS_FILE } from './receiver/span-store';
export { parseOtlpJson, readOtlpJsonFiles, readOtlpJsonLines, readOtlpJsonRanges, flattenOtlp, TraceFormatError, type OtlpTraceRequest, type OtlpReadOptions, type OtlpJsonLine, type ByteRange } from './reader/otlp-json';
export { readJaegerSpans, type JaegerQuery } from './reader/jaeger';
