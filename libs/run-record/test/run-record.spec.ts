import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { judgeGenerator, judgeRun, readRunRecord, RunRecordError, VALIDITY_BOUNDS, writeRunRecord, type LoadSummary, type RunRecord } from '../src';

function summary(overrides: { iterations?: number; dropped?: number; lag?: number; loop?: number } = {}): LoadSummary {
  const { iterations = 200, dropped = 0, lag = 3, loop = 5 } = overrides;
  return {
    root_group: { name: '', path: '', id: 'x', groups: [], checks: [] },
    options: {},
    state: { testRunDurationMs: 20_000, validity: judgeGenerator({ scheduleLagP99Ms: lag, eventLoopDelayP99Ms: loop }) },
    metrics: {
      iterations: { type: 'counter', contains: 'default', values: { count: iterations, rate: iterations / 20 } },
      dropped_iterations: { type: 'counter', contains: 'default', values: { count: dropped, rate: dropped / 20 } },
    },
  };
}

describe('the validity rule', () => {
  it('accepts a run that kept its schedule and its load', () => {
    const verdict = judgeRun({ summary: summary(), targetRate: 10, durationS: 20 });
    expect(verdict).toMatchObject({ valid: true, reasons: [] });
  });

  it('uses the driver\'s bounds: schedule lag p99 over 10 ms or event-loop delay over 20 ms makes a run invalid', () => {
    expect(VALIDITY_BOUNDS).toMatchObject({ maxScheduleLagP99Ms: 10, maxEventLoopDelayP99Ms: 20 });
    const late = judgeRun({ summary: summary({ lag: 10.5 }), targetRate: 10, durationS: 20 });
    expect(late.valid).toBe(false);
    expect(late.reasons.join()).toMatch(/schedule lag p99 \(ms\) 10\.5/);
    expect(judgeRun({ summary: summary({ loop: 25 }), targetRate: 10, durationS: 20 }).valid).toBe(false);
    // The driver's recorded verdict and the rule agree.
    expect(summary({ lag: 10.5 }).state.validity?.valid).toBe(false);
  });

  it('flags dropped iterations, a missed rate, lost spans and a crashed service', () => {
    expect(judgeRun({ summary: summary({ iterations: 180, dropped: 20 }), targetRate: 10, durationS: 20 }).reasons.join()).toMatch(/dropped iterations 20/);
    expect(judgeRun({ summary: summary({ iterations: 150 }), targetRate: 10, durationS: 20 }).reasons.join()).toMatch(/achieved vs target rate/);
    expect(judgeRun({ summary: summary(), targetRate: 10, durationS: 20, telemetry: { services: { cart: { exported: 90, dropped: 10 } } } }).valid).toBe(false);
    const crashed = judgeRun({ summary: summary(), targetRate: 10, durationS: 20, serviceExits: [{ service: 'payment', code: null, signal: 'SIGKILL' }] });
    expect(crashed.reasons).toEqual(['a service exited during the run: payment (SIGKILL)']);
  });
});

describe('the run directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'run-record-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const record = (): RunRecord => ({
    meta: { runId: 'r1', experiment: 'e', variant: 'a', repetition: 1, warmup: false, target: { rate: 10, durationS: 20 }, settings: {} },
    summary: summary(),
    host: { cpus: 2, loadavg: [0, 0, 0], cpuUtilisation: 0.5, memory: { totalBytes: 1, usedBytes: 1, rssBytes: 1 } },
  });

  it('reads back what was written, and leaves no temporary file', () => {
    writeRunRecord(dir, record());
    const back = readRunRecord(dir);
    expect(back.meta.runId).toBe('r1');
    expect(back.host?.cpus).toBe(2);
    expect(back.database).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(['host.json', 'run.json', 'summary.json']);
  });

  it('refuses to write content its reader would reject, and writes nothing then', () => {
    const bad = record();
    (bad.meta as { repetition: unknown }).repetition = 'one';
    expect(() => writeRunRecord(dir, bad)).toThrow(RunRecordError);
    expect(existsSync(path.join(dir, 'run.json'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('names the file and the problem when a run directory is incomplete', () => {
    expect(() => readRunRecord(dir)).toThrow(/run\.json is missing/);
  });
});
