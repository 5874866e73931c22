import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { readJaegerSpans, readOtlpJsonFiles } from '@checkout-lab/telemetry';
import { ANALYSED_ATTRIBUTES } from './checkout-spans';
import type { SpanReader } from './run-data';

/** The services whose spans make up a checkout trace (Jaeger is queried per service). */
export const TRACED_SERVICES = ['load-driver', 'cart', 'payment', 'billing-address'];

/**
 * Spans from the run directory's `spans/*.json` (OTLP/JSON, as the embedded receiver or a Collector
 * file exporter writes them), streamed line by line and kept compact: only the attributes the
 * analysis reads, no events (a run of a million spans fits in memory).
 */
export const otlpFileSpanReader: SpanReader = async ({ dir }) => {
  const spansDir = path.join(dir, 'spans');
  if (!existsSync(spansDir)) return [];
  const files = readdirSync(spansDir)
    .filter((name) => name.endsWith('.json') || name.endsWith('.jsonl'))
    .sort()
    .map((name) => path.join(spansDir, name));
  return readOtlpJsonFiles(files, { attributes: ANALYSED_ATTRIBUTES, events: false });
};

/** Spans from Jaeger's query API: the run's time window (run.json startedAt…endedAt), filtered by `lab.run_id`. */
export function jaegerSpanReader(baseUrl: string, options: { services?: string[]; fetchImpl?: typeof fetch } = {}): SpanReader {
  return async ({ meta }) => {
    if (!meta.startedAt || !meta.endedAt) throw new Error('run.json has no startedAt/endedAt, so the run cannot be found in Jaeger');
    const start = new Date(meta.startedAt);
    const end = new Date(meta.endedAt);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) throw new Error('run.json startedAt/endedAt are not dates');
    return readJaegerSpans({
      baseUrl,
      services: options.services ?? TRACED_SERVICES,
      // A minute either side: spans end after the driver's last request is answered, and clocks differ.
      start: new Date(start.getTime() - 60_000),
      end: new Date(end.getTime() + 60_000),
      runId: meta.runId,
      ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
    });
  };
}
