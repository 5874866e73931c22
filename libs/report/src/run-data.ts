import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { FlatSpan } from '@checkout-lab/telemetry';

/**
 * The input of the analysis: one measured run as the experiment runner wrote it
 * (`<out>/runs/<NN>-<variant>-r<rep>/`), with its spans already read into FlatSpans.
 */

const trendValues = z.record(z.string(), z.number().nullable());
const metricSchema = z.object({
  type: z.enum(['counter', 'gauge', 'rate', 'trend']),
  contains: z.enum(['time', 'default', 'data']).optional(),
  values: trendValues,
  thresholds: z.record(z.string(), z.object({ ok: z.boolean() })).optional(),
});

/** The load summary in k6's handleSummary JSON shape (only the parts the report reads are checked). */
export const summarySchema = z.object({
  metrics: z.record(z.string(), metricSchema),
  root_group: z.unknown().optional(),
  options: z.unknown().optional(),
  state: z.unknown().optional(),
});
export type LoadSummary = z.infer<typeof summarySchema>;
export type SummaryMetric = z.infer<typeof metricSchema>;

export const runMetaSchema = z.object({
  runId: z.string().min(1),
  experiment: z.string().default(''),
  variant: z.string().min(1),
  repetition: z.number().int().min(0),
  warmup: z.boolean().default(false),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  scenario: z.string().optional(),
  target: z.object({ rate: z.number().nonnegative(), duration: z.union([z.number(), z.string()]).optional() }),
  settings: z.record(z.string(), z.unknown()).default({}),
});
export type RunMeta = z.infer<typeof runMetaSchema>;

const databaseSchema = z.union([
  z.object({
    store: z.literal('sql'),
    profile: z.string(),
    plan: z.string(),
    statements: z.array(z.object({ query: z.string(), calls: z.number(), mean_ms: z.number(), total_ms: z.number(), rows: z.number() })),
  }),
  z.object({
    store: z.literal('dynamodb'),
    consumedCapacity: z.object({ readUnits: z.number(), writeUnits: z.number() }),
    plan: z.string().optional(),
  }),
]);
export type DatabaseEvidence = z.infer<typeof databaseSchema>;

const hostSchema = z.object({
  cpus: z.number(),
  loadavg: z.array(z.number()),
  cpuUtilisation: z.number(),
  memory: z.object({ totalBytes: z.number(), usedBytes: z.number(), rssBytes: z.number() }),
});
export type HostStats = z.infer<typeof hostSchema>;

const telemetrySchema = z.object({
  services: z.record(z.string(), z.object({ exported: z.number(), dropped: z.number() })),
});
export type TelemetryHealth = z.infer<typeof telemetrySchema>;

export interface RunData {
  /** Where it came from (a directory), or a label for data built in memory. */
  dir: string;
  meta: RunMeta;
  summary: LoadSummary;
  spans: FlatSpan[];
  database?: DatabaseEvidence;
  host?: HostStats;
  telemetry?: TelemetryHealth;
}

/** What the report knows about the experiment as a whole (`<out>/experiment.json`), all optional. */
export interface ExperimentInfo {
  name?: string;
  title?: string;
  description?: string;
  baseline?: string;
  variants?: { name: string; description?: string; settings?: Record<string, unknown> }[];
  thresholds?: Record<string, { maxRegressionPct?: number }>;
  rationale?: Record<string, string>;
  git?: unknown;
  machine?: unknown;
  node?: unknown;
  startedAt?: string;
  [key: string]: unknown;
}

/** Reads the spans of one run: from its `spans/` directory, from Jaeger by run id, … */
export type SpanReader = (run: { dir: string; meta: RunMeta }) => Promise<FlatSpan[]>;

/** A run directory or experiment directory that cannot be used; the message names the path and the problem. */
export class ReportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

export interface LoadedRuns {
  runs: RunData[];
  experiment?: ExperimentInfo;
}

/**
 * Loads runs from directories. Each argument is either a run directory (holding `run.json`) or
 * an experiment directory (holding `runs/<name>/run.json` and usually `experiment.json`). Spans come
 * from `readSpans`, so the same loader serves the run's OTLP files and Jaeger's API.
 */
export async function loadRuns(dirs: readonly string[], readSpans: SpanReader, onProgress?: (line: string) => void): Promise<LoadedRuns> {
  if (dirs.length === 0) throw new ReportInputError('no directories given: name an experiment output directory or run directories');
  const runDirs: string[] = [];
  let experiment: ExperimentInfo | undefined;
  for (const given of dirs) {
    const dir = path.resolve(given);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ReportInputError(`${given}: no such directory`);
    if (existsSync(path.join(dir, 'run.json'))) {
      runDirs.push(dir);
      experiment ??= readExperiment(path.dirname(path.dirname(dir)));
      continue;
    }
    const runsDir = path.join(dir, 'runs');
    const found = existsSync(runsDir)
      ? readdirSync(runsDir)
          .sort()
          .map((name) => path.join(runsDir, name))
          .filter((d) => existsSync(path.join(d, 'run.json')))
      : [];
    if (found.length === 0) throw new ReportInputError(`${given}: neither a run directory (no run.json) nor an experiment directory (no runs/*/run.json)`);
    runDirs.push(...found);
    experiment ??= readExperiment(dir);
  }
  const runs: RunData[] = [];
  for (const [i, dir] of runDirs.entries()) {
    const meta = readJson(dir, 'run.json', runMetaSchema, true);
    const summary = readJson(dir, 'summary.json', summarySchema, true);
    onProgress?.(`reading run ${i + 1}/${runDirs.length}: ${path.basename(dir)}`);
    let spans: FlatSpan[];
    try {
      spans = await readSpans({ dir, meta });
    } catch (error) {
      throw new ReportInputError(`${dir}: cannot read spans: ${error instanceof Error ? error.message : String(error)}`);
    }
    runs.push({
      dir,
      meta,
      summary,
      spans,
      database: readJson(dir, 'database.json', databaseSchema, false),
      host: readJson(dir, 'host.json', hostSchema, false),
      telemetry: readJson(dir, 'telemetry.json', telemetrySchema, false),
    });
  }
  return { runs, experiment };
}

function readExperiment(dir: string): ExperimentInfo | undefined {
  const file = path.join(dir, 'experiment.json');
  if (!existsSync(file)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as ExperimentInfo;
  } catch {
    // fall through
  }
  throw new ReportInputError(`${file}: not a JSON object`);
}

function readJson<T>(dir: string, name: string, schema: z.ZodType<T>, required: true): T;
function readJson<T>(dir: string, name: string, schema: z.ZodType<T>, required: false): T | undefined;
function readJson<T>(dir: string, name: string, schema: z.ZodType<T>, required: boolean): T | undefined {
  const file = path.join(dir, name);
  if (!existsSync(file)) {
    if (required) throw new ReportInputError(`${dir}: ${name} is missing`);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ReportInputError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ReportInputError(`${file}: unexpected content\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return result.data;
}
