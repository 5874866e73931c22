import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import { ConfigError } from '@checkout-lab/config';
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createTraceExporter } from '../src/exporters';
import { loadTelemetrySettings } from '../src/settings';

const exporterFor = (env: NodeJS.ProcessEnv) => createTraceExporter(loadTelemetrySettings(env));

describe('the trace exporter from OTEL_TRACES_EXPORTER and OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL', () => {
  it.each([
    ['nothing set: OTLP http/protobuf', {}, OTLPProtoTraceExporter, 'otlp_http_span_exporter'],
    ['http/protobuf', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }, OTLPProtoTraceExporter, 'otlp_http_span_exporter'],
    ['http/json', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, OTLPJsonTraceExporter, 'otlp_http_json_span_exporter'],
    ['grpc', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, OTLPGrpcTraceExporter, 'otlp_grpc_span_exporter'],
    ['the traces variable over the general one (grpc)', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, OTLPGrpcTraceExporter, 'otlp_grpc_span_exporter'],
    ['the traces variable over the general one (http/protobuf)', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, OTLPProtoTraceExporter, 'otlp_http_span_exporter'],
    ['console', { OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, ConsoleSpanExporter, 'console_span_exporter'],
  ])('%s', async (_name, env, type, componentType) => {
    const chosen = exporterFor(env);
    expect(chosen?.exporter).toBeInstanceOf(type);
    expect(chosen?.componentType).toBe(componentType);
    await chosen?.exporter.shutdown();
  });

  it('none: no exporter (spans are recorded and processed, then dropped)', () => {
    expect(exporterFor({ OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });

  it.each(['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'])('an unknown %s is a config error naming the variable and the valid values', (variable) => {
    let error: unknown;
    try {
      loadTelemetrySettings({ [variable]: 'http' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([`${variable}: must be one of: grpc, http/protobuf, http/json (got "http")`]);
  });
});

describe('OTLP over gRPC', () => {
  it('delivers spans to a gRPC TraceService at OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', async () => {
    const definition = protoLoader.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', {
      includeDirs: [path.join(__dirname, '..', 'proto')],
      longs: String,
      keepCase: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      opentelemetry: { proto: { collector: { trace: { v1: { TraceService: grpc.ServiceClientConstructor } } } } };
    };
    const received: string[] = [];
    const server = new grpc.Server();
    server.addService(loaded.opentelemetry.proto.collector.trace.v1.TraceService.service, {
      Export: (call: grpc.ServerUnaryCall<{ resource_spans: { scope_spans: { spans: { name: string }[] }[] }[] }, object>, done: grpc.sendUnaryData<object>) => {
        for (const resource of call.request.resource_spans) for (const scope of resource.scope_spans) for (const span of scope.spans) received.push(span.name);
        done(null, {});
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const previous = process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
    process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = `http://127.0.0.1:${port}`;
    try {
      const chosen = exporterFor({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' });
      if (!chosen) throw new Error('no exporter');
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(chosen.exporter)] });
      provider.getTracer('test').startSpan('over-grpc').end();
      await provider.forceFlush();
      await provider.shutdown();
      expect(received).toEqual(['over-grpc']);
    } finally {
      if (previous === undefined) delete process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
      else process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = previous;
      server.forceShutdown();
    }
  });
});
