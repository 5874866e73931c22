import { SpanKind, SpanStatusCode, metrics, type Attributes, type AttributeValue, type Histogram, type MeterProvider } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  METRIC_RPC_CLIENT_CALL_DURATION,
  METRIC_RPC_SERVER_CALL_DURATION,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@opentelemetry/semantic-conventions';
import { ATTR_RPC_GRPC_STATUS_CODE, ATTR_RPC_RESPONSE_STATUS_CODE, ATTR_RPC_SERVICE, ATTR_RPC_SYSTEM, GRPC_STATUS_NAMES } from './semconv';

const RPC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * The attributes of a gRPC span's call-duration measurement, in the current RPC conventions
 * (semantic-conventions 1.45.0): `rpc.system.name`, the fully-qualified `rpc.method`
 * (`checkout.payment.v1.PaymentService/Authorize`), `rpc.status_code` as the status's name
 * (`OK`, `DEADLINE_EXCEEDED`), and `error.type` (the same name) when the span failed.
 * Reads both what @opentelemetry/instrumentation-grpc 0.223 writes (the deprecated `rpc.system`,
 * `rpc.service` + short `rpc.method`, numeric `rpc.grpc.status_code`) and the current names, so
 * it keeps working when the instrumentation moves. Undefined for a span that is not gRPC.
 */
export function rpcMetricAttributes(span: Pick<ReadableSpan, 'attributes' | 'status'>): Attributes | undefined {
  const { attributes } = span;
  if ((attributes[ATTR_RPC_SYSTEM_NAME] ?? attributes[ATTR_RPC_SYSTEM]) !== RPC_SYSTEM_NAME_VALUE_GRPC) return undefined;
  const labels: Attributes = { [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC };
  const method = fullMethod(attributes[ATTR_RPC_METHOD], attributes[ATTR_RPC_SERVICE]);
  if (method) labels[ATTR_RPC_METHOD] = method;
  const status = grpcStatusName(attributes[ATTR_RPC_STATUS_CODE] ?? attributes[ATTR_RPC_RESPONSE_STATUS_CODE] ?? attributes[ATTR_RPC_GRPC_STATUS_CODE]);
  if (status) labels[ATTR_RPC_STATUS_CODE] = status;
  if (span.status.code === SpanStatusCode.ERROR) labels[ATTR_ERROR_TYPE] = status ?? '_OTHER';
  return labels;
}

function fullMethod(method: AttributeValue | undefined, service: AttributeValue | undefined): string | undefined {
  if (typeof method !== 'string' || method === '') return undefined;
  if (method.includes('/') || typeof service !== 'string' || service === '') return method;
  return `${service}/${method}`;
}

/** A gRPC status as its name: `4` and `'4'` → `DEADLINE_EXCEEDED`; a name stays as it is. */
export function grpcStatusName(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'number') return GRPC_STATUS_NAMES[value];
  if (typeof value !== 'string' || value === '') return undefined;
  return /^\d+$/.test(value) ? GRPC_STATUS_NAMES[Number(value)] : value;
}

/**
 * The gRPC instrumentation records no metrics; this derives the RPC duration histograms
 * (rpc.server.call.duration, rpc.client.call.duration, seconds) from its spans.
 */
export class RpcMetricsSpanProcessor implements SpanProcessor {
  private histograms: { server: Histogram; client: Histogram } | undefined;

  constructor(private readonly meterProvider: MeterProvider = metrics) {}

  onStart(): void {
    // Nothing to do when a span starts.
  }

  onEnd(span: ReadableSpan): void {
    if (span.kind !== SpanKind.SERVER && span.kind !== SpanKind.CLIENT) return;
    const labels = rpcMetricAttributes(span);
    if (!labels) return;
    // Created on first use: by then the preload has registered the SDK's meter provider.
    this.histograms ??= (() => {
      const meter = this.meterProvider.getMeter('checkout-lab');
      const histogram = (name: string, description: string) =>
        meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: RPC_BUCKETS } });
      return {
        server: histogram(METRIC_RPC_SERVER_CALL_DURATION, 'Duration of gRPC calls served'),
        client: histogram(METRIC_RPC_CLIENT_CALL_DURATION, 'Duration of gRPC calls made'),
      };
    })();
    const seconds = span.duration[0] + span.duration[1] / 1e9;
    (span.kind === SpanKind.SERVER ? this.histograms.server : this.histograms.client).record(seconds, labels);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
