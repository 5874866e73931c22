export { checkoutFlow, drawUser, baggageHeader, randomTraceparent } from './flow';
export type { Flow, FlowRequestParams, FlowResponse, FlowStep, IterationInput, LoadClient } from './flow';
export { applyScenarioEnv, ScenarioEnvError } from './scenario-env';
export { loadScenario, listScenarios, resolveOptions, parseDuration, ScenarioError, SCENARIOS_DIR, applyExecutionShortcuts, parseEnvPairs, parseCount, SHORTCUT_SCENARIO } from './driver/options';
export type { LoadOptions, ScenarioConfig, ExecutionShortcuts } from './driver/options';
export { runScenario, formatProgress, DEFAULT_VALIDITY_BOUNDS } from './driver/run';
export type { LoadProgress, RunScenarioContext } from './driver/run';
export { parseLoadSummary, textSummary, summaryExport, thresholdsPassed, loadSummarySchema } from './driver/summary';
export type { LoadSummary, SummaryMetric, RunValidity, ScenarioState, TextSummaryOptions } from './driver/summary';
