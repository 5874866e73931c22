import { isolationSummary } from '../src/narrative';

type Row = Parameters<typeof isolationSummary>[0][number];

const run = (id: string, extra: Partial<Row> = {}): Row => ({
  run_id: id,
  applied: true,
  legacy_cpus: '1',
  stack_cpus: '0',
  reason: null,
  legacy_cpu_quota: 0.23,
  legacy_cpu_quota_reason: null,
  legacy_lookup: null,
  generator_cpus: null,
  ...extra,
});

describe('the sentence on where the legacy server ran', () => {
  it('names a fixed quota once for the runs that share it', () => {
    expect(isolationSummary([run('a'), run('b')], 2)).toBe(
      'The legacy billing server ran on CPU 1 with 0.23 of a CPU (cgroup quota), the rest of the stack and the load generator on CPU 0, in 2 of 2 runs.',
    );
  });

  it('says where the load generator ran when it left the stack\'s CPU for the load', () => {
    expect(isolationSummary([run('a', { generator_cpus: '1' }), run('b')], 2)).toBe(
      'The legacy billing server ran on CPU 1 with 0.23 of a CPU (cgroup quota), the rest of the stack on CPU 0, and the load generator on CPU 1 beside it at real-time priority (which the server\'s work cannot delay), in 1 of 2 runs. ' +
        'The legacy billing server ran on CPU 1 with 0.23 of a CPU (cgroup quota), the rest of the stack and the load generator on CPU 0, in 1 of 2 runs.',
    );
  });

  it('gives a pinned speed with the range of quotas and CPU times behind it, and a run that missed', () => {
    const text = isolationSummary(
      [
        run('a', { legacy_cpu_quota: 0.2197, legacy_lookup: { target_ms: 210, cpu_ms: 46.1, reached: true } }),
        run('b', { legacy_cpu_quota: 0.2379, legacy_lookup: { target_ms: 210, cpu_ms: 49.96, reached: true } }),
        run('c', { legacy_cpu_quota: 1, legacy_lookup: { target_ms: 210, cpu_ms: 300, reached: false } }),
        run('d', { legacy_cpu_quota: null, legacy_cpu_quota_reason: 'no cgroup cpu controller under /sys/fs/cgroup' }),
      ],
      4,
    );
    expect(text).toContain('ran on CPU 1 with a CPU quota scaled before each run, the rest of the stack and the load generator on CPU 0, in 3 of 4 runs.');
    expect(text).toContain('ran on CPU 1 without its CPU quota (no cgroup cpu controller under /sys/fs/cgroup), the rest of the stack and the load generator on CPU 0, in 1 of 4 runs.');
    expect(text).toContain(
      'Its speed was pinned in 3 run(s): one unindexed lookup (46.1–300.0 ms of CPU, measured before each run) in 210 ms, at 0.220–1.000 of a CPU; in 1 of them the target was not reached.',
    );
  });
});
