import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  containerEnvironments,
  endpointOf,
  isEndpointVariable,
  kustomize,
  podContainers,
  podSpecOf,
  readObjects,
  validateKubernetesObject,
  type K8sObject,
} from '../src';
import { INFRA, SERVICE_SCHEMAS, SERVICES } from './helpers';

const K8S = path.join(INFRA, 'k8s');
const OVERLAYS = ['local', 'aws'] as const;
const composed: Record<(typeof OVERLAYS)[number], K8sObject[]> = {
  local: kustomize(path.join(K8S, 'overlays', 'local')),
  aws: kustomize(path.join(K8S, 'overlays', 'aws')),
};
/** Secrets the aws overlay expects you to create (README / infra/README.md), with a value of the right shape. */
const AWS_EXTERNAL_SECRETS: Record<string, string> = {
  'app-database/url': 'postgres://checkout:pw@checkout.cluster-abc.us-east-1.rds.amazonaws.com:5432/app',
  'billing-database/url': 'postgres://billing:pw@billing.cluster-abc.us-east-1.rds.amazonaws.com:5432/billing',
  'stripe/secret-key': 'sk_test_yours',
};
/** Endpoints outside the cluster the aws overlay may name. */
const AWS_EXTERNAL_HOSTS = /(\.rds\.amazonaws\.com|^api\.stripe\.com)$/;

const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe('the Kustomize composer', () => {
  function tree(files: Record<string, string>): string {
    const root = mkdtempSync(path.join(tmpdir(), 'kustomize-'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    return root;
  }
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: web:1.0
          env: [{ name: A, value: "1" }, { name: B, value: "2" }]
`;

  it('composes resources, generators (merge), strategic-merge and JSON 6902 patches, namespace, labels and images', () => {
    const root = tree({
      'base/kustomization.yaml': `resources: [web.yaml]
generatorOptions: { disableNameSuffixHash: true }
configMapGenerator: [{ name: cfg, literals: [X=1, Y=2] }]
`,
      'base/web.yaml': deployment,
      'overlay/kustomization.yaml': `namespace: shop
resources: [../base]
labels: [{ pairs: { team: checkout }, includeSelectors: true }]
images: [{ name: web, newName: registry/web, newTag: "2.0" }]
generatorOptions: { disableNameSuffixHash: true }
configMapGenerator: [{ name: cfg, behavior: merge, literals: [Y=3, Z=4] }]
patches:
  - path: env.yaml
  - path: replicas.yaml
    target: { kind: Deployment, name: web }
`,
      'overlay/env.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  template:
    spec:
      containers:
        - name: web
          env: [{ name: B, value: "20" }, { name: C, value: "3" }, { name: A, $patch: delete }]
`,
      'overlay/replicas.yaml': `- { op: add, path: /spec/replicas, value: 3 }`,
    });
    const objects = kustomize(path.join(root, 'overlay'));
    const web = find(objects, 'Deployment', 'web') as any;
    expect(web.metadata.namespace).toBe('shop');
    expect(web.metadata.labels).toEqual({ team: 'checkout' });
    expect(web.spec.selector.matchLabels).toEqual({ app: 'web', team: 'checkout' });
    expect(web.spec.template.metadata.labels).toEqual({ app: 'web', team: 'checkout' });
    expect(web.spec.replicas).toBe(3);
    expect(web.spec.template.spec.containers[0].image).toBe('registry/web:2.0');
    expect(web.spec.template.spec.containers[0].env).toEqual([
      { name: 'B', value: '20' },
      { name: 'C', value: '3' },
    ]);
    expect((find(objects, 'ConfigMap', 'cfg') as any).data).toEqual({ X: '1', Y: '3', Z: '4' });
  });

  it('refuses what it cannot do as kustomize would: unknown fields, files outside the directory, hashed names, missing targets', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'k/kustomization.yaml': 'replicas: [{ name: web, count: 2 }]\n' }, /field "replicas" is not supported/],
      [{ 'k/kustomization.yaml': 'resources: [../web.yaml]\n', 'web.yaml': deployment }, /outside the kustomization's directory/],
      [{ 'k/kustomization.yaml': 'configMapGenerator: [{ name: c, literals: [A=1] }]\n' }, /disableNameSuffixHash/],
      [{ 'k/kustomization.yaml': 'resources: [web.yaml]\npatches: [{ path: p.yaml }]\n', 'k/web.yaml': deployment, 'k/p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: nope }\n' }, /matches 0 resources/],
    ];
    for (const [files, message] of cases) expect(() => kustomize(path.join(tree(files), 'k'))).toThrow(message);
  });
});

describe.each(OVERLAYS)('infra/k8s/overlays/%s', (overlay) => {
  const objects = composed[overlay];
  const env = containerEnvironments(objects);

  it('validates every object against the Kubernetes API schemas', () => {
    expect(objects.length).toBeGreaterThan(10);
    expect(objects.flatMap(validateKubernetesObject)).toEqual([]);
    // The check is real: a wrong type is caught.
    const broken = structuredClone(find(objects, 'Deployment', 'cart')!) as any;
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(validateKubernetesObject(broken)).toEqual([expect.stringContaining('containerPort')]);
  });

  it('puts everything in the checkout-lab namespace, with unique kind/name pairs', () => {
    expect(objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'checkout-lab').map((o) => o.metadata.name)).toEqual([]);
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('runs each service with probes, resources, a non-root read-only container and an HPA', () => {
    for (const name of SERVICES) {
      const deployment = find(objects, 'Deployment', name) as any;
      expect([name, deployment !== undefined]).toEqual([name, true]);
      const pod = deployment.spec.template.spec;
      const [container] = pod.containers;
      expect(container.args).toEqual([name]);
      expect(container.image).toMatch(/^[^:]+:[^:]+$/);
      expect(container.readinessProbe).toBeDefined();
      expect(container.livenessProbe).toBeDefined();
      if (name !== 'cart') expect(container.readinessProbe.grpc.port).toBe(container.ports.find((p: any) => p.name === 'grpc').containerPort);
      expect(container.resources.requests.cpu).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      const hpa = find(objects, 'HorizontalPodAutoscaler', name) as any;
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    }
  });

  it('sets only variables each service knows, and every one it requires', () => {
    expect(env.flatMap((e) => e.problems)).toEqual([]);
    const secrets = new Map<string, string>();
    for (const secret of objects.filter((o) => o.kind === 'Secret')) {
      for (const [key, value] of Object.entries((secret['stringData'] ?? {}) as Record<string, string>)) secrets.set(`${secret.metadata.name}/${key}`, value);
    }
    for (const name of SERVICES) {
      const container = env.find((e) => e.where === `Deployment/${name}` && e.container === name)!;
      const values: Record<string, string> = {};
      for (const [variable, value] of container.env) {
        const secret = value.startsWith('secret:') ? value.slice('secret:'.length) : undefined;
        const resolved = secret === undefined ? value : (secrets.get(secret) ?? (overlay === 'aws' ? AWS_EXTERNAL_SECRETS[secret] : undefined));
        expect([name, variable, resolved !== undefined]).toEqual([name, variable, true]);
        values[variable] = resolved!;
      }
      expect([name, Object.keys(values).filter((variable) => !SERVICE_SCHEMAS[name].known.has(variable))]).toEqual([name, []]);
      expect(() => SERVICE_SCHEMAS[name].load(values)).not.toThrow();
    }
  });

  it('points every URL and gRPC target at a Service of the composition and one of its ports', () => {
    const services = new Map(objects.filter((o) => o.kind === 'Service').map((o) => [o.metadata.name, o]));
    let checked = 0;
    for (const container of env) {
      for (const [variable, value] of container.env) {
        if (!isEndpointVariable(variable) || value.startsWith('secret:')) continue;
        const endpoint = endpointOf(value);
        expect([container.where, variable, endpoint !== undefined]).toEqual([container.where, variable, true]);
        if (overlay === 'aws' && AWS_EXTERNAL_HOSTS.test(endpoint!.host)) continue;
        const service = services.get(endpoint!.host) as any;
        expect([container.where, variable, endpoint!.host, service !== undefined]).toEqual([container.where, variable, endpoint!.host, true]);
        const ports = (service.spec.ports as { port: number }[]).map((p) => p.port);
        expect([container.where, variable, ports.includes(endpoint!.port)]).toEqual([container.where, variable, true]);
        checked += 1;
      }
    }
    const collector = find(objects, 'ConfigMap', 'otel-collector-env') as any;
    const backend = endpointOf(collector.data.TRACES_BACKEND_ENDPOINT)!;
    expect((services.get(backend.host) as any)?.spec.ports.map((p: any) => p.port)).toContain(backend.port);
    expect(checked).toBeGreaterThanOrEqual(overlay === 'local' ? 8 : 3);
  });

  it('selects pods that exist: every Service selector matches a pod template, every named targetPort a container port', () => {
    const workloads = objects.filter((o) => podSpecOf(o) && o.kind !== 'Job');
    for (const service of objects.filter((o) => o.kind === 'Service') as any[]) {
      const selector = service.spec.selector as Record<string, string>;
      const pods = workloads.filter((w: any) => Object.entries(selector).every(([k, v]) => w.spec.template.metadata.labels?.[k] === v));
      expect([service.metadata.name, pods.length]).toEqual([service.metadata.name, 1]);
      const portNames = podContainers(pods[0]!).flatMap((c: any) => (c.ports ?? []).map((p: any) => p.name));
      for (const port of service.spec.ports) {
        if (typeof port.targetPort === 'string') expect([service.metadata.name, portNames]).toEqual([service.metadata.name, expect.arrayContaining([port.targetPort])]);
      }
    }
  });

  it('pins every image', () => {
    for (const object of objects) {
      for (const container of podContainers(object)) {
        expect([object.metadata.name, /:[^/:@]+$/.test(container.image) && !container.image.endsWith(':latest')]).toEqual([object.metadata.name, true]);
      }
    }
  });
});

describe('the overlays differ as documented', () => {
  const billingEnv = (overlay: 'local' | 'aws') =>
    containerEnvironments(composed[overlay]).find((e) => e.where === 'Deployment/billing-address')!.env;

  it('local runs PostgreSQL x2, DynamoDB Local, stripe-mock and Jaeger in the cluster', () => {
    for (const [kind, name] of [['StatefulSet', 'postgres'], ['StatefulSet', 'billing-postgres'], ['Deployment', 'dynamodb'], ['Deployment', 'stripe-mock'], ['Deployment', 'jaeger'], ['Job', 'billing-data']]) {
      expect([kind, name, find(composed.local, kind!, name!) !== undefined]).toEqual([kind, name, true]);
    }
    expect(billingEnv('local').get('DYNAMODB_ENDPOINT')).toBe('http://dynamodb:8000');
  });

  it('aws uses real DynamoDB through IRSA, with no static AWS credentials anywhere', () => {
    const env = billingEnv('aws');
    expect(env.get('BILLING_STORE')).toBe('dynamodb');
    expect(env.has('DYNAMODB_ENDPOINT')).toBe(false);
    expect(env.get('AWS_REGION')).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
    for (const container of containerEnvironments(composed.aws)) {
      expect([container.where, [...container.env.keys()].filter((k) => /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(k))]).toEqual([container.where, []]);
    }
    expect(composed.aws.filter((o) => o.kind === 'Secret')).toEqual([]);
    const account = find(composed.aws, 'ServiceAccount', 'billing-address')!;
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\/.+/);
    const deployment = find(composed.aws, 'Deployment', 'billing-address') as any;
    expect(deployment.spec.template.spec.serviceAccountName).toBe('billing-address');
    expect(find(composed.local, 'ServiceAccount', 'billing-address')).toBeUndefined();
  });
});

describe('k6-operator TestRun', () => {
  const [testRun] = readObjects(path.join(K8S, 'load', 'testrun.yaml')) as any[];

  it('is a k6.io/v1alpha1 TestRun running the checkout archive against cart, with configurable parallelism', () => {
    expect(testRun.apiVersion).toBe('k6.io/v1alpha1');
    expect(testRun.kind).toBe('TestRun');
    expect(Number.isInteger(testRun.spec.parallelism) && testRun.spec.parallelism > 0).toBe(true);
    expect(testRun.spec.script.configMap).toEqual({ name: 'k6-checkout', file: 'archive.tar' });
    expect(testRun.spec.runner.image).toMatch(/^grafana\/k6:\d+\.\d+\.\d+$/);
    const env = Object.fromEntries((testRun.spec.runner.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    const cart = find(composed.local, 'Service', 'cart') as any;
    const endpoint = endpointOf(env['BASE_URL']!)!;
    expect(endpoint.host).toBe(cart.metadata.name);
    expect(cart.spec.ports.map((p: any) => p.port)).toContain(endpoint.port);
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['SCENARIO', 'SEED_USERS', 'RUN_ID', 'VARIANT']));
    // run.sh rewrites exactly these two lines; keep them in this shape.
    const text = readFileSync(path.join(K8S, 'load', 'testrun.yaml'), 'utf8');
    expect(text).toMatch(/^ {2}parallelism: \d+$/m);
    expect(text).toMatch(/name: SCENARIO\n\s+value: \S+/);
  });
});
