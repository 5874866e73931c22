import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { endpointOf, interpolate, isEndpointVariable, loadCompose, serviceEnvironment, servicePorts, type ComposeFile } from '../src';
import { INFRA, REPO, SERVICE_SCHEMAS, SERVICES, AWS_ENV_VARS } from './helpers';

const COMPOSE_FILE = path.join(REPO, 'docker-compose.yml');
/** The stack as `docker compose up` sees it with each billing store. */
const stacks: Record<'sql' | 'dynamodb', ComposeFile> = {
  sql: loadCompose(COMPOSE_FILE, {}),
  dynamodb: loadCompose(COMPOSE_FILE, { BILLING_STORE: 'dynamodb' }),
};
const compose = stacks.sql;

describe('compose interpolation', () => {
  it('applies defaults, values and $$ like docker compose', () => {
    expect(interpolate('${A:-x}/${B-y}/$C/$$D', { A: '', B: '', C: 'c' })).toBe('x//c/$D');
    expect(() => interpolate('${NEED:?set NEED}', {})).toThrow('set NEED');
  });
});

describe('docker-compose.yml', () => {
  // The schema says `"$schema": "https://json-schema.org/draft-07/schema"`; Ajv's default dialect is draft-07.
  const { $schema: _dialect, ...composeSchema } = JSON.parse(readFileSync(path.join(INFRA, 'schemas', 'compose-spec.json'), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validateCompose = ajv.compile(composeSchema);
  // The schema describes the file before interpolation (anchors and merge keys resolved).
  const raw = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as { services: Record<string, Record<string, unknown>> };

  it('validates against the Compose Specification schema', () => {
    const valid = validateCompose(raw);
    expect(validateCompose.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('(the schema check rejects what docker compose would: a misspelt key, a bad depends_on condition)', () => {
    const broken = structuredClone(raw);
    broken.services['cart'] = { ...broken.services['cart'], enviroment: { A: 'b' } };
    expect(validateCompose(broken)).toBe(false);
    const badCondition = structuredClone(raw);
    badCondition.services['cart'] = { ...badCondition.services['cart'], depends_on: { payment: { condition: 'service_ready' } } };
    expect(validateCompose(badCondition)).toBe(false);
  });

  it('has the whole stack, and k6 only under the load profile', () => {
    for (const name of [...SERVICES, 'postgres', 'billing-postgres', 'dynamodb', 'stripe-mock', 'otel-collector', 'jaeger', 'prometheus', 'grafana', 'k6', 'billing-seed', 'billing-migrate']) {
      expect(compose.services).toHaveProperty([name]);
    }
    expect(compose.services['k6']?.profiles).toEqual(['load']);
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== 'k6') expect([name, service.profiles]).toEqual([name, undefined]);
    }
  });

  it('pins every image to a version (no latest, no untagged)', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const image = service.image;
      expect([name, typeof image]).toEqual([name, 'string']);
      const tag = /:([^/:@]+)$/.exec(image as string)?.[1];
      expect([name, tag !== undefined && tag !== 'latest']).toEqual([name, true]);
    }
  });

  it.each(['sql', 'dynamodb'] as const)('with BILLING_STORE=%s, sets only variables each service knows, and every one it requires', (store) => {
    const stack = stacks[store];
    for (const name of SERVICES) {
      const env = serviceEnvironment(stack.services[name] ?? {});
      const unknown = Object.keys(env).filter((key) => !SERVICE_SCHEMAS[name].known.has(key));
      expect([name, unknown]).toEqual([name, []]);
      // The service's own schema, exactly as it parses at start-up: required variables set, values valid.
      expect(() => SERVICE_SCHEMAS[name].load(env)).not.toThrow();
    }
    expect(serviceEnvironment(stack.services['billing-address'] ?? {})['BILLING_STORE']).toBe(store);
  });

  it('points every URL and gRPC target at a service of the stack and a port it listens on', () => {
    const checked: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [variable, value] of Object.entries(serviceEnvironment(service))) {
        if (!isEndpointVariable(variable)) continue;
        const endpoint = endpointOf(value);
        expect([name, variable, endpoint !== undefined]).toEqual([name, variable, true]);
        const target = compose.services[endpoint!.host];
        expect([name, variable, endpoint!.host, target !== undefined]).toEqual([name, variable, endpoint!.host, true]);
        const listening = servicePorts(target!);
        // A service without expose/ports listens on its image's default port: compose files here always declare it.
        expect([name, variable, value, listening.has(endpoint!.port)]).toEqual([name, variable, value, true]);
        checked.push(`${name}.${variable}`);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'cart.DATABASE_URL',
        'cart.PAYMENT_GRPC_TARGET',
        'cart.OTEL_EXPORTER_OTLP_ENDPOINT',
        'payment.BILLING_ADDRESS_GRPC_TARGET',
        'payment.STRIPE_API_BASE',
        'billing-address.BILLING_DATABASE_URL',
        'billing-address.DYNAMODB_ENDPOINT',
        'k6.BASE_URL',
      ]),
    );
  });

  it('listens where the services are told to listen', () => {
    const cart = serviceEnvironment(compose.services['cart']!);
    const payment = serviceEnvironment(compose.services['payment']!);
    const billing = serviceEnvironment(compose.services['billing-address']!);
    expect(servicePorts(compose.services['cart']!).has(Number(cart['CART_HTTP_PORT']))).toBe(true);
    expect(servicePorts(compose.services['payment']!)).toEqual(new Set([Number(payment['PAYMENT_GRPC_PORT']), Number(payment['PAYMENT_METRICS_PORT'])]));
    expect(servicePorts(compose.services['billing-address']!)).toEqual(new Set([Number(billing['BILLING_GRPC_PORT']), Number(billing['BILLING_METRICS_PORT'])]));
    for (const env of [cart, payment, billing]) {
      expect(Object.entries(env).filter(([key, value]) => key.endsWith('_HOST') && value !== '0.0.0.0')).toEqual([]);
    }
  });

  it('orders start-up with health checks and one-shot jobs', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const dependsOn = service.depends_on ?? {};
      expect([name, Array.isArray(dependsOn)]).toEqual([name, false]);
      for (const [dependency, { condition }] of Object.entries(dependsOn as Record<string, { condition?: string }>)) {
        const target = compose.services[dependency];
        expect([name, dependency, target !== undefined]).toEqual([name, dependency, true]);
        if (condition === 'service_healthy') expect([name, dependency, target?.healthcheck?.test !== undefined]).toEqual([name, dependency, true]);
        if (condition === 'service_completed_successfully') expect([name, dependency, target?.['restart']]).toEqual([name, dependency, 'no']);
      }
    }
    const conditionOf = (service: string, dependency: string) =>
      (compose.services[service]?.depends_on as Record<string, { condition?: string }> | undefined)?.[dependency]?.condition;
    expect(conditionOf('cart', 'payment')).toBe('service_healthy');
    expect(conditionOf('payment', 'billing-address')).toBe('service_healthy');
    expect(conditionOf('billing-address', 'billing-migrate')).toBe('service_completed_successfully');
    expect(conditionOf('billing-migrate', 'billing-seed')).toBe('service_completed_successfully');
    expect(compose.services['billing-seed']?.command).toEqual(['checkout-lab', 'seed']);
    expect(compose.services['billing-migrate']?.command).toEqual(['checkout-lab', 'migrate']);
    expect(conditionOf('k6', 'cart')).toBe('service_healthy');
  });

  it("gives the seed and migrate jobs only variables the lab CLI reads", () => {
    // The CLI and the libraries it reads its settings and stores through.
    const labSources = [path.join('apps', 'checkout-lab'), path.join('libs', 'stack'), path.join('libs', 'backfill'), path.join('libs', 'experiment'), path.join('libs', 'billing-store')]
      .map((project) => readTree(path.join(REPO, project, 'src')))
      .join('\n');
    for (const job of ['billing-seed', 'billing-migrate']) {
      for (const variable of Object.keys(serviceEnvironment(compose.services[job]!))) {
        if (AWS_ENV_VARS.includes(variable)) continue;
        expect([job, variable, labSources.includes(variable)]).toEqual([job, variable, true]);
      }
    }
  });

  it('keeps legacy billing PostgreSQL with pg_stat_statements', () => {
    const command = compose.services['billing-postgres']?.command as string[];
    expect(command.join(' ')).toContain('shared_preload_libraries=pg_stat_statements');
  });

  it('mounts only files that exist in the repository, and runs the k6 entry script with a scenario that exists', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0]! : volume.source ?? '';
        if (!source.startsWith('./') || source.startsWith('./.lab')) continue;
        expect([name, source, existsSync(path.join(REPO, source))]).toEqual([name, source, true]);
      }
    }
    const k6 = compose.services['k6']!;
    const script = (k6.command as string[]).find((arg) => arg.startsWith('/load-tests/'))!;
    expect(existsSync(path.join(REPO, script.replace(/^\/load-tests/, 'load-tests')))).toBe(true);
    const scenario = serviceEnvironment(k6)['SCENARIO'];
    expect(existsSync(path.join(REPO, 'load-tests', 'scenarios', `${scenario}.json`))).toBe(true);
  });

  it('scrapes with Prometheus exactly the services and the Collector of the stack', () => {
    const prometheus = parse(readFileSync(path.join(INFRA, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = prometheus.scrape_configs.flatMap((job) => job.static_configs.flatMap((config) => config.targets));
    for (const target of targets) {
      const endpoint = endpointOf(target)!;
      expect([target, servicePorts(compose.services[endpoint.host] ?? {}).has(endpoint.port)]).toEqual([target, true]);
    }
    const env = (name: string) => serviceEnvironment(compose.services[name]!);
    expect(targets).toEqual(
      expect.arrayContaining([
        `cart:${env('cart')['CART_HTTP_PORT']}`,
        `payment:${env('payment')['PAYMENT_METRICS_PORT']}`,
        `billing-address:${env('billing-address')['BILLING_METRICS_PORT']}`,
        'otel-collector:8889',
      ]),
    );
  });
});

function readTree(dir: string): string {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => readFileSync(path.join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}
