import { SpanStatusCode, TraceFlags, context, trace, type Context, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, hrTime, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_LAB_RUN_ID, ATTR_LAB_VARIANT } from './lab-conventions';

/**
 * Restamps span starts with the monotonic clock's precision. OpenTelemetry JS 2.x takes a span's
 * start from `Date.now()` (whole milliseconds) and its end as start + a monotonic duration, so a
 * call that starts right after its sibling ended appears to start up to 1 ms before that end, and
 * a critical-path walk can mistake sequential calls for concurrent ones. For every span the SDK
 * timed itself (no explicit start time), this sets the start to `performance.timeOrigin +` the
 * span's own monotonic start, and the offset the SDK applies to monotonic timestamps to zero, so
 * start, events and end all come from one sub-millisecond clock; durations are unchanged. It must
 * run first. It reads two fields of the SDK's span implementation (stable across 2.x); where they
 * are absent it leaves the span alone and the report's clock-resolution tolerance still applies.
 */
export class PreciseStartSpanProcessor implements SpanProcessor {
  onStart(span: Span): void {
    const impl = span as unknown as { _startTimeProvided?: boolean; _performanceStartTime?: number; _performanceOffset?: number; startTime: HrTime };
    if (impl._startTimeProvided !== false || typeof impl._performanceStartTime !== 'number') return;
    impl.startTime = hrTime(impl._performanceStartTime);
    impl._performanceOffset = 0;
  }

  onEnd(): void {
    // Nothing to do when a span ends.
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Baggage entries copied onto every span as attributes of the same name (by @opentelemetry/baggage-span-processor, see sdk.ts). */
export const LAB_BAGGAGE_KEYS = [ATTR_LAB_RUN_ID, ATTR_LAB_VARIANT] as const;

/** The baggage-span-processor's key predicate for LAB_BAGGAGE_KEYS. */
export function isLabBaggageKey(key: string): boolean {
  return (LAB_BAGGAGE_KEYS as readonly string[]).includes(key);
}

/** URL-bearing attributes whose query string may carry anything a client sent. */
const URL_ATTRIBUTES = ['url.full', 'http.url', 'http.target', 'url.original'] as const;

/** Strips query strings from URL attributes when a span ends (see scrubSpan). */
export class QueryStringScrubProcessor implements SpanProcessor {
  onStart(): void {
    // Nothing to do when a span starts.
  }

  onEnd(span: ReadableSpan): void {
    scrubSpan(span);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Removes query strings (which may hold personal data) from a finished span's attributes. */
export function scrubSpan(span: ReadableSpan): void {
  const attributes = span.attributes as Record<string, unknown>;
  if ('url.query' in attributes) attributes['url.query'] = 'REDACTED';
  for (const key of URL_ATTRIBUTES) {
    const value = attributes[key];
    if (typeof value === 'string' && value.includes('?')) attributes[key] = `${value.slice(0, value.indexOf('?'))}?REDACTED`;
  }
}

/** Housekeeping spans shorter than this say nothing a reader uses; see SpanBudgetProcessor. */
export const HOUSEKEEPING_MIN_MS = 1;

/** Transaction control statements: their time is the round trip, not work. */
const TRANSACTION_CONTROL = /^pg\.query:(BEGIN|COMMIT|ROLLBACK)\b/;

/**
 * Drops housekeeping spans that measured nothing before they reach `next` (the batch processor):
 * a connection-pool checkout (`pg-pool.connect`) or a BEGIN/COMMIT/ROLLBACK shorter than
 * HOUSEKEEPING_MIN_MS. A pool checkout that waited — the legacy incident's story — is kept, and so
 * is a slow COMMIT, a failed one (status ERROR: an outage is evidence however quick) and one that
 * had a child (a checkout that opened a connection), so no trace loses a parent. A dropped span's
 * sub-millisecond time is its parent's own time on the critical path.
 */
export class SpanBudgetProcessor implements SpanProcessor {
  private dropped = 0;
  /** Housekeeping spans that had a child (a checkout that opened a connection): always kept. */
  private readonly parents = new Set<string>();

  constructor(private readonly next: SpanProcessor) {}

  /** Spans left out so far. */
  get droppedHousekeeping(): number {
    return this.dropped;
  }

  onStart(span: Span, parentContext: Context): void {
    const parent = trace.getSpan(parentContext);
    const parentName = (parent as unknown as { name?: string } | undefined)?.name;
    if (parent && parentName !== undefined && isHousekeepingName(parentName)) this.parents.add(parent.spanContext().spanId);
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const hadChild = this.parents.delete(span.spanContext().spanId);
    if (!hadChild && span.status.code !== SpanStatusCode.ERROR && isIdleHousekeeping(span)) {
      this.dropped += 1;
      return;
    }
    this.next.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}

function isHousekeepingName(name: string): boolean {
  return name === 'pg-pool.connect' || TRANSACTION_CONTROL.test(name);
}

/** A pool checkout or transaction statement that took less than HOUSEKEEPING_MIN_MS. */
export function isIdleHousekeeping(span: Pick<ReadableSpan, 'name' | 'duration'>): boolean {
  if (!isHousekeepingName(span.name)) return false;
  const ms = span.duration[0] * 1000 + span.duration[1] / 1e6;
  return ms < HOUSEKEEPING_MIN_MS;
}

export interface BatchOptions {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

export interface SpanExportStats {
  /** Spans the exporter acknowledged. */
  exported: number;
  /** Spans lost: queue overflow plus failed or timed-out exports. */
  dropped: number;
  /** Spans waiting in the queue or in an export under way. */
  pending: number;
}

/** The same counts as the SDK self-observability conventions break them down (see span-export-metrics.ts). */
export interface SpanExportOutcomes {
  exported: number;
  /** Spans refused because the queue was full (`error.type` `queue_full`). */
  queueFull: number;
  /** Spans whose export failed, by `error.type`: the error's name (`TimeoutError` when the export timed out), `_OTHER` without one. */
  failed: ReadonlyMap<string, number>;
  /** Spans waiting in the queue (not those of an export under way). */
  queued: number;
}

/**
 * A batching span processor (the SDK's BatchSpanProcessor semantics: a bounded queue, batches
 * of maxExportBatchSize sent when full or after scheduledDelayMillis, one export at a time) that
 * counts what it exported and what it lost, so a run can prove it dropped nothing.
 */
export class CountingBatchSpanProcessor implements SpanProcessor {
  private queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  private inFlight = 0;
  private stopped = false;
  private exported = 0;
  private queueFull = 0;
  private readonly failed = new Map<string, number>();

  constructor(
    private readonly exporter: SpanExporter,
    readonly options: BatchOptions,
  ) {}

  exportStats(): SpanExportStats {
    let failed = 0;
    for (const count of this.failed.values()) failed += count;
    return { exported: this.exported, dropped: this.queueFull + failed, pending: this.queue.length + this.inFlight };
  }

  exportOutcomes(): SpanExportOutcomes {
    return { exported: this.exported, queueFull: this.queueFull, failed: new Map(this.failed), queued: this.queue.length };
  }

  onStart(): void {
    // Nothing to do when a span starts.
  }

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queue.length >= this.options.maxQueueSize) {
      this.queueFull += 1;
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.options.maxExportBatchSize) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.options.scheduledDelayMillis).unref();
  }

  async forceFlush(): Promise<void> {
    this.kick();
    while (this.exporting) await this.exporting;
    await this.exporter.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.stopped = true;
    await this.exporter.shutdown();
  }

  /** Starts the export loop unless it is running; it drains the queue batch by batch. */
  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.exporting || this.queue.length === 0) return;
    this.exporting = this.drain().finally(() => {
      this.exporting = undefined;
      if (this.queue.length > 0) this.timer ??= setTimeout(() => this.kick(), this.options.scheduledDelayMillis).unref();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxExportBatchSize);
      this.inFlight = batch.length;
      const result = await this.exportBatch(batch);
      this.inFlight = 0;
      if (result.code === ExportResultCode.SUCCESS) this.exported += batch.length;
      else {
        const errorType = result.error?.name || '_OTHER';
        this.failed.set(errorType, (this.failed.get(errorType) ?? 0) + batch.length);
      }
    }
  }

  private exportBatch(batch: ReadableSpan[]): Promise<ExportResult> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => resolve({ code: ExportResultCode.FAILED, error: Object.assign(new Error('span export timed out'), { name: 'TimeoutError' }) }),
        this.options.exportTimeoutMillis,
      );
      try {
        // The export's own HTTP request must not be traced (it would feed itself).
        context.with(suppressTracing(context.active()), () =>
          this.exporter.export(batch, (result) => {
            clearTimeout(timer);
            resolve(result);
          }),
        );
      } catch (error) {
        clearTimeout(timer);
        resolve({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
  }
}
