import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  OTEL_COMPONENT_TYPE_VALUE_OTLP_GRPC_SPAN_EXPORTER,
  OTEL_COMPONENT_TYPE_VALUE_OTLP_HTTP_JSON_SPAN_EXPORTER,
  OTEL_COMPONENT_TYPE_VALUE_OTLP_HTTP_SPAN_EXPORTER,
} from './semconv';
import type { OtlpProtocol, TelemetrySettings } from './settings';

export interface TraceExporter {
  exporter: SpanExporter;
  /** Its `otel.component.type` in the SDK self-observability metrics. */
  componentType: string;
}

/**
 * The span exporter OTEL_TRACES_EXPORTER and OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL ask for:
 * OTLP over HTTP (protobuf or JSON) or gRPC, the console, or none (undefined: spans are recorded
 * and processed, then dropped). The OTLP exporters read their endpoint, headers and timeout from
 * the standard variables themselves (gRPC's default endpoint is http://localhost:4317, HTTP's
 * http://localhost:4318/v1/traces).
 */
export function createTraceExporter(settings: Pick<TelemetrySettings, 'exporter' | 'protocol'>): TraceExporter | undefined {
  switch (settings.exporter) {
    case 'none':
      return undefined;
    case 'console':
      return { exporter: new ConsoleSpanExporter(), componentType: 'console_span_exporter' };
    case 'otlp':
      return otlpExporter(settings.protocol);
  }
}

function otlpExporter(protocol: OtlpProtocol): TraceExporter {
  switch (protocol) {
    case 'http/protobuf':
      return { exporter: new OTLPProtoTraceExporter(), componentType: OTEL_COMPONENT_TYPE_VALUE_OTLP_HTTP_SPAN_EXPORTER };
    case 'http/json':
      return { exporter: new OTLPJsonTraceExporter(), componentType: OTEL_COMPONENT_TYPE_VALUE_OTLP_HTTP_JSON_SPAN_EXPORTER };
    case 'grpc':
      return { exporter: new OTLPGrpcTraceExporter(), componentType: OTEL_COMPONENT_TYPE_VALUE_OTLP_GRPC_SPAN_EXPORTER };
  }
}
