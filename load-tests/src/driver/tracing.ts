import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import { randomBytes } from 'node:crypto';
import { SPAN_CHECKOUT_FLOW } from '@checkout-lab/telemetry';
import type { EnvLike } from '../scenario-env';

// Random ids come from a pooled buffer: one crypto call per 512 traceparents, not two per iteration.
let pool = Buffer.alloc(0);
let poolAt = 0;
function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    pool = randomBytes(24 * 512);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

/** The root of an iteration's trace: its traceparent and, when tracing is on, its span. */
export interface IterationTrace {
  traceparent: string;
  end(outcome: { error?: string }): void;
}

/**
 * The driver as an OpenTelemetry client: one `checkout-flow` span per iteration (service.name
 * `load-driver` unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise, see
 * driverResource), exported over OTLP http/protobuf. Its own small provider, never the global one,
 * so an embedding process's telemetry is left alone. Off, each iteration still gets a random
 * sampled traceparent so the services' spans of one iteration share a trace.
 */
export class IterationTracer {
  private constructor(
    private readonly provider: BasicTracerProvider | undefined,
    private readonly tracer: Tracer | undefined,
    readonly endpoint: string | undefined,
  ) {}

  /** `otlp`: true or an endpoint to force tracing on; otherwise on when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set. */
  static create(env: EnvLike, otlp?: boolean | string): IterationTracer {
    const base = typeof otlp === 'string' ? otlp : env['OTEL_EXPORTER_OTLP_ENDPOINT'] || (otlp ? 'http://127.0.0.1:4318' : undefined);
    const tracesUrl = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
    if (!tracesUrl || env['OTEL_SDK_DISABLED'] === 'true') return new IterationTracer(undefined, undefined, undefined);
    const provider = new BasicTracerProvider({
      resource: driverResource(env),
      sampler: samplerFromEnv(env),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }), { maxQueueSize: 8192, maxExportBatchSize: 512, scheduledDelayMillis: 1000 })],
    });
    return new IterationTracer(provider, provider.getTracer('checkout-lab-load-driver'), tracesUrl);
  }

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  start(attributes: Record<string, string | number>): IterationTrace {
    if (!this.tracer) {
      const traceparent = `00-${randomHex(16)}-${randomHex(8)}-01`;
      return { traceparent, end: () => undefined };
    }
    const span: Span = this.tracer.startSpan(SPAN_CHECKOUT_FLOW, { kind: SpanKind.CLIENT, attributes });
    const ctx = span.spanContext();
    return {
      traceparent: `00-${ctx.traceId}-${ctx.spanId}-${ctx.traceFlags.toString(16).padStart(2, '0')}`,
      end: ({ error }) => {
        if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
        span.end();
      },
    };
  }

  /** Exports what is queued and stops; never throws (a lost span is not worth failing a run). */
  async shutdown(): Promise<void> {
    await this.provider?.shutdown().catch(() => undefined);
  }
}

/**
 * The driver's resource, as the SDK's envDetector builds a service's (which reads process.env
 * only, and the driver's variables are the scenario's env): `service.name` `load-driver` and
 * `deployment.environment.name` (DEPLOYMENT_ENVIRONMENT, default `lab`), overridden by
 * OTEL_RESOURCE_ATTRIBUTES (`key=value,…`, values percent-encoded), and `service.name` by
 * OTEL_SERVICE_NAME above all. A malformed OTEL_RESOURCE_ATTRIBUTES is an error naming it.
 */
export function driverResource(env: EnvLike): Resource {
  const serviceName = env['OTEL_SERVICE_NAME']?.trim();
  return resourceFromAttributes({
    'service.name': 'load-driver',
    'deployment.environment.name': env['DEPLOYMENT_ENVIRONMENT'] || 'lab',
    ...parseResourceAttributes(env['OTEL_RESOURCE_ATTRIBUTES'] ?? ''),
    ...(serviceName ? { 'service.name': serviceName } : {}),
  });
}

/** OTEL_RESOURCE_ATTRIBUTES per the SDK configuration spec: comma-separated key=value, values percent-decoded. */
function parseResourceAttributes(raw: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const item of raw.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    const key = eq < 0 ? '' : item.slice(0, eq).trim();
    let value: string | undefined;
    try {
      value = eq < 0 ? undefined : decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      value = undefined;
    }
    if (!key || value === undefined) {
      throw new Error(`OTEL_RESOURCE_ATTRIBUTES=${raw}: each entry must be key=value, the value percent-encoded (${JSON.stringify(item.trim())} is not)`);
    }
    attributes[key] = value;
  }
  return attributes;
}

/**
 * OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG for the driver's root spans. The driver starts
 * every trace, so a parent-based sampler behaves as its root sampler; an unsampled root sends
 * `traceparent` flags 00, and the services' (parent-based) samplers then record nothing.
 */
export function samplerFromEnv(env: EnvLike): Sampler {
  const name = env['OTEL_TRACES_SAMPLER'] || 'parentbased_always_on';
  const arg = env['OTEL_TRACES_SAMPLER_ARG'];
  switch (name.replace(/^parentbased_/, '')) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio': {
      const ratio = arg === undefined || arg === '' ? 1 : Number(arg);
      if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new Error(`OTEL_TRACES_SAMPLER_ARG=${arg}: must be a ratio from 0 to 1`);
      return new TraceIdRatioBasedSampler(ratio);
    }
    default:
      throw new Error(`OTEL_TRACES_SAMPLER=${name}: the load driver supports always_on, always_off, traceidratio (and their parentbased_ forms)`);
  }
}
