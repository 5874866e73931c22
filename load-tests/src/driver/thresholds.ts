import { isStatSink, type MetricRegistry, type Sink } from './metrics';
import { parseDuration, ScenarioError, type ThresholdSpec } from './options';

type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export interface Threshold {
  metric: string;
  source: string;
  aggregation: string;
  operator: Operator;
  limit: number;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
  ok: boolean;
}

const EXPRESSION = /^\s*(avg|min|max|med|count|rate|value|p\(\d+(?:\.\d+)?\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Parses k6 threshold expressions ("p(95)<500", "rate<0.01", "count==0"); errors name the bad one. */
export function parseThresholds(spec: Record<string, ThresholdSpec[]> | undefined, registry: MetricRegistry): Threshold[] {
  const out: Threshold[] = [];
  for (const [metric, list] of Object.entries(spec ?? {})) {
    try {
      registry.ensure(metric);
    } catch (error) {
      throw new ScenarioError(`thresholds: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const item of list) {
      const source = typeof item === 'string' ? item : item.threshold;
      const match = EXPRESSION.exec(source);
      if (!match?.[1] || !match[2] || !match[3]) {
        throw new ScenarioError(`thresholds.${metric}: "${source}" is not a k6 threshold (like "p(95)<500", "rate<0.01", "count==0")`);
      }
      out.push({
        metric,
        source,
        aggregation: match[1],
        operator: match[2] as Operator,
        limit: Number(match[3]),
        abortOnFail: typeof item === 'string' ? false : item.abortOnFail === true,
        delayAbortEvalMs: typeof item === 'string' || item.delayAbortEval === undefined ? 0 : parseDuration(item.delayAbortEval, `thresholds.${metric}.delayAbortEval`),
        ok: true,
      });
    }
  }
  return out;
}

export function aggregate(sink: Sink, aggregation: string, durationS: number): number | undefined {
  if (isStatSink(sink)) return sink.stat(aggregation);
  return sink.values([], durationS)[aggregation];
}

function compare(value: number, operator: Operator, limit: number): boolean {
  switch (operator) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '==':
    case '===':
      return value === limit;
    case '!=':
      return value !== limit;
  }
}

/** Evaluates every threshold against the metrics so far; returns those that fail. */
export function evaluateThresholds(thresholds: Threshold[], registry: MetricRegistry, durationS: number): Threshold[] {
  const failed: Threshold[] = [];
  for (const threshold of thresholds) {
    const sink = registry.sink(threshold.metric);
    const value = sink ? aggregate(sink, threshold.aggregation, durationS) : undefined;
    if (value === undefined) {
      throw new ScenarioError(`thresholds.${threshold.metric}: "${threshold.aggregation}" does not apply to this metric`);
    }
    threshold.ok = compare(value, threshold.operator, threshold.limit);
    if (!threshold.ok) failed.push(threshold);
  }
  return failed;
}
