import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ATTR_LAB_RUN_ID } from '../lab-conventions';
import type { FlatSpan } from '../span-model';
import { readOtlpJsonFiles, type OtlpResourceSpans, type OtlpTraceRequest } from '../reader/otlp-json';

/** The run id of spans that carry no `lab.run_id`. */
export const UNASSIGNED_RUN = 'unassigned';

/** The file each run's spans are appended to, one ExportTraceServiceRequest per line (OTLP/JSON lines). */
export const SPANS_FILE = 'traces.json';

/** A run id as a directory name: letters, digits, `.`, `_`, `-` (anything else becomes `_`). */
export function runDirName(runId: string): string {
  const safe = runId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128);
  return safe === '' || safe === '.' || safe === '..' ? UNASSIGNED_RUN : safe;
}

/** Where a run's span files live. */
export function runSpansDir(dir: string, runId: string): string {
  return path.join(dir, runDirName(runId), 'spans');
}

/** Splits a request by each span's `lab.run_id` attribute, keeping resource and scope. */
export function splitByRun(request: OtlpTraceRequest): Map<string, { request: OtlpTraceRequest; spans: number }> {
  const runs = new Map<string, { request: OtlpTraceRequest; spans: number }>();
  for (const resourceSpans of request.resourceSpans ?? []) {
    const perRun = new Map<string, OtlpResourceSpans>();
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const runAttribute = span.attributes?.find((attribute) => attribute.key === ATTR_LAB_RUN_ID)?.value?.stringValue;
        const runId = runAttribute ? runDirName(runAttribute) : UNASSIGNED_RUN;
        let target = perRun.get(runId);
        if (!target) {
          target = { ...resourceSpans, scopeSpans: [] };
          perRun.set(runId, target);
        }
        let scope = target.scopeSpans?.find((candidate) => candidate.scope === scopeSpans.scope);
        if (!scope) {
          scope = { ...scopeSpans, spans: [] };
          target.scopeSpans?.push(scope);
        }
        scope.spans?.push(span);
      }
    }
    for (const [runId, target] of perRun) {
      const run = runs.get(runId) ?? { request: { resourceSpans: [] }, spans: 0 };
      run.request.resourceSpans?.push(target);
      run.spans += (target.scopeSpans ?? []).reduce((sum, scope) => sum + (scope.spans?.length ?? 0), 0);
      runs.set(runId, run);
    }
  }
  return runs;
}

/**
 * Appends span batches to `<dir>/<run id>/spans/traces.json`. Writes to one file are serialised;
 * `append` resolves once the line is written to the file, so what the receiver acknowledged is
 * on disk (close() also fsyncs).
 */
export class SpanStore {
  private readonly files = new Map<string, { handle: Promise<fs.FileHandle>; tail: Promise<void> }>();
  private readonly counts = new Map<string, number>();

  constructor(readonly dir: string) {}

  async append(request: OtlpTraceRequest): Promise<number> {
    const writes: Promise<void>[] = [];
    let total = 0;
    for (const [runId, run] of splitByRun(request)) {
      writes.push(this.write(runId, `${JSON.stringify(run.request)}\n`));
      this.counts.set(runId, (this.counts.get(runId) ?? 0) + run.spans);
      total += run.spans;
    }
    await Promise.all(writes);
    return total;
  }

  /** Spans received per run id since start. */
  spanCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Waits for every write under way. */
  async flush(): Promise<void> {
    await Promise.all([...this.files.values()].map((file) => file.tail));
  }

  async close(): Promise<void> {
    await this.flush();
    const files = [...this.files.values()];
    this.files.clear();
    for (const file of files) {
      const handle = await file.handle;
      await handle.sync().catch(() => undefined);
      await handle.close();
    }
  }

  private write(runId: string, line: string): Promise<void> {
    let file = this.files.get(runId);
    if (!file) {
      const spansDir = runSpansDir(this.dir, runId);
      const handle = fs.mkdir(spansDir, { recursive: true }).then(() => fs.open(path.join(spansDir, SPANS_FILE), 'a'));
      file = { handle, tail: handle.then(() => undefined) };
      this.files.set(runId, file);
    }
    const entry = file;
    const written = entry.tail.then(async () => {
      await (await entry.handle).write(line);
    });
    entry.tail = written.catch(() => undefined);
    return written;
  }
}

/** Every span the receiver stored for a run, flattened. */
export async function readRunSpans(dir: string, runId: string): Promise<FlatSpan[]> {
  const spansDir = runSpansDir(dir, runId);
  let names: string[];
  try {
    names = await fs.readdir(spansDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files = names.filter((name) => name.endsWith('.json')).sort();
  return readOtlpJsonFiles(files.map((name) => path.join(spansDir, name)));
}
