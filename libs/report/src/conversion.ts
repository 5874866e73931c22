import type { ConversionSettings } from '@checkout-lab/run-record';

/**
 * The conversion model: what a checkout's latency and failures mean for orders. It is a model,
 * labelled as one everywhere it appears, calibrated on known figures and shown as a band.
 *
 * A checkout lost to the system (failed or timed out) is a lost order. Any other checkout
 * converts with a probability that falls exponentially with its latency:
 *
 *   P(order | latency L) = min(1, c_ref · exp(−β · (L − L_ref)))
 *
 * anchored at the seed incident's "after" point (c_ref = 72.5 % at L_ref = 840 ms), with β, the
 * relative loss of conversion per second of latency, calibrated on the seed's "before" point
 * (68 % at 1.2 s). The seed's write-up does not say how many checkouts timed out before the fix
 * ("intermittently"), and that share decides how much of the 4.5 points was latency and how much
 * was lost orders; the band spans that unknown: 5 % lost (low: latency matters least), 3 %
 * (central) and 1 % (high). A published figure checks the result: Amazon's "every 100 ms of
 * latency cost 1 % of sales" (Linden, 2006) lies inside the band.
 */

/** The calibration points and sources: defined once, in libs/run-record (experiment files give them). */
export type ConversionModelSettings = ConversionSettings;

export type Band = { low: number; central: number; high: number };

export interface ConversionModel extends ConversionModelSettings {
  /** β per band: relative loss of conversion per second of latency. */
  lossPerSecond: Band;
}

export const SEED_CONVERSION_SETTINGS: ConversionModelSettings = {
  calibration: {
    before: { latencyMs: 1200, conversion: 0.68 },
    after: { latencyMs: 840, conversion: 0.725 },
    lostBefore: { low: 0.05, central: 0.03, high: 0.01 },
  },
  sources: [
    'The seed incident (SwiftCart write-up, ../shared/DESIGN.md): mean payment processing 1.2 s → 840 ms went with checkout conversion 68 % → 72.5 %; payment timed out "intermittently" before the fix (taken as 1–5 % of checkouts, 3 % central).',
    'G. Linden, "Make Data Useful", Stanford talk, Amazon, 2006: every 100 ms of added latency cost about 1 % of sales. The calibrated band (0.35–1.5 % per 100 ms) contains it.',
  ],
};

/** Derives β per band from the calibration points (see the file comment). */
export function conversionModel(settings: ConversionModelSettings = SEED_CONVERSION_SETTINGS): ConversionModel {
  const { before, after, lostBefore } = settings.calibration;
  const seconds = (before.latencyMs - after.latencyMs) / 1000;
  if (!(seconds > 0)) throw new RangeError('the conversion calibration needs a slower "before" than "after"');
  // before = after · (1 − lost) · exp(−β · seconds)  ⇒  β = ln(after · (1 − lost) / before) / seconds
  const beta = (lost: number) => Math.max(0, Math.log((after.conversion * (1 - lost)) / before.conversion) / seconds);
  return { ...settings, lossPerSecond: { low: beta(lostBefore.low), central: beta(lostBefore.central), high: beta(lostBefore.high) } };
}

/** One checkout's contribution to conversion under loss rate β (per second). */
export function orderProbability(latencyMs: number, lost: boolean, model: ConversionModel, beta: number): number {
  if (lost) return 0;
  const { after } = model.calibration;
  return Math.min(1, after.conversion * Math.exp((-beta * (latencyMs - after.latencyMs)) / 1000));
}

/** Expected conversion of a set of checkouts, per band (null when there are none). */
export function estimateConversion(checkouts: readonly { durationMs: number; lost: boolean }[], model: ConversionModel): Band | null {
  if (checkouts.length === 0) return null;
  const at = (beta: number) => checkouts.reduce((sum, c) => sum + orderProbability(c.durationMs, c.lost, model, beta), 0) / checkouts.length;
  return { low: at(model.lossPerSecond.low), central: at(model.lossPerSecond.central), high: at(model.lossPerSecond.high) };
}

/** The model in words a product manager can repeat. */
export function conversionAssumptions(model: ConversionModel): string[] {
  const { before, after } = model.calibration;
  const per100 = (beta: number) => `${((1 - Math.exp(-beta / 10)) * 100).toFixed(2)} %`;
  return [
    `Every checkout that fails or times out is a lost order; every other checkout converts less often the longer it takes: each extra 100 ms costs about ${per100(model.lossPerSecond.central)} of conversion (band ${per100(model.lossPerSecond.low)} to ${per100(model.lossPerSecond.high)}).`,
    `The figures are calibrated on the incident this lab reproduces (${(before.conversion * 100).toFixed(1)} % conversion at ${before.latencyMs} ms, ${(after.conversion * 100).toFixed(1)} % at ${after.latencyMs} ms); the band reflects that we do not know how many of its checkouts timed out before the fix.`,
    'Latency is the server-side time of the checkout request; shoppers do not retry; the mix of shoppers and cards is the same in every variant. Only the difference between variants is meaningful, not the level.',
  ];
}
