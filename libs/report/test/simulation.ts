/**
 * Synthetic experiments with known truth, for testing the statistics as statistics: many
 * experiments drawn from identical distributions (false verdicts) or from a known shift (power).
 * Used by stats.spec.ts and by `simulate-statistics.ts`, which prints the figures.
 */
import { seededRandom } from '@checkout-lab/config';
import { compareRates, compareRatio, powerOfTTest, type RunCount } from '../src/stats';

function normalFrom(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
}

/**
 * Share of experiments with a verdict other than "no significant change": n runs a side whose
 * means scatter `spread` (a fraction, e.g. 0.06) around 1000 ms and 1000 · (1 − shift) ms.
 */
export function ratioVerdictRate(n: number, shift: number, options: { spread?: number; experiments?: number; seed?: number } = {}): number {
  const spread = options.spread ?? 0.06;
  const experiments = options.experiments ?? 2000;
  const normal = normalFrom(seededRandom(options.seed ?? 1));
  let verdicts = 0;
  for (let t = 0; t < experiments; t++) {
    const a = Array.from({ length: n }, () => 1000 * (1 + spread * normal()));
    const b = Array.from({ length: n }, () => 1000 * (1 - shift) * (1 + spread * normal()));
    if (compareRatio(a, b, 'lower_is_better').verdict !== 'no_significant_change') verdicts++;
  }
  return verdicts / experiments;
}

/** The power the statistics state for that design: noncentral t on 2n − 2 degrees of freedom. */
export function statedRatioPower(n: number, shift: number, spread = 0.06): number {
  const se = Math.sqrt((2 * spread ** 2) / n);
  return powerOfTTest(-Math.log(1 - shift) / se, 2 * n - 2);
}

/**
 * Share of experiments with a verdict, for 3 runs a side of `trials` checkouts at `rate` and
 * `candidateRate`; runs are beta-binomial with the given dispersion (1 = binomial).
 */
export function rateVerdictRate(
  rate: number,
  candidateRate: number,
  options: { dispersion?: number; trials?: number; runs?: number; experiments?: number; seed?: number } = {},
): number {
  const dispersion = options.dispersion ?? 1;
  const trials = options.trials ?? 200;
  const experiments = options.experiments ?? 2000;
  const random = seededRandom(options.seed ?? 7);
  const normal = normalFrom(random);
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(1 + shape) * Math.pow(random(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      if (Math.log(random()) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  };
  // Beta-binomial with intra-run correlation ρ has dispersion 1 + (trials − 1) ρ.
  const rho = (dispersion - 1) / (trials - 1);
  const run = (p0: number): RunCount => {
    let p = p0;
    if (rho > 0 && p0 > 0 && p0 < 1) {
      const x = gamma(p0 * (1 / rho - 1));
      const y = gamma((1 - p0) * (1 / rho - 1));
      p = x / (x + y);
    }
    let events = 0;
    for (let i = 0; i < trials; i++) if (random() < p) events++;
    return { events, trials };
  };
  const runs = options.runs ?? 3;
  let verdicts = 0;
  for (let t = 0; t < experiments; t++) {
    const a = Array.from({ length: runs }, () => run(rate));
    const b = Array.from({ length: runs }, () => run(candidateRate));
    if (compareRates(a, b, 'lower_is_better').verdict !== 'no_significant_change') verdicts++;
  }
  return verdicts / experiments;
}

/** Three binomial standard errors of a rate estimated from `experiments` trials. */
export function binomialSlack(p: number, experiments = 2000): number {
  return 3 * Math.sqrt((p * (1 - p)) / experiments);
}
