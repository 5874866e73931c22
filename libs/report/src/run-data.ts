import * as path from 'node:path';
import {
  findRunDirs,
  readExperimentInfo,
  readRunRecord,
  RunRecordError,
  type ExperimentInfo,
  type RunMeta,
  type RunRecord,
} from '@checkout-lab/run-record';
import type { FlatSpan } from '@checkout-lab/telemetry';

/**
 * The input of the analysis: one measured run as the experiment runner wrote it, read through
 * libs/run-record (the one definition of a run directory), with its spans read into FlatSpans.
 */
export interface RunData extends RunRecord {
  /** Where it came from (a directory), or a label for data built in memory. */
  dir: string;
  spans: FlatSpan[];
}

/** Reads the spans of one run: from its `spans/` directory, from Jaeger by run id, … */
export type SpanReader = (run: { dir: string; meta: RunMeta }) => Promise<FlatSpan[]>;

/** A run directory or experiment directory that cannot be used; the message names the path and the problem. */
export const ReportInputError = RunRecordError;

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
  const { runDirs, experimentDir } = findRunDirs(dirs);
  const experiment = experimentDir ? readExperimentInfo(experimentDir) : undefined;
  const runs: RunData[] = [];
  for (const [i, dir] of runDirs.entries()) {
    const record = readRunRecord(dir);
    onProgress?.(`reading run ${i + 1}/${runDirs.length}: ${path.basename(dir)}`);
    let spans: FlatSpan[];
    try {
      spans = await readSpans({ dir, meta: record.meta });
    } catch (error) {
      throw new RunRecordError(`${dir}: cannot read spans: ${error instanceof Error ? error.message : String(error)}`);
    }
    runs.push({ ...record, dir, spans });
  }
  return { runs, ...(experiment ? { experiment } : {}) };
}
