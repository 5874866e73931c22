import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import {
  databaseEvidenceSchema,
  experimentInfoSchema,
  hostStatsSchema,
  runMetaSchema,
  telemetryHealthSchema,
  type DatabaseEvidence,
  type ExperimentInfo,
  type HostStats,
  type RunMeta,
  type TelemetryHealth,
} from './records';
import { loadSummarySchema, type LoadSummary } from './summary';

/** The files of a run directory. Spans live in `spans/` as OTLP JSON (read by libs/telemetry's readers). */
export const RUN_FILES = {
  meta: 'run.json',
  summary: 'summary.json',
  database: 'database.json',
  host: 'host.json',
  telemetry: 'telemetry.json',
  spans: 'spans',
} as const;

export const EXPERIMENT_FILE = 'experiment.json';
/** Run directories of an experiment sit under `<experiment dir>/runs/`. */
export const RUNS_DIR = 'runs';

/** Everything a run directory holds except its spans. */
export interface RunRecord {
  meta: RunMeta;
  summary: LoadSummary;
  database?: DatabaseEvidence;
  host?: HostStats;
  telemetry?: TelemetryHealth;
}

/** A run or experiment directory that cannot be used; the message names the path and the problem. */
export class RunRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunRecordError';
  }
}

/**
 * Writes a run's files, each validated against its schema first and written atomically
 * (a temporary file renamed into place), so a crash never leaves a half-written file and a
 * file that is there always reads back. run.json goes last: its presence marks a complete run.
 */
export function writeRunRecord(dir: string, record: RunRecord): void {
  const files: [string, z.ZodType, unknown][] = [
    [RUN_FILES.summary, loadSummarySchema, record.summary],
    [RUN_FILES.database, databaseEvidenceSchema, record.database],
    [RUN_FILES.host, hostStatsSchema, record.host],
    [RUN_FILES.telemetry, telemetryHealthSchema, record.telemetry],
    [RUN_FILES.meta, runMetaSchema, record.meta],
  ];
  // Every file is checked before any is written: a record that would not read back writes nothing.
  for (const [name, schema, value] of files) {
    if (value === undefined) continue;
    const checked = schema.safeParse(value);
    if (!checked.success) throw new RunRecordError(`${path.join(dir, name)}: refusing to write invalid content: ${describeIssues(checked.error)}`);
  }
  for (const [name, , value] of files) if (value !== undefined) writeJsonAtomic(path.join(dir, name), value);
}

export function writeExperimentInfo(dir: string, info: ExperimentInfo): void {
  writeJsonAtomic(path.join(dir, EXPERIMENT_FILE), info);
}

/** Reads and validates a run directory's files (not its spans). */
export function readRunRecord(dir: string): RunRecord {
  const record: RunRecord = {
    meta: readJson(dir, RUN_FILES.meta, runMetaSchema, true),
    summary: readJson(dir, RUN_FILES.summary, loadSummarySchema, true),
  };
  const database = readJson(dir, RUN_FILES.database, databaseEvidenceSchema, false);
  const host = readJson(dir, RUN_FILES.host, hostStatsSchema, false);
  const telemetry = readJson(dir, RUN_FILES.telemetry, telemetryHealthSchema, false);
  return { ...record, ...(database ? { database } : {}), ...(host ? { host } : {}), ...(telemetry ? { telemetry } : {}) };
}

/** experiment.json of an experiment directory, or undefined when there is none. */
export function readExperimentInfo(dir: string): ExperimentInfo | undefined {
  return readJson(dir, EXPERIMENT_FILE, experimentInfoSchema, false);
}

/**
 * Resolves directories to run directories: each argument is a run directory (holding run.json)
 * or an experiment directory (holding runs/<name>/run.json). Returns them in order with the
 * experiment directory each belongs to.
 */
export function findRunDirs(dirs: readonly string[]): { runDirs: string[]; experimentDir: string | undefined } {
  if (dirs.length === 0) throw new RunRecordError('no directories given: name an experiment output directory or run directories');
  const runDirs: string[] = [];
  let experimentDir: string | undefined;
  for (const given of dirs) {
    const dir = path.resolve(given);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RunRecordError(`${given}: no such directory`);
    if (existsSync(path.join(dir, RUN_FILES.meta))) {
      runDirs.push(dir);
      experimentDir ??= path.dirname(path.dirname(dir));
      continue;
    }
    const runsDir = path.join(dir, RUNS_DIR);
    const found = existsSync(runsDir)
      ? readdirSync(runsDir)
          .sort()
          .map((name) => path.join(runsDir, name))
          .filter((d) => existsSync(path.join(d, RUN_FILES.meta)))
      : [];
    if (found.length === 0) throw new RunRecordError(`${given}: neither a run directory (no run.json) nor an experiment directory (no runs/*/run.json)`);
    runDirs.push(...found);
    experimentDir ??= dir;
  }
  return { runDirs, experimentDir };
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

function readJson<T>(dir: string, name: string, schema: z.ZodType<T>, required: true): T;
function readJson<T>(dir: string, name: string, schema: z.ZodType<T>, required: false): T | undefined;
function readJson<T>(dir: string, name: string, schema: z.ZodType<T>, required: boolean): T | undefined {
  const file = path.join(dir, name);
  if (!existsSync(file)) {
    if (required) throw new RunRecordError(`${dir}: ${name} is missing`);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RunRecordError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw new RunRecordError(`${file}: unexpected content\n${describeIssues(result.error)}`);
  return result.data;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `  - ${i.path.join('.') || '(top level)'}: ${i.message}`)
    .join('\n');
}
