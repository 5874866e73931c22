import * as hdr from 'hdr-histogram-js';

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
export type MetricContains = 'time' | 'default' | 'data';
export type Tags = Record<string, string>;

/** The values k6 puts in a summary, by metric type. */
export type MetricValues = Record<string, number>;

/**
 * A sink as k6 has one per metric: a trend keeps every sample in an HDR histogram at microsecond
 * resolution (3 significant digits) plus the exact count, sum, min and max.
 */
export abstract class Sink {
  abstract readonly type: MetricType;
  abstract add(value: number): void;
  abstract values(stats: readonly string[], durationS: number): MetricValues;
  abstract get samples(): number;
}

/** A sink that answers avg/min/max/med/p(N) (a trend). */
export interface StatSink {
  stat(name: string): number | undefined;
}

export function isStatSink(sink: Sink): sink is Sink & StatSink {
  return sink.type === 'trend' && typeof (sink as Partial<StatSink>).stat === 'function';
}

/** A trend's summary values: each asked-for stat it knows. */
function statValues(sink: StatSink, stats: readonly string[]): MetricValues {
  const out: MetricValues = {};
  for (const name of stats) {
    const value = sink.stat(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** A percentile stat's name, `p(95)`, `p(99.9)`: the percentile in group 1. */
const PERCENTILE_STAT = /^p\((\d+(?:\.\d+)?)\)$/;

/**
 * A trend read from a Node IntervalHistogram (perf_hooks.monitorEventLoopDelay), in ms, minus the
 * sampling interval so it is the delay beyond the expected tick.
 */
export class IntervalHistogramSink extends Sink implements StatSink {
  readonly type = 'trend';
  constructor(private readonly histogram: import('node:perf_hooks').IntervalHistogram, private readonly resolutionMs: number) {
    super();
  }
  add(): void {
    // fed by Node itself
  }
  get samples(): number {
    return this.histogram.count;
  }
  private ms(ns: number): number {
    return Math.max(0, ns / 1e6 - this.resolutionMs);
  }
  stat(name: string): number | undefined {
    if (this.histogram.count === 0) return name === 'count' || /^(avg|min|max|med|p\(.*\))$/.test(name) ? 0 : undefined;
    switch (name) {
      case 'avg':
        return this.ms(this.histogram.mean);
      case 'min':
        return this.ms(this.histogram.min);
      case 'max':
        return this.ms(this.histogram.max);
      case 'med':
        return this.ms(this.histogram.percentile(50));
      case 'count':
        return this.histogram.count;
      default: {
        const match = PERCENTILE_STAT.exec(name);
        return match ? this.ms(this.histogram.percentile(Math.min(100, Math.max(0.0001, Number(match[1]))))) : undefined;
      }
    }
  }
  values(stats: readonly string[]): MetricValues {
    return statValues(this, stats);
  }
}

export class TrendSink extends Sink implements StatSink {
  readonly type = 'trend';
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
  private count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  /** value in milliseconds */
  add(valueMs: number): void {
    const v = Math.max(0, valueMs);
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.histogram.recordValue(Math.round(v * 1000)); // 0 is a value too (a reused socket connects in 0 ms)
  }

  get samples(): number {
    return this.count;
  }

  /** A percentile (0–100) in milliseconds; exact at the extremes. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    if (p <= 0) return this.min;
    if (p >= 100) return this.max;
    return Math.min(this.max, Math.max(this.min, this.histogram.getValueAtPercentile(p) / 1000));
  }

  stat(name: string): number | undefined {
    switch (name) {
      case 'avg':
        return this.count === 0 ? 0 : this.sum / this.count;
      case 'min':
        return this.count === 0 ? 0 : this.min;
      case 'max':
        return this.count === 0 ? 0 : this.max;
      case 'med':
        return this.percentile(50);
      case 'count':
        return this.count;
      default: {
        const match = PERCENTILE_STAT.exec(name);
        return match ? this.percentile(Number(match[1])) : undefined;
      }
    }
  }

  values(stats: readonly string[]): MetricValues {
    return statValues(this, stats);
  }
}

export class CounterSink extends Sink {
  readonly type = 'counter';
  count = 0;
  add(value: number): void {
    this.count += value;
  }
  get samples(): number {
    return this.count;
  }
  values(_stats: readonly string[], durationS: number): MetricValues {
    return { count: this.count, rate: durationS > 0 ? this.count / durationS : 0 };
  }
}

export class RateSink extends Sink {
  readonly type = 'rate';
  passes = 0;
  fails = 0;
  add(value: number): void {
    if (value !== 0) this.passes++;
    else this.fails++;
  }
  get samples(): number {
    return this.passes + this.fails;
  }
  get rate(): number {
    const total = this.passes + this.fails;
    return total === 0 ? 0 : this.passes / total;
  }
  values(): MetricValues {
    return { rate: this.rate, passes: this.passes, fails: this.fails };
  }
}

export class GaugeSink extends Sink {
  readonly type = 'gauge';
  private value = 0;
  private min = Infinity;
  private max = -Infinity;
  private n = 0;
  add(value: number): void {
    this.value = value;
    this.n++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
  get samples(): number {
    return this.n;
  }
  values(): MetricValues {
    return this.n === 0 ? { value: 0, min: 0, max: 0 } : { value: this.value, min: this.min, max: this.max };
  }
}

function newSink(type: MetricType): Sink {
  switch (type) {
    case 'trend':
      return new TrendSink();
    case 'counter':
      return new CounterSink();
    case 'rate':
      return new RateSink();
    case 'gauge':
      return new GaugeSink();
  }
}

/** "http_req_duration{name:checkout,scenario:peak}" → parent and tag filter. */
export function parseMetricKey(key: string): { parent: string; filter: Tags } {
  const match = /^([A-Za-z0-9_.]+)(?:\{(.*)\})?$/.exec(key.trim());
  if (!match?.[1]) throw new Error(`"${key}" is not a metric name (like http_req_duration or http_req_duration{name:checkout})`);
  const filter: Tags = {};
  for (const pair of (match[2] ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const colon = pair.indexOf(':');
    if (colon <= 0) throw new Error(`"${key}": tag "${pair}" is not key:value`);
    filter[pair.slice(0, colon).trim()] = pair.slice(colon + 1).trim();
  }
  return { parent: match[1], filter };
}

export function metricKey(parent: string, filter: Tags): string {
  const pairs = Object.entries(filter).map(([k, v]) => `${k}:${v}`);
  return pairs.length === 0 ? parent : `${parent}{${pairs.join(',')}}`;
}

interface Metric {
  name: string;
  type: MetricType;
  contains: MetricContains;
  sink: Sink;
  subs: { key: string; filter: Tags; sink: Sink }[];
  /** values of the auto-split tag already given a sub-metric */
  split: Set<string>;
}

/** Tags that split a metric into per-value sub-metrics automatically (the flow's steps). */
const AUTO_SPLIT: Record<string, string> = { http_req_duration: 'name' };

export class MetricRegistry {
  private readonly metrics = new Map<string, Metric>();

  define(name: string, type: MetricType, contains: MetricContains = 'default', sink: Sink = newSink(type)): void {
    if (!this.metrics.has(name)) this.metrics.set(name, { name, type, contains, sink, subs: [], split: new Set() });
  }

  /** Makes sure a sub-metric records from now on (thresholds and the per-step splits use this). */
  ensure(key: string): Sink {
    const { parent, filter } = parseMetricKey(key);
    const metric = this.metrics.get(parent);
    if (!metric) throw new Error(`unknown metric "${parent}" (known: ${[...this.metrics.keys()].sort().join(', ')})`);
    if (Object.keys(filter).length === 0) return metric.sink;
    const canonical = metricKey(parent, filter);
    const existing = metric.subs.find((s) => s.key === canonical);
    if (existing) return existing.sink;
    const sub = { key: canonical, filter, sink: newSink(metric.type) };
    metric.subs.push(sub);
    return sub.sink;
  }

  add(name: string, value: number, tags: Tags = {}): void {
    const metric = this.metrics.get(name);
    if (!metric) throw new Error(`unknown metric ${name}`);
    metric.sink.add(value);
    const split = AUTO_SPLIT[name];
    const splitValue = split ? tags[split] : undefined;
    if (split && splitValue !== undefined && !metric.split.has(splitValue)) {
      metric.split.add(splitValue);
      this.ensure(metricKey(name, { [split]: splitValue }));
    }
    for (const sub of metric.subs) {
      let match = true;
      for (const k in sub.filter) {
        if (tags[k] !== sub.filter[k]) {
          match = false;
          break;
        }
      }
      if (match) sub.sink.add(value);
    }
  }

  sink(key: string): Sink | undefined {
    const { parent, filter } = parseMetricKey(key);
    const metric = this.metrics.get(parent);
    if (!metric) return undefined;
    if (Object.keys(filter).length === 0) return metric.sink;
    return metric.subs.find((s) => s.key === metricKey(parent, filter))?.sink;
  }

  /** Every metric and sub-metric, parents first, in name order. */
  entries(): { key: string; type: MetricType; contains: MetricContains; sink: Sink; isSub: boolean }[] {
    const out: { key: string; type: MetricType; contains: MetricContains; sink: Sink; isSub: boolean }[] = [];
    for (const metric of [...this.metrics.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      out.push({ key: metric.name, type: metric.type, contains: metric.contains, sink: metric.sink, isSub: false });
      for (const sub of [...metric.subs].sort((a, b) => a.key.localeCompare(b.key))) {
        out.push({ key: sub.key, type: metric.type, contains: metric.contains, sink: sub.sink, isSub: true });
      }
    }
    return out;
  }
}
