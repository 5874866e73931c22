import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyse, type AnalyseOptions } from './analyse';
import type { Report } from './report-types';
import { renderHtml } from './render-html';
import { renderMarkdown } from './render-markdown';
import { loadRuns, type LoadedRuns, type SpanReader } from './run-data';
import { otlpFileSpanReader } from './span-readers';

export interface WriteReportOptions extends AnalyseOptions {
  /** Where spans come from when directories are given; default: each run's spans/ (OTLP/JSON files). */
  readSpans?: SpanReader;
  onProgress?: (line: string) => void;
}

export interface WrittenReport {
  report: Report;
  /** The experiment.json the runs came with, if any (thresholds for the regression gate live there). */
  experiment: LoadedRuns['experiment'];
  files: { html: string; markdown: string; json: string };
}

/**
 * Reads runs (directories, or runs already in memory), analyses them and writes report.json,
 * report.md and report.html into outDir. Each file is written to a temporary name and renamed,
 * so a failure never leaves a half-written report behind.
 */
export async function writeReport(input: readonly string[] | LoadedRuns, outDir: string, options: WriteReportOptions = {}): Promise<WrittenReport> {
  const loaded = Array.isArray(input)
    ? await loadRuns(input as readonly string[], options.readSpans ?? otlpFileSpanReader, options.onProgress)
    : (input as LoadedRuns);
  options.onProgress?.(`analysing ${loaded.runs.length} runs (${loaded.runs.reduce((s, r) => s + r.spans.length, 0)} spans)`);
  const report = analyse(loaded.runs, { ...options, experiment: options.experiment ?? loaded.experiment });
  const contents = {
    json: `${JSON.stringify(report, null, 2)}\n`,
    markdown: renderMarkdown(report),
    html: renderHtml(report),
  };
  mkdirSync(outDir, { recursive: true });
  const files = { html: path.join(outDir, 'report.html'), markdown: path.join(outDir, 'report.md'), json: path.join(outDir, 'report.json') };
  const temporary = (file: string) => `${file}.${process.pid}.tmp`;
  for (const key of ['json', 'markdown', 'html'] as const) writeFileSync(temporary(files[key]), contents[key]);
  for (const key of ['json', 'markdown', 'html'] as const) renameSync(temporary(files[key]), files[key]);
  return { report, experiment: loaded.experiment, files };
}
