export { loadCompose, interpolate, serviceEnvironment, servicePorts } from './compose';
export type { ComposeFile, ComposeService } from './compose';
export { endpointOf, isEndpointVariable } from './endpoints';
export type { Endpoint } from './endpoints';
export { kustomize, readObjects, podContainers, podSpecOf, strategicMerge, applyJson6902, KustomizeError } from './kustomize';
export type { K8sObject, JsonPatchOp } from './kustomize';
export { validateKubernetesObject, containerEnvironments } from './kubernetes';
export type { ContainerEnv } from './kubernetes';
export { metricNames, matcherLabels, scrapedSeries } from './promql';
