import { z } from 'zod';

/**
 * summary.json: the load summary in k6's handleSummary JSON shape, so one parser reads the output
 * of k6 and of the built-in driver. The driver adds `state.validity` (did the generator keep its
 * schedule? see validity.ts) and `state.scenarios` (target vs achieved rate); k6 summaries lack
 * both, so they are optional.
 */
const metricSchema = z.looseObject({
  type: z.enum(['counter', 'gauge', 'rate', 'trend']),
  contains: z.enum(['time', 'default', 'data']),
  values: z.record(z.string(), z.number()),
  thresholds: z.record(z.string(), z.looseObject({ ok: z.boolean() })).optional(),
});

interface GroupShape {
  name: string;
  path: string;
  id: string;
  groups: GroupShape[];
  checks: { name: string; path: string; id: string; passes: number; fails: number }[];
}
const checkSchema = z.looseObject({ name: z.string(), path: z.string(), id: z.string(), passes: z.number(), fails: z.number() });
const groupSchema: z.ZodType<GroupShape> = z.lazy(() =>
  z.looseObject({ name: z.string(), path: z.string(), id: z.string(), groups: z.array(groupSchema), checks: z.array(checkSchema) }),
);

/** The generator's verdict on its own run, as the driver recorded it (rule and bounds: validity.ts). */
export const generatorVerdictSchema = z.object({
  valid: z.boolean(),
  reasons: z.array(z.string()),
  scheduleLagP99Ms: z.number(),
  eventLoopDelayP99Ms: z.number(),
  bounds: z.object({ scheduleLagP99Ms: z.number(), eventLoopDelayP99Ms: z.number() }),
});

const scenarioStateSchema = z.object({
  executor: z.string(),
  durationMs: z.number(),
  plannedIterations: z.number(),
  startedIterations: z.number(),
  droppedIterations: z.number(),
  targetRate: z.number().nullable(),
  achievedRate: z.number(),
  maxVUs: z.number(),
  peakVUs: z.number(),
});

export const loadSummarySchema = z.looseObject({
  root_group: groupSchema,
  options: z.looseObject({ summaryTrendStats: z.array(z.string()).optional() }),
  state: z.looseObject({
    isStdOutTTY: z.boolean().optional(),
    isStdErrTTY: z.boolean().optional(),
    testRunDurationMs: z.number(),
    validity: generatorVerdictSchema.optional(),
    scenarios: z.record(z.string(), scenarioStateSchema).optional(),
    aborted: z.string().optional(),
  }),
  metrics: z.record(z.string(), metricSchema),
});

export type LoadSummary = z.infer<typeof loadSummarySchema>;
export type SummaryMetric = z.infer<typeof metricSchema>;
export type GeneratorVerdict = z.infer<typeof generatorVerdictSchema>;
export type ScenarioState = z.infer<typeof scenarioStateSchema>;

/** Parses a handleSummary JSON (k6's or the driver's); the error names what is wrong. */
export function parseLoadSummary(input: string | unknown): LoadSummary {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (error) {
      throw new Error(`the load summary is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const parsed = loadSummarySchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`not a k6 handleSummary JSON: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** A summary metric's value, or null when the metric or the statistic is absent. */
export function summaryValue(summary: LoadSummary, metric: string, stat: string): number | null {
  const v = summary.metrics[metric]?.values[stat];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
