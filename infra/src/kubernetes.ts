import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { K8sObject } from './kustomize';
import { podSpecOf } from './kustomize';

type Validatable = { validate(): void };
const MODELS: Record<string, (data: never) => Validatable> = {
  'apps/v1/Deployment': (data) => new Deployment(data),
  'apps/v1/StatefulSet': (data) => new StatefulSet(data),
  'autoscaling/v2/HorizontalPodAutoscaler': (data) => new HorizontalPodAutoscaler(data),
  'batch/v1/Job': (data) => new Job(data),
  'v1/ConfigMap': (data) => new ConfigMap(data),
  'v1/Namespace': (data) => new Namespace(data),
  'v1/Secret': (data) => new Secret(data),
  'v1/Service': (data) => new Service(data),
  'v1/ServiceAccount': (data) => new ServiceAccount(data),
};

/**
 * Validates one object against the Kubernetes API schema of its kind (kubernetes-models).
 * Returns the problems; a kind without a model is itself a problem.
 */
export function validateKubernetesObject(object: K8sObject): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const model = MODELS[key];
  if (!model) return [`${key} ${object.metadata?.name}: no Kubernetes API schema for this kind`];
  try {
    model(structuredClone(object) as never).validate();
    return [];
  } catch (error) {
    return [`${key} ${object.metadata.name}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

export interface ContainerEnv {
  /** Workload kind/name and container name. */
  where: string;
  container: string;
  /** name → value; values from Secrets are `secret:<name>/<key>`. */
  env: Map<string, string>;
  problems: string[];
}

/**
 * The environment each container of each workload gets: `envFrom` ConfigMaps expanded from
 * the composed objects, then `env` entries. A reference to a ConfigMap or key that is not in
 * the composition is a problem; Secret references are recorded (their value stays unknown).
 */
export function containerEnvironments(objects: K8sObject[]): ContainerEnv[] {
  const configMaps = new Map(
    objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, (o['data'] ?? {}) as Record<string, string>]),
  );
  const result: ContainerEnv[] = [];
  for (const object of objects) {
    const podSpec = podSpecOf(object);
    if (!podSpec) continue;
    const containers = [...((podSpec['initContainers'] as any[]) ?? []), ...((podSpec['containers'] as any[]) ?? [])];
    for (const container of containers) {
      const env = new Map<string, string>();
      const problems: string[] = [];
      const where = `${object.kind}/${object.metadata.name}`;
      for (const source of (container.envFrom ?? []) as any[]) {
        if (source.configMapRef) {
          const data = configMaps.get(source.configMapRef.name);
          if (!data) problems.push(`${where} ${container.name}: envFrom ConfigMap ${source.configMapRef.name} is not defined`);
          for (const [name, value] of Object.entries(data ?? {})) env.set(name, value);
        } else {
          problems.push(`${where} ${container.name}: envFrom other than configMapRef is not checked; use env entries`);
        }
      }
      for (const entry of (container.env ?? []) as any[]) {
        if (entry.value !== undefined) env.set(entry.name, String(entry.value));
        else if (entry.valueFrom?.secretKeyRef) env.set(entry.name, `secret:${entry.valueFrom.secretKeyRef.name}/${entry.valueFrom.secretKeyRef.key}`);
        else if (entry.valueFrom?.configMapKeyRef) {
          const { name, key } = entry.valueFrom.configMapKeyRef;
          const value = configMaps.get(name)?.[key];
          if (value === undefined) problems.push(`${where} ${container.name}: ${entry.name} refers to ConfigMap ${name} key ${key}, which is not defined`);
          env.set(entry.name, value ?? '');
        } else env.set(entry.name, '');
      }
      result.push({ where, container: container.name as string, env, problems });
    }
  }
  return result;
}
