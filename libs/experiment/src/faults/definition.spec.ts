import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ExperimentDefinitionError } from '../definition';
import { faultDurationMs, faultsDefinitionFile, loadFaultsExperiment } from './definition';

describe('faults experiment definition', () => {
  it('finds the bundled faults experiment, and only faults definitions', () => {
    const file = faultsDefinitionFile('faults');
    expect(file).toMatch(/libs\/experiment\/experiments\/faults\.json$/);
    expect(faultsDefinitionFile('swiftcart')).toBeUndefined();
    expect(faultsDefinitionFile('no-such-experiment')).toBeUndefined();
  });

  it('reads the six bundled faults, and --quick keeps its subset and shorter load', () => {
    const file = faultsDefinitionFile('faults') as string;
    const full = loadFaultsExperiment(file);
    expect(full.faults.map((f) => f.fault.action)).toEqual(['kill', 'kill', 'freeze', 'freeze', 'http-500', 'drop']);
    expect(full.load).toMatchObject({ rate: 5, before: 15_000, after: 25_000 });
    expect(full.faults.map((f) => faultDurationMs(f.fault))).toEqual([0, 0, 10_000, 10_000, 10_000, 10_000]);
    const quick = loadFaultsExperiment(file, { quick: true });
    expect(quick.quick).toBe(true);
    expect(quick.faults.map((f) => f.name)).toEqual(['kill-payment', 'freeze-app-postgres']);
    expect(quick.load).toMatchObject({ rate: 5, before: 10_000, after: 15_000 });
  });

  it('names every problem of a bad definition', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'faults-def-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        kind: 'faults',
        name: 'bad',
        title: 'bad',
        seed: { users: 10, addressesPerUser: 1 },
        load: { rate: 5, before: '10s', after: 'soon' },
        warmup: { duration: '1s', rate: 1 },
        faults: [
          { name: 'a', fault: { action: 'freeze', target: 'app-postgres' } },
          { name: 'a', fault: { action: 'kill', target: 'stripe' } },
        ],
      }),
    );
    expect(faultsDefinitionFile(file)).toBe(file);
    let error: unknown;
    try {
      loadFaultsExperiment(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExperimentDefinitionError);
    const problems = (error as ExperimentDefinitionError).problems.join('\n');
    expect(problems).toMatch(/load\.after: must be a duration/);
    expect(problems).toMatch(/faults\.0\.fault\.duration/);
    expect(problems).toMatch(/faults\.1\.fault\.target/);
  });
});
