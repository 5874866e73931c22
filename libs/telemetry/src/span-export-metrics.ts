import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { SpanExportOutcomes } from './processors';
import {
  ATTR_OTEL_COMPONENT_NAME,
  ATTR_OTEL_COMPONENT_TYPE,
  METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED,
  METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED,
  METRIC_OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY,
  METRIC_OTEL_SDK_PROCESSOR_SPAN_QUEUE_SIZE,
  OTEL_COMPONENT_TYPE_VALUE_BATCHING_SPAN_PROCESSOR,
} from './semconv';

export interface SpanExportSource {
  exportOutcomes(): SpanExportOutcomes;
  readonly options: { maxQueueSize: number };
}

/**
 * What the counting batch processor exported and lost, under the names of the SDK's own
 * self-observability metrics (semantic conventions, otel.sdk.*; the SDK's BatchSpanProcessor
 * records the same when OTEL_NODE_EXPERIMENTAL_SDK_METRICS=true, ours is not that processor):
 * - `otel.sdk.exporter.span.exported` (`otel_sdk_exporter_span_exported_total`): spans the
 *   exporter delivered, and with `error.type` those whose export failed;
 * - `otel.sdk.processor.span.processed`: the same, plus `error.type="queue_full"` for spans the
 *   full queue refused;
 * - `otel.sdk.processor.span.queue.size` / `.capacity`.
 * Each carries `otel.component.type` / `otel.component.name`. Also the lab's earlier names,
 * `otel.spans.exported` and `otel.spans.dropped` (all losses): deprecated, kept while the
 * Grafana dashboards, infra's checks and the experiment runner still read them.
 */
export function registerSpanExportMetrics(meter: Meter, source: SpanExportSource, exporterType: string): void {
  const exporter = { [ATTR_OTEL_COMPONENT_TYPE]: exporterType, [ATTR_OTEL_COMPONENT_NAME]: `${exporterType}/0` };
  const processor = {
    [ATTR_OTEL_COMPONENT_TYPE]: OTEL_COMPONENT_TYPE_VALUE_BATCHING_SPAN_PROCESSOR,
    [ATTR_OTEL_COMPONENT_NAME]: `${OTEL_COMPONENT_TYPE_VALUE_BATCHING_SPAN_PROCESSOR}/0`,
  };
  const observeFailures = (result: ObservableResult, base: Attributes, failed: ReadonlyMap<string, number>) => {
    for (const [errorType, count] of failed) result.observe(count, { ...base, [ATTR_ERROR_TYPE]: errorType });
  };

  meter
    .createObservableCounter(METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED, { unit: '{span}', description: 'The number of spans for which the export has finished, either successful or failed' })
    .addCallback((result) => {
      const outcomes = source.exportOutcomes();
      result.observe(outcomes.exported, exporter);
      observeFailures(result, exporter, outcomes.failed);
    });
  meter
    .createObservableCounter(METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED, { unit: '{span}', description: 'The number of spans for which the processing has finished, either successful or failed' })
    .addCallback((result) => {
      const outcomes = source.exportOutcomes();
      result.observe(outcomes.exported, processor);
      result.observe(outcomes.queueFull, { ...processor, [ATTR_ERROR_TYPE]: 'queue_full' });
      observeFailures(result, processor, outcomes.failed);
    });
  meter
    .createObservableUpDownCounter(METRIC_OTEL_SDK_PROCESSOR_SPAN_QUEUE_SIZE, { unit: '{span}', description: 'The number of spans in the queue of the span processor' })
    .addCallback((result) => result.observe(source.exportOutcomes().queued, processor));
  meter
    .createObservableUpDownCounter(METRIC_OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY, { unit: '{span}', description: 'The maximum number of spans the queue of the span processor can hold' })
    .addCallback((result) => result.observe(source.options.maxQueueSize, processor));

  // Deprecated (see above).
  meter
    .createObservableCounter('otel.spans.exported', { description: 'Deprecated: use otel.sdk.exporter.span.exported. Spans the trace exporter delivered' })
    .addCallback((result) => result.observe(source.exportOutcomes().exported));
  meter
    .createObservableCounter('otel.spans.dropped', { description: 'Deprecated: use otel.sdk.processor.span.processed with error.type. Spans lost: batch queue overflow or failed exports' })
    .addCallback((result) => {
      const { queueFull, failed } = source.exportOutcomes();
      let dropped = queueFull;
      for (const count of failed.values()) dropped += count;
      result.observe(dropped);
    });
}
