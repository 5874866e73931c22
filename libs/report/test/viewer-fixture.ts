import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FlatSpan } from '@checkout-lab/telemetry';
import type { RunData } from '../src/run-data';
import { swiftcartRuns, toOtlp, writeRunDirs } from './synthetic';

/** The gRPC client's status message when payment's deadline passes, as @opentelemetry/instrumentation-grpc records it. */
export const DEADLINE_MESSAGE = '4 DEADLINE_EXCEEDED: Deadline exceeded after 1.000s';

/**
 * The trace viewer's test data: the synthetic swiftcart (synthetic.ts: legacy SQL with timeouts,
 * DynamoDB and indexed SQL; each checkout-flow trace has a lookup audit span that runs alongside
 * and is never on the critical path), one run per variant, written as an experiment directory.
 * Added to what the synthetic runs hold: an order id on each checkout span, and on each timed-out
 * call to payment the status message and exception event the instrumentation records.
 */
export function writeViewerExperiment(dir: string, iterations = 30): RunData[] {
  const runs = swiftcartRuns({ repetitions: 1, iterations });
  for (const run of runs) {
    for (const span of run.spans) {
      if (span.name === 'checkout' && span.attributes['checkout.outcome'] !== undefined) span.attributes['checkout.order_id'] = `ord_${span.traceId.slice(12)}`;
      if (span.name === 'checkout.payment.v1.PaymentService/Authorize' && span.status === 'error') {
        span.statusMessage = DEADLINE_MESSAGE;
        span.events = [{ name: 'exception', timeUnixNano: span.endUnixNano, attributes: { 'exception.type': '4', 'exception.message': DEADLINE_MESSAGE } }];
      }
    }
  }
  writeRunDirs(dir, runs, { name: 'viewer', title: 'Trace viewer fixture', baseline: 'legacy-sql', variants: runs.map((r) => ({ name: r.meta.variant })) });
  return runs;
}

/**
 * Spans as the embedded trace receiver stores them: `<dir>/<run id>/spans/traces.json`, one
 * request per line, each line one service's batch of at most `batch` spans (a trace's spans are
 * spread over several lines, as in a real run).
 */
export function writeReceiverRun(dir: string, runId: string, spans: readonly FlatSpan[], batch = 7): string {
  const byService = new Map<string, FlatSpan[]>();
  for (const span of spans) byService.set(span.service, [...(byService.get(span.service) ?? []), span]);
  const lines: string[] = [];
  for (const list of byService.values()) for (let i = 0; i < list.length; i += batch) lines.push(JSON.stringify(toOtlp(list.slice(i, i + batch))));
  const file = path.join(dir, runId, 'spans', 'traces.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The spans of one trace, grouped out of a run. */
export function traceSpans(run: RunData, traceId: string): FlatSpan[] {
  return run.spans.filter((s) => s.traceId === traceId);
}
