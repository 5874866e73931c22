import { z } from 'zod';

/**
 * The files of one run directory (`<out>/runs/<NN>-<variant>-r<rep>/`) besides summary.json,
 * and the experiment's own file (`<out>/experiment.json`). The experiment runner writes them,
 * the report reads them; both through this module (see io.ts), so neither can drift.
 */

/** Where the stack's processes ran (CPU affinity), as applied for a run. */
/** The legacy server's CPU quota (cgroup CFS bandwidth), on top of its CPU affinity. */
export const cpuQuotaSchema = z.object({
  /** What was asked for: 'off' or a fraction of one CPU, as written. */
  requested: z.string(),
  applied: z.boolean(),
  /** The CPU time the legacy server got, as a fraction of one CPU (null when not applied). */
  cpus: z.number().positive().nullable(),
  /** e.g. "cgroup v1 cpu.cfs_quota_us 3000 per 10000 µs". */
  mechanism: z.string().optional(),
  /** The cgroup's path. */
  group: z.string().optional(),
  reason: z.string().optional(),
});
export type CpuQuota = z.infer<typeof cpuQuotaSchema>;

/** The legacy server's speed, pinned before the run: the quota at which one unindexed lookup takes `targetMs` (stack's legacy-speed.ts). */
export const legacySpeedSchema = z.object({
  /** What was asked for: one unindexed lookup's time, in ms (its CPU time over the quota). */
  targetMs: z.number().positive(),
  /** One lookup's CPU time on this host, measured before the run (trimmed mean, ms; of the last round). */
  cpuMs: z.number().nonnegative(),
  /** The quota the measurement ran at (the configured one, as isolate() applied it), and one lookup's wall time there (ms). */
  startQuota: z.number().positive(),
  startLookupMs: z.number().nonnegative(),
  /** Rounds of lookups timed: 2 when the first round's quota was far from the one it ran at, and the lookups were timed again there. */
  rounds: z.number().int().positive().optional(),
  /** The quota the run used, as a fraction of one CPU: cpuMs / targetMs. */
  quota: z.number().positive(),
  /** False when the quota could not be applied or hit its bound. */
  reached: z.boolean(),
  reason: z.string().optional(),
});
export type LegacySpeed = z.infer<typeof legacySpeedSchema>;

export const isolationSchema = z.object({
  /** What was asked for: CPU lists per role, or 'off'. */
  requested: z.object({ legacy: z.string(), stack: z.string() }),
  /** True when every pin was applied; false with a reason when it could not be (then both roles share every CPU). */
  applied: z.boolean(),
  /** The CPUs each role actually ran on (from the kernel's view after pinning), e.g. "1" or "0-1". */
  legacyCpus: z.string().nullable(),
  stackCpus: z.string().nullable(),
  /** Which processes count as the "legacy" role (its own machine in the incident). */
  legacyProcesses: z.array(z.string()),
  reason: z.string().optional(),
  /** The nice value of the system under test's processes; the load generator runs at 0, so it keeps its schedule. */
  stackNice: z.number().int().optional(),
  /** The nice value of the lab process, where the load generator runs (negative when the lab may raise its priority). */
  generatorNice: z.number().int().optional(),
  /** The load generator's scheduling policy during the load, e.g. "SCHED_FIFO 1 (chrt)" (generator-priority.ts). */
  generatorPolicy: z.string().optional(),
  /** The CPUs the load generator's main thread ran on during the load, when it moved off the stack's (generator-priority.ts). */
  generatorCpus: z.string().optional(),
  /** max_parallel_workers_per_gather of the legacy PostgreSQL: one per CPU beyond the first. */
  legacyParallelWorkersPerGather: z.number().int().optional(),
  /** The legacy PostgreSQL's CPU quota, when one was asked for. */
  legacyCpuQuota: cpuQuotaSchema.optional(),
  /** The legacy server's speed, when the variant pins it (legacyLookupMs). */
  legacySpeed: legacySpeedSchema.optional(),
});
export type Isolation = z.infer<typeof isolationSchema>;

const validityCheckSchema = z.object({
  name: z.enum(['achieved_rate', 'dropped_iterations', 'schedule_lag_p99', 'event_loop_delay_p99', 'spans_lost', 'services_stayed_up']),
  label: z.string(),
  value: z.number().nullable(),
  bound: z.string(),
  ok: z.boolean().nullable(),
});

export const runVerdictSchema = z.object({ valid: z.boolean(), checks: z.array(validityCheckSchema), reasons: z.array(z.string()) });

/** run.json: what the run was (variant, repetition, target load, settings) and how it went. */
export const runMetaSchema = z.object({
  runId: z.string().min(1),
  experiment: z.string().default(''),
  variant: z.string().min(1),
  repetition: z.number().int().min(0),
  warmup: z.boolean().default(false),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  scenario: z.string().optional(),
  /** The planned load: iterations per second over the planned window of durationS seconds. */
  target: z.object({ rate: z.number().nonnegative(), durationS: z.number().positive().optional() }),
  settings: z.record(z.string(), z.unknown()).default({}),
  isolation: isolationSchema.optional(),
  /** Services that exited while the run's load ran (a crash makes the run invalid). */
  serviceExits: z.array(z.object({ service: z.string(), code: z.number().nullable(), signal: z.string().nullable() })).optional(),
  /** The verdict of validity.ts's rule when the run was written (the report applies the same rule again). */
  validity: runVerdictSchema.optional(),
});
export type RunMeta = z.infer<typeof runMetaSchema>;

const statementSchema = z.object({ query: z.string(), calls: z.number(), mean_ms: z.number(), total_ms: z.number(), rows: z.number() });

/** database.json: what the billing store did during the run. */
export const databaseEvidenceSchema = z.discriminatedUnion('store', [
  z.object({
    store: z.literal('sql'),
    profile: z.string(),
    /** EXPLAIN (ANALYZE, BUFFERS) of the lookup for a seeded user. */
    plan: z.string(),
    /** pg_stat_statements rows on billing_addresses since the run's reset. */
    statements: z.array(statementSchema),
  }),
  z.object({
    store: z.literal('dynamodb'),
    consumedCapacity: z.object({ readUnits: z.number(), writeUnits: z.number() }),
    plan: z.string().optional(),
  }),
]);
export type DatabaseEvidence = z.infer<typeof databaseEvidenceSchema>;
export type SqlEvidence = Extract<DatabaseEvidence, { store: 'sql' }>;

/** host.json: the machine during the run. */
export const hostStatsSchema = z.object({
  cpus: z.number(),
  loadavg: z.array(z.number()),
  cpuUtilisation: z.number(),
  memory: z.object({ totalBytes: z.number(), usedBytes: z.number(), rssBytes: z.number() }),
  /** CPU seconds each process of the stack used during the measured load (from /proc). */
  processCpuSeconds: z.record(z.string(), z.number()).optional(),
});
export type HostStats = z.infer<typeof hostStatsSchema>;

/** telemetry.json: each service's span export counters at the end of the run. */
export const telemetryHealthSchema = z.object({
  services: z.record(z.string(), z.object({ exported: z.number(), dropped: z.number() })),
});
export type TelemetryHealth = z.infer<typeof telemetryHealthSchema>;

/**
 * The conversion model's parameters, as an experiment file gives them: the two figures of a known
 * incident (latency and conversion before and after a fix) and the unknown share of checkouts it
 * lost before the fix, one value per end of the band; plus the sources, cited in the report.
 */
export const conversionSettingsSchema = z
  .object({
    calibration: z
      .object({
        before: z.object({ latencyMs: z.number().positive(), conversion: z.number().gt(0).max(1) }).strict(),
        after: z.object({ latencyMs: z.number().positive(), conversion: z.number().gt(0).max(1) }).strict(),
        lostBefore: z.object({ low: z.number().min(0).lt(1), central: z.number().min(0).lt(1), high: z.number().min(0).lt(1) }).strict(),
      })
      .strict()
      .refine((c) => c.before.latencyMs > c.after.latencyMs, { message: '"before" must be slower than "after"' }),
    sources: z.array(z.string().min(1)).min(1),
  })
  .strict();
export type ConversionSettings = z.infer<typeof conversionSettingsSchema>;

/**
 * experiment.json: the resolved experiment definition plus provenance. The report reads only
 * what it shows; everything is optional so that a hand-made experiment directory still reads.
 */
export const experimentInfoSchema = z.looseObject({
  name: z.string().optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  baseline: z.string().optional(),
  variants: z
    .array(
      z.looseObject({
        name: z.string(),
        description: z.string().optional(),
        settings: z.record(z.string(), z.unknown()).optional(),
        /** A known delay injected by this variant, which the report must recover (calibration). */
        expect: z
          .object({ injectedMs: z.number().positive(), service: z.string(), operation: z.string() })
          .optional(),
      }),
    )
    .optional(),
  thresholds: z.record(z.string(), z.looseObject({ maxRegressionPct: z.number().optional() })).optional(),
  rationale: z.record(z.string(), z.string()).optional(),
  /** `--aa`: the second variant is a copy of the baseline, so every verdict but "no significant change" is false. */
  aa: z.boolean().optional(),
  /** The conversion model's calibration points and sources (libs/report conversion.ts). */
  conversion: conversionSettingsSchema.optional(),
  /** The order the runs ran in: shuffled within each round with this seed. */
  runOrder: z.object({ seed: z.number().int(), runs: z.array(z.string()) }).optional(),
  git: z.unknown().optional(),
  machine: z.unknown().optional(),
  node: z.unknown().optional(),
  isolation: z.unknown().optional(),
  startedAt: z.string().optional(),
});
export type ExperimentInfo = z.infer<typeof experimentInfoSchema>;
