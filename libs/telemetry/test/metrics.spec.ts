import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation } from '@opentelemetry/api';
import { BaggageSpanProcessor } from '@opentelemetry/baggage-span-processor';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { CountingBatchSpanProcessor, isLabBaggageKey } from '../src/processors';
import { RpcMetricsSpanProcessor, rpcMetricAttributes } from '../src/rpc-metrics';
import { registerSpanExportMetrics } from '../src/span-export-metrics';

/** A meter provider whose metrics read back as the Prometheus text the services serve. */
function prometheusMeters() {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    text: async () => new PrometheusSerializer().serialize((await reader.collect()).resourceMetrics),
  };
}

/** The series of `name` in Prometheus text: labels (without the otel_scope_* ones every series gets) and value. */
function series(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const [, labelText = '', value = ''] = /^[^{\s]+(?:\{(.*)\})? (\S+)$/.exec(line) ?? [];
      const labels = Object.fromEntries(
        [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].filter(([, key]) => !key?.startsWith('otel_scope_')).map(([, key, v]) => [key ?? '', v ?? ''] as const),
      );
      return { labels, value: Number(value) };
    });
}

/** The value of the one series of `name` with exactly these labels. */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = series(text, name).filter((s) => JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
  return found.length === 1 ? found[0]?.value : undefined;
}

const sampled = () => ({ spanContext: () => ({ traceFlags: 1 }), attributes: {} }) as unknown as ReadableSpan;

class FailingOnceExporter implements SpanExporter {
  private calls = 0;
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.calls += 1;
    const error = this.calls === 1 ? Object.assign(new Error('refused'), { name: 'OTLPExporterError' }) : undefined;
    setImmediate(() => done(error ? { code: ExportResultCode.FAILED, error } : { code: ExportResultCode.SUCCESS }));
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe('span export metrics (the SDK self-observability names)', () => {
  it('counts exported spans, failed exports by error.type and queue overflow as queue_full, and keeps the deprecated totals', async () => {
    const meters = prometheusMeters();
    const processor = new CountingBatchSpanProcessor(new FailingOnceExporter(), { maxQueueSize: 6, maxExportBatchSize: 2, scheduledDelayMillis: 60_000, exportTimeoutMillis: 5_000 });
    registerSpanExportMetrics(meters.provider.getMeter('test'), processor, 'otlp_http_span_exporter');
    // 9 spans: the first batch (2) leaves at once and fails, 6 fit the queue, 1 is refused.
    for (let i = 0; i < 9; i += 1) processor.onEnd(sampled());
    await processor.forceFlush();
    const text = await meters.text();
    const exporter = { otel_component_type: 'otlp_http_span_exporter', otel_component_name: 'otlp_http_span_exporter/0' };
    const bsp = { otel_component_type: 'batching_span_processor', otel_component_name: 'batching_span_processor/0' };
    expect(valueOf(text, 'otel_sdk_exporter_span_exported_total', exporter)).toBe(6);
    expect(valueOf(text, 'otel_sdk_exporter_span_exported_total', { ...exporter, error_type: 'OTLPExporterError' })).toBe(2);
    expect(valueOf(text, 'otel_sdk_processor_span_processed_total', bsp)).toBe(6);
    expect(valueOf(text, 'otel_sdk_processor_span_processed_total', { ...bsp, error_type: 'queue_full' })).toBe(1);
    expect(valueOf(text, 'otel_sdk_processor_span_processed_total', { ...bsp, error_type: 'OTLPExporterError' })).toBe(2);
    expect(valueOf(text, 'otel_sdk_processor_span_queue_capacity', bsp)).toBe(6);
    expect(valueOf(text, 'otel_sdk_processor_span_queue_size', bsp)).toBe(0);
    expect(valueOf(text, 'otel_spans_exported_total')).toBe(6);
    expect(valueOf(text, 'otel_spans_dropped_total')).toBe(3);
    await meters.provider.shutdown();
  });
});

describe('RPC call-duration metrics', () => {
  const span = (attributes: ReadableSpan['attributes'], status = SpanStatusCode.UNSET) => ({ attributes, status: { code: status } });

  it('writes the current conventions from the grpc instrumentation’s deprecated span attributes', () => {
    expect(
      rpcMetricAttributes(span({ 'rpc.system': 'grpc', 'rpc.service': 'checkout.payment.v1.PaymentService', 'rpc.method': 'Authorize', 'rpc.grpc.status_code': 0 })),
    ).toEqual({ 'rpc.system.name': 'grpc', 'rpc.method': 'checkout.payment.v1.PaymentService/Authorize', 'rpc.status_code': 'OK' });
  });

  it('takes spans already in the current conventions as they are, and names the error of a failed one', () => {
    expect(
      rpcMetricAttributes(
        span({ 'rpc.system.name': 'grpc', 'rpc.method': 'checkout.billing.v1.BillingAddressService/GetBillingAddress', 'rpc.status_code': 'DEADLINE_EXCEEDED' }, SpanStatusCode.ERROR),
      ),
    ).toEqual({
      'rpc.system.name': 'grpc',
      'rpc.method': 'checkout.billing.v1.BillingAddressService/GetBillingAddress',
      'rpc.status_code': 'DEADLINE_EXCEEDED',
      'error.type': 'DEADLINE_EXCEEDED',
    });
    expect(rpcMetricAttributes(span({ 'rpc.system': 'grpc', 'rpc.method': 'Check', 'rpc.grpc.status_code': 14 }, SpanStatusCode.ERROR))).toEqual({
      'rpc.system.name': 'grpc',
      'rpc.method': 'Check',
      'rpc.status_code': 'UNAVAILABLE',
      'error.type': 'UNAVAILABLE',
    });
  });

  it('ignores spans of other RPC systems (the aws-sdk instrumentation’s aws-api)', () => {
    expect(rpcMetricAttributes(span({ 'rpc.system': 'aws-api', 'rpc.service': 'DynamoDB', 'rpc.method': 'GetItem' }))).toBeUndefined();
  });

  it('records rpc.server.call.duration with no deprecated label', async () => {
    const meters = prometheusMeters();
    const processor = new RpcMetricsSpanProcessor(meters.provider);
    processor.onEnd({
      kind: SpanKind.SERVER,
      duration: [0, 20_000_000],
      status: { code: SpanStatusCode.UNSET },
      attributes: { 'rpc.system': 'grpc', 'rpc.service': 'checkout.payment.v1.PaymentService', 'rpc.method': 'Authorize', 'rpc.grpc.status_code': 0 },
    } as unknown as ReadableSpan);
    const text = await meters.text();
    expect(series(text, 'rpc_server_call_duration_count')).toEqual([
      { labels: { rpc_system_name: 'grpc', rpc_method: 'checkout.payment.v1.PaymentService/Authorize', rpc_status_code: 'OK' }, value: 1 },
    ]);
    await meters.provider.shutdown();
  });
});

describe('lab baggage onto span attributes (BaggageSpanProcessor)', () => {
  it('copies lab.run_id and lab.variant from the parent context, and no other entry', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new BaggageSpanProcessor(isLabBaggageKey), new SimpleSpanProcessor(exporter)] });
    const baggage = propagation.createBaggage({ 'lab.run_id': { value: 'run-7' }, 'lab.variant': { value: 'dynamodb' }, 'user.email': { value: 'a@example.com' } });
    provider.getTracer('test').startSpan('child', {}, propagation.setBaggage(ROOT_CONTEXT, baggage)).end();
    expect(exporter.getFinishedSpans()[0]?.attributes).toEqual({ 'lab.run_id': 'run-7', 'lab.variant': 'dynamodb' });
  });
});
