// k6 entry: runs the checkout flow under a scenario from ../scenarios.
//   k6 run -e SCENARIO=smoke -e BASE_URL=http://127.0.0.1:3000 load-tests/k6/checkout.ts
// SCENARIO (default smoke) names load-tests/scenarios/<SCENARIO>.json; its ${VAR:-default}
// placeholders are filled from k6's -e/--env variables by the same function the built-in driver
// uses. SUMMARY_FILE (default summary.json) receives the handleSummary JSON.
import { checkoutFlow, randomTraceparent } from '../src/flow.ts';
import { applyScenarioEnv } from '../src/scenario-env.ts';
import { k6Client } from './k6-client.ts';

const env: Record<string, string | undefined> = __ENV;
const scenarioName = env['SCENARIO'] || 'smoke';

export const options = applyScenarioEnv(JSON.parse(open(`../scenarios/${scenarioName}.json`)) as Record<string, unknown>, env);

export default async function (): Promise<void> {
  await checkoutFlow(k6Client, {
    baseUrl: env['BASE_URL'] || 'http://127.0.0.1:3000',
    env,
    traceparent: randomTraceparent(Math.random),
    random: Math.random,
  });
}

export { handleSummary } from './summary.ts';
