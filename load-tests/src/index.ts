export { checkoutFlow, drawUser, baggageHeader, randomTraceparent } from './flow';
export type { Flow, FlowRequestParams, FlowResponse, FlowStep, IterationInput, LoadClient } from './flow';
export { applyScenarioEnv, ScenarioEnvError } from './scenario-env';
export { loadScenario, listScenarios, resolveOptions, parseDuration, ScenarioError, SCENARIOS_DIR } from './driver/options';
export type { LoadOptions, ScenarioConfig } from './driver/options';
export { runScenario, DEFAULT_VALIDITY_BOUNDS } from './driver/run';
export type { LoadProgress, RunScenarioContext } from './driver/run';
export { parseLoadSummary, textSummary, thresholdsPassed, loadSummarySchema } from './driver/summary';
export type { LoadSummary, SummaryMetric, RunValidity, ScenarioState } from './driver/summary';
