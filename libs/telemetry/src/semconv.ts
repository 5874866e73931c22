/**
 * Names from the incubating (`@opentelemetry/semantic-conventions/incubating`) part of the
 * pinned semantic conventions (1.45.0), copied here as that package asks: incubating names may
 * change in a minor release, so a copy keeps them stable until we choose to follow. Stable
 * names are imported from the package itself.
 */

// Self-observability of the SDK: https://opentelemetry.io/docs/specs/semconv/otel/sdk-metrics/
export const METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED = 'otel.sdk.exporter.span.exported';
export const METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED = 'otel.sdk.processor.span.processed';
export const METRIC_OTEL_SDK_PROCESSOR_SPAN_QUEUE_SIZE = 'otel.sdk.processor.span.queue.size';
export const METRIC_OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY = 'otel.sdk.processor.span.queue.capacity';
export const ATTR_OTEL_COMPONENT_TYPE = 'otel.component.type';
export const ATTR_OTEL_COMPONENT_NAME = 'otel.component.name';
export const OTEL_COMPONENT_TYPE_VALUE_BATCHING_SPAN_PROCESSOR = 'batching_span_processor';
export const OTEL_COMPONENT_TYPE_VALUE_OTLP_GRPC_SPAN_EXPORTER = 'otlp_grpc_span_exporter';
export const OTEL_COMPONENT_TYPE_VALUE_OTLP_HTTP_SPAN_EXPORTER = 'otlp_http_span_exporter';
export const OTEL_COMPONENT_TYPE_VALUE_OTLP_HTTP_JSON_SPAN_EXPORTER = 'otlp_http_json_span_exporter';

// Deprecated RPC span attributes, still what @opentelemetry/instrumentation-grpc 0.223 and the
// aws-sdk instrumentation write on spans: read (for compatibility), never written on metrics.
/** Replaced by `rpc.system.name`. */
export const ATTR_RPC_SYSTEM = 'rpc.system';
/** Replaced by the fully-qualified `rpc.method` (`<service>/<method>`). */
export const ATTR_RPC_SERVICE = 'rpc.service';
/** Replaced by the status code's name in `rpc.status_code`. */
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';
/** An interim name (deprecated in 1.45.0 too), replaced by `rpc.status_code`. */
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';

/** gRPC status codes by number, as `rpc.status_code` writes them. */
export const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;
