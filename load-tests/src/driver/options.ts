import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { DurationError, parseDuration as parseDurationText } from '@checkout-lab/config';
import { applyScenarioEnv, ScenarioEnvError, type EnvLike } from '../scenario-env';

/** Raised for a scenario the driver cannot run; the message is meant for the user. */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

export const SCENARIOS_DIR = path.resolve(__dirname, '../../scenarios');

/**
 * A duration in a k6 options file or a load flag, in milliseconds: text as @checkout-lab/config's
 * parseDuration reads it (a bare "30" is seconds), and a JSON number as k6 reads one in its JSON:
 * milliseconds. A ScenarioError naming `at` when it is neither. (It keeps the name: the package's
 * API, which checkout-lab load and the tests call.)
 */
export function parseDuration(value: string | number, at = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new ScenarioError(`${at}: ${value} is not a duration`);
    return value;
  }
  try {
    return parseDurationText(value, at);
  } catch (error) {
    throw error instanceof DurationError ? new ScenarioError(error.message) : error;
  }
}

const duration = z.union([z.string(), z.number()]);
const count = z.number().int().nonnegative();
const common = {
  startTime: duration.optional(),
  gracefulStop: duration.optional(),
  exec: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
};
const stage = z.object({ duration, target: count });

const scenarioSchema = z.discriminatedUnion('executor', [
  z.object({ executor: z.literal('constant-arrival-rate'), rate: z.number().positive(), timeUnit: duration.optional(), duration, preAllocatedVUs: count, maxVUs: count.optional(), ...common }),
  z.object({ executor: z.literal('ramping-arrival-rate'), startRate: z.number().nonnegative().optional(), timeUnit: duration.optional(), stages: z.array(stage).min(1), preAllocatedVUs: count, maxVUs: count.optional(), ...common }),
  z.object({ executor: z.literal('constant-vus'), vus: count.optional(), duration, ...common }),
  z.object({ executor: z.literal('ramping-vus'), startVUs: count.optional(), stages: z.array(stage).min(1), gracefulRampDown: duration.optional(), ...common }),
  z.object({ executor: z.literal('shared-iterations'), vus: count.optional(), iterations: count.optional(), maxDuration: duration.optional(), ...common }),
]);

const thresholdSpec = z.union([
  z.string(),
  z.object({ threshold: z.string(), abortOnFail: z.boolean().optional(), delayAbortEval: duration.optional() }),
]);

const optionsSchema = z.looseObject({
  scenarios: z.record(z.string(), scenarioSchema).refine((s) => Object.keys(s).length > 0, 'needs at least one scenario'),
  thresholds: z.record(z.string(), z.array(thresholdSpec)).optional(),
  summaryTrendStats: z.array(z.string()).optional(),
});

export type ScenarioConfig = z.infer<typeof scenarioSchema>;
export type LoadOptions = z.infer<typeof optionsSchema>;
export type ThresholdSpec = z.infer<typeof thresholdSpec>;

/** Substitutes the environment (see scenario-env.ts) and validates a k6 options object. */
export function resolveOptions(raw: unknown, env: EnvLike, source = 'scenario'): LoadOptions {
  let substituted: unknown;
  try {
    substituted = applyScenarioEnv(raw, env);
  } catch (error) {
    if (error instanceof ScenarioEnvError) throw new ScenarioError(`${source}: ${error.message}`);
    throw error;
  }
  const parsed = optionsSchema.safeParse(substituted);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new ScenarioError(`${source} is not a k6 options object the driver can run:\n${problems.join('\n')}`);
  }
  for (const [name, scenario] of Object.entries(parsed.data.scenarios)) {
    if (scenario.exec !== undefined && scenario.exec !== 'default') {
      throw new ScenarioError(`${source}: scenarios.${name}.exec "${scenario.exec}": the driver runs one flow (exec "default")`);
    }
    for (const key of ['duration', 'startTime', 'gracefulStop', 'timeUnit', 'gracefulRampDown', 'maxDuration'] as const) {
      const value = (scenario as Record<string, unknown>)[key];
      if (typeof value === 'string' || typeof value === 'number') parseDuration(value, `${source}: scenarios.${name}.${key}`);
    }
    if ('stages' in scenario) scenario.stages.forEach((s, i) => parseDuration(s.duration, `${source}: scenarios.${name}.stages[${i}].duration`));
    if ('maxVUs' in scenario && scenario.maxVUs !== undefined && scenario.maxVUs < scenario.preAllocatedVUs) {
      throw new ScenarioError(`${source}: scenarios.${name}.maxVUs (${scenario.maxVUs}) is below preAllocatedVUs (${scenario.preAllocatedVUs})`);
    }
    if (scenario.executor === 'shared-iterations' && (scenario.iterations ?? 1) < (scenario.vus ?? 1)) {
      // k6's own rule for shared-iterations
      throw new ScenarioError(`${source}: scenarios.${name}: the number of iterations (${scenario.iterations ?? 1}) can't be less than the number of VUs (${scenario.vus ?? 1})`);
    }
  }
  return parsed.data;
}

/**
 * A scenario by name (load-tests/scenarios/<name>.json) or by path to a JSON file, resolved
 * against `env`.
 */
export function loadScenario(nameOrPath: string, env: EnvLike): { options: LoadOptions; name: string; file: string } {
  const isName = /^[A-Za-z0-9_-]+$/.test(nameOrPath);
  const file = isName ? path.join(SCENARIOS_DIR, `${nameOrPath}.json`) : path.resolve(nameOrPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ScenarioError(isName ? `unknown scenario "${nameOrPath}" (known: ${listScenarios().join(', ')}; or give a path to a JSON file)` : `cannot read ${file}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { options: resolveOptions(raw, env, path.basename(file)), name: isName ? nameOrPath : path.basename(file, '.json'), file };
}

export function listScenarios(): string[] {
  try {
    return readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

/** k6's execution shortcuts, as `k6 run --vus N --duration D --iterations N` gives them. */
export interface ExecutionShortcuts {
  vus?: number;
  duration?: string;
  iterations?: number;
}

/** k6's name for the scenario a shortcut makes. */
export const SHORTCUT_SCENARIO = 'default';

/**
 * Applies --vus/--duration/--iterations over a scenario file's options the way k6 does
 * (lib/executor/execution_config_shortcuts.go, and a higher config tier replacing a lower tier's
 * execution settings entirely): with --iterations the scenarios become one `default`
 * shared-iterations scenario (vus = --vus or 1, iterations, maxDuration = --duration or k6's
 * 10m); else with --duration one constant-vus scenario (vus = --vus or 1). --vus alone leaves a
 * file's scenarios as they are (k6 ignores it then too; `ignoredVus` says so). Thresholds and
 * every other option are kept.
 */
export function applyExecutionShortcuts(options: LoadOptions, shortcuts: ExecutionShortcuts): { options: LoadOptions; ignoredVus: boolean } {
  const { vus, duration, iterations } = shortcuts;
  if (duration !== undefined && parseDuration(duration, '--duration') <= 0) {
    throw new ScenarioError('--duration should be more than 0 (like "30s")');
  }
  let scenario: ScenarioConfig;
  if (iterations !== undefined) {
    if ((vus ?? 1) > iterations) throw new ScenarioError(`--iterations (${iterations}) can't be less than --vus (${vus ?? 1}), as in k6`);
    scenario = { executor: 'shared-iterations', vus: vus ?? 1, iterations, ...(duration !== undefined ? { maxDuration: duration } : {}) };
  } else if (duration !== undefined) {
    scenario = { executor: 'constant-vus', vus: vus ?? 1, duration };
  } else {
    return { options, ignoredVus: vus !== undefined };
  }
  return { options: { ...options, scenarios: { [SHORTCUT_SCENARIO]: scenario } }, ignoredVus: false };
}

/**
 * k6's `-e NAME=value` (repeatable): the variables for the scenario's ${VAR} placeholders and the
 * flow, over the process environment (k6 run passes the system environment too). As in k6, the
 * name must be a valid variable name and `-e NAME` alone sets NAME to "".
 */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ScenarioError(`-e "${pair}": "${name}" is not a variable name (use -e NAME=value)`);
    out[name] = eq === -1 ? '' : pair.slice(eq + 1);
  }
  return out;
}

/** A CLI count (--vus, --iterations): a whole number ≥ 1, or one line naming the flag. */
export function parseCount(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new ScenarioError(`${flag} "${value}" is not a whole number ≥ 1`);
  return Number(value);
}
