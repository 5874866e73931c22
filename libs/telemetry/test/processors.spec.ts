import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type Span, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { CountingBatchSpanProcessor, PreciseStartSpanProcessor, SpanBudgetProcessor } from '../src/processors';

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

describe('PreciseStartSpanProcessor', () => {

  const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
  const busy = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // spin: a sub-millisecond duration the clock must keep
    }
  };

  function record(precise: boolean) {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [...(precise ? [new PreciseStartSpanProcessor()] : []), new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('test');
    // Twenty sequential siblings, each started right after the previous one ended.
    for (let i = 0; i < 20; i++) {
      const span = tracer.startSpan(`step-${i}`);
      busy(0.3 + (i % 3) * 0.2);
      span.end();
    }
    return exporter.getFinishedSpans().map((s) => ({ start: ns(s.startTime), end: ns(s.endTime), durationNs: ns(s.duration) }));
  }

  it('without it, the SDK stamps starts on whole milliseconds and sequential spans appear to overlap', () => {
    const spans = record(false);
    expect(spans.every((s) => s.start % 1_000_000n === 0n)).toBe(true);
    const overlaps = spans.slice(1).filter((s, i) => s.start < (spans[i] as { end: bigint }).end).length;
    expect(overlaps).toBeGreaterThan(0);
  });

  it('with it, starts carry sub-millisecond precision and sequential spans never overlap', () => {
    const spans = record(true);
    expect(spans.filter((s) => s.start % 1_000_000n !== 0n).length).toBeGreaterThan(15);
    spans.slice(1).forEach((s, i) => expect(s.start >= (spans[i] as { end: bigint }).end).toBe(true));
    // Durations still come from the monotonic clock: end − start is the span's duration.
    for (const s of spans) expect(s.end - s.start).toBe(s.durationNs);
  });

  it('leaves a span with an explicit start time as it was given', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new PreciseStartSpanProcessor(), new SimpleSpanProcessor(exporter)] });
    const start = new Date('2026-01-01T00:00:00.000Z');
    provider.getTracer('test').startSpan('given', { startTime: start }).end(new Date('2026-01-01T00:00:00.250Z'));
    const [span] = exporter.getFinishedSpans();
    expect(ns(span?.startTime ?? [0, 0])).toBe(BigInt(start.getTime()) * 1_000_000n);
    expect(ns(span?.duration ?? [0, 0])).toBe(250_000_000n);
  });
});

describe('SpanBudgetProcessor', () => {
  let ids = 0;
  const timed = (name: string, ms: number, status = SpanStatusCode.UNSET) => {
    const spanId = (++ids).toString(16).padStart(16, '0');
    return { name, duration: [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)], status: { code: status }, spanContext: () => ({ spanId, traceId: 'a'.repeat(32), traceFlags: 1 }) } as unknown as ReadableSpan;
  };
  const recorder = () => {
    const forwarded: ReadableSpan[] = [];
    const processor = new SpanBudgetProcessor({
      onStart: () => undefined,
      onEnd: (span) => forwarded.push(span),
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    });
    return { processor, forwarded };
  };

  it('drops pool checkouts and transaction statements that took under 1 ms, and passes every other span on', () => {
    const kept = [
      timed('pg-pool.connect', 80.4), // a pool wait: the legacy incident's story
      timed('pg.query:COMMIT cart', 3.2), // a slow commit
      timed('pg.query:SELECT cart', 0.2), // a query is evidence however short
      timed('pg-pool.connect', 0.3, SpanStatusCode.ERROR), // a quick failure is an outage's evidence
      timed('checkout', 0.1),
    ];
    const dropped = [timed('pg-pool.connect', 0.05), timed('pg.query:BEGIN cart', 0.3), timed('pg.query:COMMIT cart', 0.9), timed('pg.query:ROLLBACK', 0.1)];
    const { processor, forwarded } = recorder();
    for (const span of [...kept, ...dropped]) processor.onEnd(span);
    expect(forwarded).toEqual(kept);
    expect(processor.droppedHousekeeping).toBe(dropped.length);
  });

  it('keeps a quick pool checkout that had a child span, so no span loses its parent', () => {
    const provider = new BasicTracerProvider();
    const tracer = provider.getTracer('test');
    const { processor, forwarded } = recorder();
    const checkout = tracer.startSpan('pg-pool.connect');
    const connect = tracer.startSpan('pg.connect', {}, trace.setSpan(context.active(), checkout));
    processor.onStart(connect as unknown as Span, trace.setSpan(context.active(), checkout));
    connect.end();
    checkout.end();
    processor.onEnd(connect as unknown as ReadableSpan);
    processor.onEnd(checkout as unknown as ReadableSpan);
    expect(forwarded.map((s) => s.name)).toEqual(['pg.connect', 'pg-pool.connect']);
  });
});
