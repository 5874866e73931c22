export { startStripeDouble } from './server';
export type { RunningStripeDouble, StripeDoubleOptions, StripeDoubleStats } from './server';
export { stripeDoubleConfigFromEnv } from './config';
export { logNormalSampler, seededRandom } from './latency';
export type { LatencyDistribution, Random } from './latency';
