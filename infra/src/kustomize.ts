import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** One Kubernetes object, as YAML gives it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Thrown for a kustomization this composer cannot build exactly as kustomize would. */
export class KustomizeError extends Error {
  override name = 'KustomizeError';
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  commonLabels?: Record<string, string>;
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
  configMapGenerator?: { name: string; behavior?: 'create' | 'merge' | 'replace'; literals?: string[]; files?: string[] }[];
  patches?: { path?: string; patch?: string; target?: { kind: string; name: string } }[];
}

/**
 * The subset of kustomize the repository's kustomizations use: resources (files and
 * directories), namespace, labels / commonLabels, images, configMapGenerator (create / merge /
 * replace; name-suffix hashes must be disabled) and patches (strategic merge, matched by kind
 * and name; JSON 6902 with a target). Anything else is refused, so a kustomization never
 * silently means something else here than under `kubectl apply -k`.
 */
const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'labels',
  'commonLabels',
  'images',
  'generatorOptions',
  'configMapGenerator',
  'patches',
]);

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass']);

/** Strategic-merge lists keyed by `name` (the patchMergeKey of these fields in the Kubernetes API). */
const MERGE_BY_NAME = new Set(['containers', 'initContainers', 'env', 'volumes', 'volumeMounts']);

export function kustomize(dir: string): K8sObject[] {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((name) => path.join(dir, name)).find(existsSync);
  if (!file) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const kustomization = (parse(readFileSync(file, 'utf8')) ?? {}) as Kustomization & Record<string, unknown>;
  for (const field of Object.keys(kustomization)) {
    if (!SUPPORTED_FIELDS.has(field)) throw new KustomizeError(`${file}: field "${field}" is not supported by this composer`);
  }

  const local = (relative: string): string => {
    const resolved = path.resolve(dir, relative);
    if (resolved !== dir && !resolved.startsWith(dir + path.sep)) {
      throw new KustomizeError(`${file}: ${relative} is outside the kustomization's directory (kustomize's load restrictor refuses it)`);
    }
    if (!existsSync(resolved)) throw new KustomizeError(`${file}: ${relative} does not exist`);
    return resolved;
  };

  // 1. resources
  const objects: K8sObject[] = [];
  for (const entry of kustomization.resources ?? []) {
    const resolved = path.resolve(dir, entry);
    if (existsSync(resolved) && statSync(resolved).isDirectory()) objects.push(...kustomize(resolved));
    else objects.push(...readObjects(local(entry)));
  }

  // 2. generators
  const generators = kustomization.configMapGenerator ?? [];
  if (generators.length > 0 && kustomization.generatorOptions?.disableNameSuffixHash !== true) {
    throw new KustomizeError(`${file}: set generatorOptions.disableNameSuffixHash: true (name hashes are not supported)`);
  }
  for (const generator of generators) {
    const data: Record<string, string> = {};
    for (const literal of generator.literals ?? []) {
      const at = literal.indexOf('=');
      if (at < 1) throw new KustomizeError(`${file}: literal "${literal}" is not KEY=VALUE`);
      data[literal.slice(0, at)] = literal.slice(at + 1);
    }
    for (const entry of generator.files ?? []) {
      const at = entry.indexOf('=');
      const key = at === -1 ? path.basename(entry) : entry.slice(0, at);
      data[key] = readFileSync(local(at === -1 ? entry : entry.slice(at + 1)), 'utf8');
    }
    const existing = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === generator.name);
    const behavior = generator.behavior ?? 'create';
    switch (behavior) {
      case 'create':
        if (existing) throw new KustomizeError(`${file}: ConfigMap ${generator.name} already exists (use behavior: merge)`);
        objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
        break;
      case 'merge':
      case 'replace':
        if (!existing) throw new KustomizeError(`${file}: ConfigMap ${generator.name} to ${behavior} does not exist`);
        existing['data'] = behavior === 'merge' ? { ...(existing['data'] as Record<string, string>), ...data } : data;
        break;
    }
  }

  // 3. patches
  for (const entry of kustomization.patches ?? []) {
    const text = entry.patch ?? (entry.path ? readFileSync(local(entry.path), 'utf8') : undefined);
    if (text === undefined) throw new KustomizeError(`${file}: a patch needs path or patch`);
    const patch = parse(text) as unknown;
    if (Array.isArray(patch)) {
      if (!entry.target) throw new KustomizeError(`${file}: a JSON 6902 patch needs a target`);
      const target = entry.target;
      applyJson6902(findOne(objects, target.kind, target.name, file), patch as JsonPatchOp[], file);
    } else {
      const patchObject = patch as K8sObject;
      const kind = entry.target?.kind ?? patchObject.kind;
      const name = entry.target?.name ?? patchObject.metadata?.name;
      const target = findOne(objects, kind, name, file);
      strategicMerge(target, patchObject);
    }
  }

  // 4. transformers: namespace, labels, images
  for (const object of objects) {
    if (kustomization.namespace && !CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = kustomization.namespace;
    const labelSets = [
      ...(kustomization.labels ?? []),
      ...(kustomization.commonLabels ? [{ pairs: kustomization.commonLabels, includeSelectors: true, includeTemplates: true }] : []),
    ];
    for (const { pairs, includeSelectors, includeTemplates } of labelSets) {
      object.metadata.labels = { ...object.metadata.labels, ...pairs };
      const spec = object['spec'] as Record<string, any> | undefined;
      if (!spec) continue;
      if (includeSelectors) {
        if (object.kind === 'Service') spec['selector'] = { ...spec['selector'], ...pairs };
        else if (spec['selector']?.matchLabels) spec['selector'].matchLabels = { ...spec['selector'].matchLabels, ...pairs };
      }
      if ((includeSelectors || includeTemplates) && spec['template']) {
        spec['template'].metadata = { ...spec['template'].metadata, labels: { ...spec['template'].metadata?.labels, ...pairs } };
      }
    }
    for (const image of kustomization.images ?? []) {
      for (const container of podContainers(object)) {
        if (imageName(container.image) !== image.name) continue;
        const name = image.newName ?? image.name;
        container.image = image.digest ? `${name}@${image.digest}` : `${name}:${image.newTag ?? imageTag(container.image) ?? 'latest'}`;
      }
    }
  }
  return objects;
}

/** Every YAML document in a file (empty documents skipped). */
export function readObjects(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((document) => {
      if (document.errors.length > 0) throw new KustomizeError(`${file}: ${document.errors[0]?.message}`);
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

/** Containers and init containers of a workload's pod template (or a Pod). */
export function podContainers(object: K8sObject): { name: string; image: string; [field: string]: unknown }[] {
  const podSpec = podSpecOf(object);
  if (!podSpec) return [];
  return [...((podSpec['initContainers'] as never[]) ?? []), ...((podSpec['containers'] as never[]) ?? [])];
}

export function podSpecOf(object: K8sObject): Record<string, unknown> | undefined {
  const spec = object['spec'] as Record<string, any> | undefined;
  if (object.kind === 'Pod') return spec;
  if (object.kind === 'CronJob') return spec?.['jobTemplate']?.spec?.template?.spec;
  return spec?.['template']?.spec;
}

function imageName(image: string): string {
  const withoutDigest = image.split('@')[0] as string;
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, lastColon) : withoutDigest;
}

function imageTag(image: string): string | undefined {
  const name = imageName(image);
  return image.length > name.length && image[name.length] === ':' ? image.slice(name.length + 1) : undefined;
}

function findOne(objects: K8sObject[], kind: string, name: string, file: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new KustomizeError(`${file}: a patch targets ${kind}/${name}, which matches ${found.length} resources`);
  return found[0] as K8sObject;
}

/** Strategic merge as kustomize does it for the fields used here: maps merge, `null` deletes, named lists merge by name. */
export function strategicMerge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (value === null) {
      delete target[key];
    } else if (Array.isArray(value) && Array.isArray(current) && MERGE_BY_NAME.has(key)) {
      for (const item of value as Record<string, unknown>[]) {
        const at = current.findIndex((existing: Record<string, unknown>) => existing['name'] === item['name']);
        if (item['$patch'] === 'delete') {
          if (at !== -1) current.splice(at, 1);
        } else if (at === -1) {
          current.push(item);
        } else {
          strategicMerge(current[at] as Record<string, unknown>, item);
        }
      }
    } else if (value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)) {
      strategicMerge(current as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = structuredClone(value);
    }
  }
}

export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** RFC 6902 add / replace / remove. */
export function applyJson6902(target: Record<string, unknown>, ops: JsonPatchOp[], file = 'patch'): void {
  for (const { op, path: pointer, value } of ops) {
    const parts = pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    if (last === undefined) throw new KustomizeError(`${file}: empty JSON pointer`);
    let node: any = target;
    for (const part of parts) {
      node = Array.isArray(node) ? node[Number(part)] : node?.[part];
      if (node === undefined) throw new KustomizeError(`${file}: ${pointer} does not exist`);
    }
    switch (op) {
      case 'add':
        if (Array.isArray(node)) node.splice(last === '-' ? node.length : Number(last), 0, value);
        else node[last] = value;
        break;
      case 'replace':
        if (!(Array.isArray(node) ? Number(last) < node.length : last in node)) throw new KustomizeError(`${file}: ${pointer} does not exist`);
        node[Array.isArray(node) ? Number(last) : last] = value;
        break;
      case 'remove':
        if (Array.isArray(node)) node.splice(Number(last), 1);
        else delete node[last];
        break;
      default:
        throw new KustomizeError(`${file}: unsupported op ${String(op)}`);
    }
  }
}
