import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BILLING_STORE_KINDS, durationSchema, SQL_PROFILES } from '@checkout-lab/config';
import { COMPARED_METRICS } from '@checkout-lab/report';
import { conversionSettingsSchema } from '@checkout-lab/run-record';

/** Bundled experiment definitions (libs/experiment/experiments): `checkout-lab experiment <name>` looks here first. */
export const EXPERIMENTS_DIR = path.join(__dirname, '..', 'experiments');

/** Thrown for an experiment file that is missing, unreadable or invalid; names every problem. */
export class ExperimentDefinitionError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: invalid experiment definition\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ExperimentDefinitionError';
  }
}

/**
 * The stack settings a variant may change. Each maps to one documented environment variable
 * of a service (see `variantEnvironment`); anything unset keeps the service's default.
 */
export const settingsSchema = z
  .object({
    billingStore: z.enum(BILLING_STORE_KINDS),
    sqlProfile: z.enum(SQL_PROFILES),
    billingPoolMax: z.number().int().min(1).max(100),
    billingStatementTimeoutMs: z.number().int().positive(),
    billingDeadlineMs: z.number().int().positive(),
    paymentDeadlineMs: z.number().int().positive(),
    stripeLatencyMedianMs: z.number().min(0),
    stripeLatencyP99Ms: z.number().min(0),
    stripeErrorRate: z.number().min(0).max(1),
    /** Calibration: a known delay inside cart's business `checkout` span (CART_INJECT_CHECKOUT_DELAY_MS). */
    injectCheckoutDelayMs: z.number().min(0).max(60_000),
    /** Calibration: a known delay inside billing-address's `billing.lookup` span (BILLING_INJECT_LOOKUP_DELAY_MS). */
    injectLookupDelayMs: z.number().min(0).max(60_000),
    /** CPU isolation of the legacy billing server for this variant: auto, off, or a CPU list (default: LAB_LEGACY_CPUS). */
    legacyCpus: z.string().regex(/^(auto|off|\d+(-\d+)?(,\d+(-\d+)?)*)$/, 'must be auto, off or a CPU list such as 1 or 2-3'),
    /** The CPUs of the rest of the stack, with a legacyCpus list (default: the CPUs legacyCpus leaves). */
    stackCpus: z.string().regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'must be a CPU list such as 0 or 0-2'),
    /** A CPU quota for the legacy billing PostgreSQL, as a fraction of one CPU (e.g. 0.3), or 'off' (default: LAB_LEGACY_CPU_QUOTA). */
    legacyCpuQuota: z.union([z.number().min(0.01).max(64), z.literal('off')]),
    /**
     * The legacy server's speed: before each run that reads it, the lab scales legacyCpuQuota until
     * one unindexed lookup on the idle server takes this many ms (stack/src/legacy-speed.ts), so the
     * host's speed does not move the result. Needs legacyCpuQuota; 'off' keeps the quota fixed.
     */
    legacyLookupMs: z.union([z.number().min(5).max(5000), z.literal('off')]),
  })
  .partial()
  .strict();

export type StackSettings = z.infer<typeof settingsSchema>;

const variantSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be lowercase letters, digits and dashes (at most 40)'),
    description: z.string().default(''),
    settings: settingsSchema.default({}),
    /**
     * Calibration: the delay this variant injects and where, which the report must recover
     * (end-to-end delta within ±10 % with its interval containing it; ≥ 90 % of the
     * critical-path delta in that span).
     */
    expect: z.object({ injectedMs: z.number().positive(), service: z.string().min(1), operation: z.string().min(1) }).strict().optional(),
  })
  .strict();

const thresholdSchema = z
  .object({
    /** Fail the gate when the candidate is significantly worse than the baseline by more than this. */
    maxRegressionPct: z.number().min(0).default(0),
  })
  .strict();

const loadSchema = z
  .object({
    /** A scenario name from load-tests/scenarios, or a path to a k6 options JSON file. */
    scenario: z.string().min(1),
    /** Variables the scenario reads (rates, durations): the same names k6 would get with -e. */
    env: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
  })
  .strict();

const definitionSchema = z
  .object({
    name: z.string().min(1),
    title: z.string().min(1),
    description: z.string().default(''),
    /** Why each tuned value is what it is: shown in the report's provenance. */
    rationale: z.record(z.string(), z.string()).default({}),
    seed: z.object({ users: z.number().int().positive(), addressesPerUser: z.number().int().positive() }).strict(),
    load: loadSchema,
    warmup: z.object({ duration: durationSchema, rate: z.number().positive() }).strict(),
    repetitions: z.number().int().min(1).max(20),
    /** Settings every variant starts from. */
    settings: settingsSchema.default({}),
    baseline: z.string().optional(),
    variants: z.array(variantSchema).min(2, 'needs at least two variants to compare'),
    thresholds: z.record(z.string(), thresholdSchema).default({}),
    /** The conversion model's calibration and sources (default: the seed incident's, libs/report conversion.ts). */
    conversion: conversionSettingsSchema.optional(),
    /** What `--quick` changes: fewer repetitions, a shorter load, a subset of variants. */
    quick: z
      .object({
        repetitions: z.number().int().min(1).optional(),
        load: z.object({ env: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)) }).partial().strict().optional(),
        warmup: z.object({ duration: durationSchema, rate: z.number().positive() }).strict().optional(),
        seed: z.object({ users: z.number().int().positive(), addressesPerUser: z.number().int().positive() }).strict().optional(),
        variants: z.array(z.string()).min(2).optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((definition, context) => {
    const names = definition.variants.map((v) => v.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) context.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `"${name}" is used twice` });
    });
    if (definition.baseline !== undefined && !names.includes(definition.baseline)) {
      context.addIssue({ code: 'custom', path: ['baseline'], message: `names no variant (variants: ${names.join(', ')})` });
    }
    for (const [i, name] of (definition.quick.variants ?? []).entries()) {
      if (!names.includes(name)) context.addIssue({ code: 'custom', path: ['quick', 'variants', i], message: `"${name}" names no variant` });
    }
    for (const key of Object.keys(definition.thresholds)) {
      if (!(COMPARED_METRICS as readonly string[]).includes(key)) {
        context.addIssue({ code: 'custom', path: ['thresholds', key], message: `unknown metric; one of ${COMPARED_METRICS.join(', ')}` });
      }
    }
  });


export type ExperimentDefinition = z.infer<typeof definitionSchema>;
export type Variant = ExperimentDefinition['variants'][number];

/** A definition with `--quick` applied (or not) and each variant's settings merged with the defaults. */
export interface ResolvedExperiment extends Omit<ExperimentDefinition, 'quick'> {
  source: string;
  quick: boolean;
  /** `--aa`: the baseline against a copy of itself. */
  aa: boolean;
  baseline: string;
}

/** Reads a bundled experiment by name, or a JSON / YAML file by path, and validates it. */
export function loadExperiment(nameOrFile: string, options: { quick?: boolean; aa?: boolean } = {}): ResolvedExperiment {
  const file = resolveExperimentFile(nameOrFile);
  const raw = readDefinitionFile(file);
  const resolved = resolveExperiment(parseExperiment(raw, file), file, options.quick ?? false);
  return options.aa ? asAaExperiment(resolved) : resolved;
}

export function parseExperiment(raw: unknown, source: string): ExperimentDefinition {
  const result = definitionSchema.safeParse(raw);
  if (!result.success) {
    throw new ExperimentDefinitionError(
      source,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`),
    );
  }
  return result.data;
}

/** A JSON or YAML definition file, parsed (not validated); ExperimentDefinitionError when it cannot be read. */
export function readDefinitionFile(file: string): unknown {
  try {
    const text = readFileSync(file, 'utf8');
    return /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ExperimentDefinitionError(file, [`cannot be read: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

/** The file a name (a bundled experiment: libs/experiment/experiments/<name>.json|yaml|yml) or a path stands for, if it exists. */
export function findDefinitionFile(nameOrFile: string): string | undefined {
  if (/^[a-z0-9-]+$/.test(nameOrFile)) {
    for (const ext of ['json', 'yaml', 'yml']) {
      const bundled = path.join(EXPERIMENTS_DIR, `${nameOrFile}.${ext}`);
      if (existsSync(bundled)) return bundled;
    }
  }
  const file = path.resolve(nameOrFile);
  return existsSync(file) ? file : undefined;
}

function resolveExperimentFile(nameOrFile: string): string {
  const file = findDefinitionFile(nameOrFile);
  if (file === undefined) {
    throw new ExperimentDefinitionError(nameOrFile, [`no such file, and no bundled experiment of that name (bundled: ${bundledExperiments().join(', ')})`]);
  }
  return file;
}

export function bundledExperiments(): string[] {
  try {
    return readdirSync(EXPERIMENTS_DIR)
      .filter((f) => /\.(json|ya?ml)$/.test(f))
      .map((f) => f.replace(/\.(json|ya?ml)$/, ''))
      .sort();
  } catch {
    return [];
  }
}

function resolveExperiment(definition: ExperimentDefinition, source: string, quick: boolean): ResolvedExperiment {
  const { quick: q, ...rest } = definition;
  const merged = quick
    ? {
        ...rest,
        repetitions: q.repetitions ?? rest.repetitions,
        load: { ...rest.load, env: { ...rest.load.env, ...(q.load?.env ?? {}) } },
        warmup: q.warmup ?? rest.warmup,
        seed: q.seed ?? rest.seed,
        variants: q.variants ? rest.variants.filter((v) => q.variants?.includes(v.name)) : rest.variants,
      }
    : rest;
  const variants = merged.variants.map((v) => ({ ...v, settings: { ...merged.settings, ...v.settings } }));
  const first = variants[0] as Variant;
  const baseline = merged.baseline && variants.some((v) => v.name === merged.baseline) ? merged.baseline : first.name;
  return { ...merged, variants, baseline, source, quick, aa: false };
}

/**
 * The A/A version of an experiment: the baseline and an identical copy of it, with the same
 * design (load, data, repetitions, warm-up). Every verdict between them other than "no
 * significant change" is false, and their spread is the smallest change the design can detect.
 */
export function asAaExperiment(experiment: ResolvedExperiment): ResolvedExperiment {
  const baseline = experiment.variants.find((v) => v.name === experiment.baseline) as Variant;
  const copy: Variant = { ...baseline, name: `${baseline.name}-copy`.slice(0, 40), description: `A/A: an identical copy of ${baseline.name}.` };
  delete copy.expect;
  const { expect: _expect, ...original } = baseline;
  return { ...experiment, name: `${experiment.name}-aa`, title: `A/A check: ${experiment.title}`, variants: [original, copy], aa: true };
}

/** The environment variables that put a variant's settings into the services and the Stripe double. */
export function variantEnvironment(settings: StackSettings): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (name: string, value: string | number | undefined) => {
    if (value !== undefined) out[name] = String(value);
  };
  set('BILLING_STORE', settings.billingStore);
  set('BILLING_SQL_PROFILE', settings.sqlProfile);
  set('BILLING_DB_POOL_MAX', settings.billingPoolMax);
  set('BILLING_DB_STATEMENT_TIMEOUT_MS', settings.billingStatementTimeoutMs);
  set('BILLING_DEADLINE_MS', settings.billingDeadlineMs);
  set('PAYMENT_DEADLINE_MS', settings.paymentDeadlineMs);
  set('STRIPE_DOUBLE_LATENCY_MEDIAN_MS', settings.stripeLatencyMedianMs);
  set('STRIPE_DOUBLE_LATENCY_P99_MS', settings.stripeLatencyP99Ms);
  set('STRIPE_DOUBLE_ERROR_RATE', settings.stripeErrorRate);
  set('CART_INJECT_CHECKOUT_DELAY_MS', settings.injectCheckoutDelayMs);
  set('BILLING_INJECT_LOOKUP_DELAY_MS', settings.injectLookupDelayMs);
  return out;
}
