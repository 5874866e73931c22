import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { env, parseEnv } from '@checkout-lab/config';

/**
 * Every environment variable the telemetry layer reads (the OpenTelemetry SDK and its exporters
 * read the OTEL_* ones themselves). Infra validation checks compose and k8s env against it.
 */
export const TELEMETRY_ENV_VARS = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_TRACES_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_LOG_LEVEL',
  'OTEL_NODE_EXPERIMENTAL_SDK_METRICS',
  'DEPLOYMENT_ENVIRONMENT',
] as const;

/** Span batching sized for the lab's heaviest scenario: a few hundred concurrent checkouts of ~20 spans each. */
export const BATCH_DEFAULTS = { maxQueueSize: 65_536, maxExportBatchSize: 2_048, scheduledDelayMillis: 500, exportTimeoutMillis: 30_000 };

/** The OTLP transports the specification defines for OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL. */
export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

const otlpProtocol = () => z.enum(OTLP_PROTOCOLS, { error: `must be one of: ${OTLP_PROTOCOLS.join(', ')}` }).optional();

const schema = z
  .object({
    OTEL_SDK_DISABLED: env.boolean(false),
    OTEL_SERVICE_NAME: z.string().min(1).optional(),
    /** `otlp` (default), `console` (spans printed to stdout) or `none` (spans recorded, exported nowhere). */
    OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none'], { error: 'must be one of: otlp, console, none' }).default('otlp'),
    /** The signal-specific variable wins over the general one; http/protobuf when neither is set. */
    OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol(),
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol(),
    OTEL_BSP_MAX_QUEUE_SIZE: env.positiveInt(BATCH_DEFAULTS.maxQueueSize),
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: env.positiveInt(BATCH_DEFAULTS.maxExportBatchSize),
    OTEL_BSP_SCHEDULE_DELAY: env.positiveInt(BATCH_DEFAULTS.scheduledDelayMillis),
    OTEL_BSP_EXPORT_TIMEOUT: env.positiveInt(BATCH_DEFAULTS.exportTimeoutMillis),
    DEPLOYMENT_ENVIRONMENT: z.string().min(1).default('lab'),
  })
  .transform((e) => ({
    disabled: e.OTEL_SDK_DISABLED,
    serviceName: e.OTEL_SERVICE_NAME,
    exporter: e.OTEL_TRACES_EXPORTER,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    batch: {
      maxQueueSize: e.OTEL_BSP_MAX_QUEUE_SIZE,
      maxExportBatchSize: Math.min(e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, e.OTEL_BSP_MAX_QUEUE_SIZE),
      scheduledDelayMillis: e.OTEL_BSP_SCHEDULE_DELAY,
      exportTimeoutMillis: e.OTEL_BSP_EXPORT_TIMEOUT,
    },
    deploymentEnvironment: e.DEPLOYMENT_ENVIRONMENT,
  }));

export type TelemetrySettings = z.infer<typeof schema>;

export function loadTelemetrySettings(environment: NodeJS.ProcessEnv): TelemetrySettings {
  return parseEnv('telemetry', schema, environment);
}

/**
 * What a service adds to its telemetry resource (e.g. billing-address: the store it serves from),
 * from the environment it starts with. A service names the module that exports it as
 * `telemetryResource` in its package.json; the preload calls it once the instrumentations are in
 * place, so it may load the service's config but should load no driver.
 */
export type TelemetryResource = (environment: NodeJS.ProcessEnv) => Record<string, string>;

export interface ServiceIdentity {
  name: string;
  version: string;
  /** The module its package.json names under `telemetryResource`, if any (absolute path). */
  resourceModule?: string;
}

/**
 * The service a process runs, from its entry file (services/<name>/src/main.ts), and that
 * service's package version. Used when OTEL_SERVICE_NAME is not set.
 */
export function serviceIdentity(entry: string | undefined): ServiceIdentity {
  const fallback = { name: 'unknown_service:node', version: '0.0.0' };
  if (!entry) return fallback;
  let dir = path.dirname(path.resolve(entry));
  for (let depth = 0; depth < 4; depth += 1, dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: string; telemetryResource?: string };
    return {
      name: path.basename(dir),
      version: pkg.version ?? fallback.version,
      ...(pkg.telemetryResource ? { resourceModule: path.resolve(dir, pkg.telemetryResource) } : {}),
    };
  }
  return fallback;
}

/** The attributes the service's own TelemetryResource gives for this environment ({} when it declares none). */
export function serviceResourceAttributes(identity: ServiceIdentity, environment: NodeJS.ProcessEnv): Record<string, string> {
  if (!identity.resourceModule) return {};
  // A module named at run time by the service's package.json, loaded synchronously: the preload cannot wait.
  const loaded = require(identity.resourceModule) as { telemetryResource?: unknown };
  if (typeof loaded.telemetryResource !== 'function') {
    throw new Error(`${identity.resourceModule} (package.json "telemetryResource") exports no telemetryResource function`);
  }
  return (loaded.telemetryResource as TelemetryResource)(environment);
}
