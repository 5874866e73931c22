import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { CountingBatchSpanProcessor } from '../src/processors';

const sampled = (id: number) => ({ id, spanContext: () => ({ traceFlags: 1 }), attributes: {} }) as unknown as ReadableSpan;

class FakeExporter implements SpanExporter {
  batches: number[] = [];
  failNext = false;
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.batches.push(spans.length);
    const failed = this.failNext;
    this.failNext = false;
    setImmediate(() => done({ code: failed ? ExportResultCode.FAILED : ExportResultCode.SUCCESS }));
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe('CountingBatchSpanProcessor', () => {
  it('exports in batches and counts queue overflow and failed exports as dropped', async () => {
    const exporter = new FakeExporter();
    const processor = new CountingBatchSpanProcessor(exporter, {
      maxQueueSize: 10,
      maxExportBatchSize: 4,
      scheduledDelayMillis: 60_000,
      exportTimeoutMillis: 5_000,
    });
    exporter.failNext = true;
    // 14 spans at once: the first batch of 4 leaves for the exporter, 10 fit the queue, none more.
    for (let i = 0; i < 15; i += 1) processor.onEnd(sampled(i));
    await processor.forceFlush();
    expect(exporter.batches).toEqual([4, 4, 4, 2]);
    expect(processor.exportStats()).toEqual({ exported: 10, dropped: 5, pending: 0 });
  });

  it('sends what is queued on shutdown', async () => {
    const exporter = new FakeExporter();
    const processor = new CountingBatchSpanProcessor(exporter, { maxQueueSize: 100, maxExportBatchSize: 50, scheduledDelayMillis: 60_000, exportTimeoutMillis: 5_000 });
    for (let i = 0; i < 7; i += 1) processor.onEnd(sampled(i));
    await processor.shutdown();
    expect(processor.exportStats()).toEqual({ exported: 7, dropped: 0, pending: 0 });
    processor.onEnd(sampled(8));
    expect(processor.exportStats().pending).toBe(0);
  });
});
