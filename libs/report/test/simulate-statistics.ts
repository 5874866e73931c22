/**
 * Prints (and writes as JSON) the statistics' false-verdict rates and power on synthetic
 * experiments with known truth:
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register libs/report/test/simulate-statistics.ts [out.json]
 */
import { writeFileSync } from 'node:fs';
import { rateVerdictRate, ratioVerdictRate, statedRatioPower } from './simulation';

const rows: Record<string, unknown>[] = [];
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
for (const n of [3, 4, 5]) {
  const falseRate = ratioVerdictRate(n, 0, { seed: 100 + n });
  rows.push({ kind: 'duration', n, shift: 0, false_verdict_rate: falseRate });
  console.log(`durations, ${n} runs a side, 6 % run-to-run spread, no change: false verdicts ${pct(falseRate)} (2000 experiments)`);
  for (const shift of [0.1, 0.15, 0.2]) {
    const observed = ratioVerdictRate(n, shift, { seed: 200 + n });
    const stated = statedRatioPower(n, shift);
    rows.push({ kind: 'duration', n, shift, detected: observed, stated_power: stated });
    console.log(`  true change −${shift * 100} %: detected ${pct(observed)}, stated power ${pct(stated)}`);
  }
}
for (const [rate, dispersion] of [[0.03, 1], [0.03, 3], [0.9, 3]] as const) {
  const falseRate = rateVerdictRate(rate, rate, { dispersion });
  rows.push({ kind: 'rate', rate, dispersion, false_verdict_rate: falseRate });
  console.log(`rates, 3 runs of 200 a side, rate ${pct(rate)}, dispersion ${dispersion}: false verdicts ${pct(falseRate)}`);
}
for (const [rate, trials, dispersion] of [[0.01, 200, 1], [0.01, 400, 1], [0.03, 200, 1], [0.03, 200, 3]] as const) {
  const detected = rateVerdictRate(rate, 0, { trials, dispersion });
  rows.push({ kind: 'rate', rate, candidate_rate: 0, trials, dispersion, detected });
  console.log(`rates, 3 runs of ${trials} a side, ${pct(rate)} against 0, dispersion ${dispersion}: detected ${pct(detected)}`);
}
if (process.argv[2]) writeFileSync(process.argv[2], `${JSON.stringify(rows, null, 2)}\n`);
