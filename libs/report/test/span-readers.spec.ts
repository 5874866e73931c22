import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readOtlpJsonFiles } from '@checkout-lab/telemetry';
import { analyse } from '../src/analyse';
import { loadRuns, type SpanReader } from '../src/run-data';
import { otlpFileSpanReader } from '../src/span-readers';
import { swiftcartRuns, writeRunDirs } from './synthetic';

const fixedNow = () => new Date('2025-01-02T03:04:05.000Z');
/** Every attribute and event, as readOtlpJsonFiles reads by default. */
const fullReader: SpanReader = async ({ dir }) => readOtlpJsonFiles([path.join(dir, 'spans', 'traces.json')]);

describe('otlpFileSpanReader (compact spans for the analysis)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'span-readers-'));
  const runDirs = writeRunDirs(dir, swiftcartRuns({ iterations: 60 }));

  it('keeps only the attributes the analysis reads, and no events', async () => {
    const { runs } = await loadRuns(runDirs.slice(0, 1), otlpFileSpanReader);
    const spans = runs[0]?.spans ?? [];
    const business = spans.find((s) => s.name === 'checkout' && s.attributes['nestjs.type'] === undefined);
    expect(business?.attributes).toEqual({ 'checkout.outcome': expect.any(String) });
    expect(spans.some((s) => 'lab.run_id' in s.attributes)).toBe(false);
    expect(spans.every((s) => s.events.length === 0)).toBe(true);
  });

  it('gives the same report as spans read with every attribute', async () => {
    const compact = analyse((await loadRuns([dir], otlpFileSpanReader)).runs, { now: fixedNow });
    const full = analyse((await loadRuns([dir], fullReader)).runs, { now: fixedNow });
    expect(compact).toEqual(full);
  });

  it('reads a file split into JSON lines and one pretty-printed document alike', async () => {
    const file = path.join(runDirs[0] as string, 'spans', 'traces.json');
    const request = JSON.parse(readFileSync(file, 'utf8')) as { resourceSpans: unknown[] };
    const lines = path.join(dir, 'lines.json');
    writeFileSync(lines, request.resourceSpans.map((r) => JSON.stringify({ resourceSpans: [r] })).join('\n'));
    const pretty = path.join(dir, 'pretty.json');
    writeFileSync(pretty, JSON.stringify(request, null, 2));
    const ids = async (f: string) => (await readOtlpJsonFiles([f])).map((s) => s.spanId).sort();
    expect(await ids(lines)).toEqual(await ids(file));
    expect(await ids(pretty)).toEqual(await ids(file));
  });
});
