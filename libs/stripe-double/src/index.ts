export { startStripeDouble } from './server';
export type { RunningStripeDouble, StripeDoubleOptions, StripeDoubleStats } from './server';
export { stripeDoubleConfigFromEnv } from './config';
export { logNormalSampler } from './latency';
export type { LatencyDistribution } from './latency';
