import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { INFRA, REPO } from './helpers';

interface CollectorConfig {
  receivers?: Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters?: Record<string, unknown>;
  connectors?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
}

/** Problems in a Collector config's wiring: pipelines naming undefined components, unused connectors. */
function collectorProblems(config: CollectorConfig): string[] {
  const problems: string[] = [];
  const defined = (section: keyof CollectorConfig, name: string) => Object.hasOwn((config[section] as Record<string, unknown>) ?? {}, name);
  for (const name of config.service.extensions ?? []) if (!defined('extensions', name)) problems.push(`extension ${name} is not defined`);
  for (const [pipeline, { receivers, processors = [], exporters }] of Object.entries(config.service.pipelines)) {
    if (!/^(traces|metrics|logs)(\/.+)?$/.test(pipeline)) problems.push(`pipeline ${pipeline}: not traces|metrics|logs[/name]`);
    if (receivers.length === 0 || exporters.length === 0) problems.push(`pipeline ${pipeline}: needs receivers and exporters`);
    for (const r of receivers) if (!defined('receivers', r) && !defined('connectors', r)) problems.push(`pipeline ${pipeline}: receiver ${r} is not defined`);
    for (const p of processors) if (!defined('processors', p)) problems.push(`pipeline ${pipeline}: processor ${p} is not defined`);
    for (const e of exporters) if (!defined('exporters', e) && !defined('connectors', e)) problems.push(`pipeline ${pipeline}: exporter ${e} is not defined`);
  }
  for (const connector of Object.keys(config.connectors ?? {})) {
    const pipelines = Object.values(config.service.pipelines);
    if (!pipelines.some((p) => p.exporters.includes(connector)) || !pipelines.some((p) => p.receivers.includes(connector))) {
      problems.push(`connector ${connector} must be an exporter of one pipeline and a receiver of another`);
    }
  }
  return problems;
}

const COLLECTOR_CONFIGS = ['infra/otel-collector/config.yaml', 'infra/k8s/base/otel-collector-config.yaml'];

describe('OpenTelemetry Collector configs', () => {
  it.each(COLLECTOR_CONFIGS)('%s parses and its pipelines use only defined components', (file) => {
    const config = parse(readFileSync(path.join(REPO, file), 'utf8')) as CollectorConfig;
    expect(collectorProblems(config)).toEqual([]);
    const traces = config.service.pipelines['traces']!;
    expect(traces.receivers).toEqual(['otlp']);
    expect(traces.exporters).toContain('spanmetrics');
    expect(config.service.pipelines['metrics/spanmetrics']?.exporters).toEqual(['prometheus']);
  });

  it('(the wiring check finds a pipeline naming an undefined exporter)', () => {
    const config = parse(readFileSync(path.join(REPO, COLLECTOR_CONFIGS[0]!), 'utf8')) as CollectorConfig;
    config.service.pipelines['traces']!.exporters.push('otlp/nowhere');
    expect(collectorProblems(config)).toEqual(['pipeline traces: exporter otlp/nowhere is not defined']);
  });

  it('on compose, writes OTLP JSON to the directory the report reads and sends traces to Jaeger', () => {
    const config = parse(readFileSync(path.join(REPO, COLLECTOR_CONFIGS[0]!), 'utf8')) as any;
    const file = Object.entries(config.exporters).find(([name]) => name.startsWith('file'))![1] as { path: string; format: string };
    expect(file.format).toBe('json');
    const compose = readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./.lab/otel:${path.posix.dirname(file.path)}`);
    expect(config.exporters['otlp/jaeger'].endpoint).toBe('jaeger:4317');
  });
});

describe('Prometheus config', () => {
  const file = path.join(INFRA, 'prometheus', 'prometheus.yml');

  it('passes promtool check config', () => {
    const result = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    if (result.error) throw new Error(`promtool is not installed (Debian: apt-get install -y prometheus): ${result.error.message}`);
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('(promtool rejects a broken config, so the check above means something)', () => {
    const result = spawnSync('promtool', ['check', 'config', '/dev/stdin'], { input: 'scrape_configs:\n  - job_name: x\n    scrape_interval: often\n', encoding: 'utf8' });
    expect(result.status).not.toBe(0);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(INFRA, 'docker', 'Dockerfile'), 'utf8');
  const entrypoint = readFileSync(path.join(INFRA, 'docker', 'entrypoint.sh'), 'utf8');

  it('builds on a pinned slim Node 24 (the current LTS), installs production dependencies only, runs as a non-root user with a health check', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-[a-z]+-slim$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/npx nx run-many -t typecheck/);
    const stages = dockerfile.split(/^FROM /m);
    const runtime = stages[stages.length - 1]!;
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
    expect(runtime).not.toMatch(/npm (ci|install)(?! --omit=dev)/);
  });

  it('starts each service with the telemetry preload, from files that exist', () => {
    const preload = /-r (\.\/libs\/telemetry\/src\/preload\.ts)/.exec(entrypoint)?.[1];
    expect(preload).toBeDefined();
    expect(() => readFileSync(path.join(REPO, preload!))).not.toThrow();
    for (const service of ['cart', 'payment', 'billing-address']) expect(() => readFileSync(path.join(REPO, 'services', service, 'src', 'main.ts'))).not.toThrow();
    expect(() => readFileSync(path.join(REPO, 'apps', 'checkout-lab', 'src', 'main.ts'))).not.toThrow();
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/.lab', '.git', '.env']));
  });
});
