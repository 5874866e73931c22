import type { EnvLike } from '../../scenario-env';
import type { ScenarioConfig } from '../options';
import { ConstantArrivalRate } from './constant-arrival-rate';
import { ConstantVUs } from './constant-vus';
import { type Executor, type ExecutorType, Scenario } from './executor';
import { RampingArrivalRate } from './ramping-arrival-rate';
import { RampingVUs } from './ramping-vus';
import { SharedIterations } from './shared-iterations';

/**
 * The executors by name. The names are the scenario schema's (options.ts), which refuses any other
 * before a run starts ("Invalid discriminator value. Expected 'constant-arrival-rate' | …"); this
 * map's type wants one constructor for each of them.
 */
const EXECUTORS: { [T in ExecutorType]: new (scenario: Scenario, config: Extract<ScenarioConfig, { executor: T }>) => Executor } = {
  'constant-arrival-rate': ConstantArrivalRate,
  'ramping-arrival-rate': RampingArrivalRate,
  'constant-vus': ConstantVUs,
  'ramping-vus': RampingVUs,
  'shared-iterations': SharedIterations,
};

/** The executor of scenario `name`, from its validated config and the run's environment. */
export function createExecutor(name: string, config: ScenarioConfig, env: EnvLike): Executor {
  // TypeScript does not tie the looked-up constructor to the config's own executor type.
  const Make = EXECUTORS[config.executor] as new (scenario: Scenario, config: ScenarioConfig) => Executor;
  return new Make(new Scenario(name, config, env), config);
}
