import { applySqlProfile, BILLING_LOOKUP_SQL, migrateBillingSchema, seedBillingAddresses } from '@checkout-lab/billing-store';
import { withClient } from '@checkout-lab/database';
import { createTestDatabase } from '@checkout-lab/testing';
import { calibrateLegacySpeed, QUOTA_BOUNDS, quotaFor, REFINE_ABOVE, trimmedMean } from './legacy-speed';

describe('the legacy server speed arithmetic', () => {
  it('sets the quota to CPU time over the target', () => {
    expect(quotaFor(50, 200)).toBe(0.25);
    expect(quotaFor(47.3, 200)).toBe(0.2365);
  });

  it('keeps the quota within its bounds', () => {
    expect(quotaFor(0.1, 200)).toBe(QUOTA_BOUNDS.min);
    expect(quotaFor(900, 200)).toBe(QUOTA_BOUNDS.max);
  });

  it('drops the fastest and slowest of five or more timings', () => {
    expect(trimmedMean([10, 1, 11, 12, 100])).toBe(11);
    expect(trimmedMean([4, 6])).toBe(5);
    expect(() => trimmedMean([])).toThrow('no samples');
  });
});

describe('calibrating the legacy server (a real PostgreSQL on this machine)', () => {
  let db: string;

  beforeAll(async () => {
    db = await createTestDatabase('legacy_speed');
    await migrateBillingSchema(db);
    await seedBillingAddresses(db, { users: 20_000, addressesPerUser: 5 });
    await applySqlProfile(db, 'indexed'); // the index exists: the calibration must still time the scan
  });

  it('times the sequential scan from the backend CPU time and applies the quota for the target', async () => {
    const applied: number[] = [];
    const speed = await calibrateLegacySpeed({
      billingDb: db,
      targetMs: 400,
      startQuota: 0.3,
      users: 20_000,
      applyQuota: (fraction) => {
        applied.push(fraction);
        return true;
      },
    });
    // The backend's own account of one scan, to compare the CPU time read from /proc with.
    const executionMs = await withClient(db, async (client) => {
      await client.query('SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off; SET max_parallel_workers_per_gather = 0');
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const { rows } = await client.query<{ 'QUERY PLAN': [{ 'Execution Time': number; Plan: { 'Node Type': string } }] }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${BILLING_LOOKUP_SQL}`,
          [`user-${1 + i * 997}`],
        );
        times.push(rows[0]?.['QUERY PLAN'][0]['Execution Time'] ?? Number.NaN);
      }
      return trimmedMean(times);
    });

    expect(speed.reached).toBe(true);
    expect(speed.cpuMs).toBeGreaterThan(0);
    // The CPU time of a scan on an idle, unthrottled server is close to its execution time.
    expect(speed.cpuMs).toBeGreaterThan(executionMs * 0.5);
    expect(speed.cpuMs).toBeLessThan(executionMs * 2 + 2);
    expect(speed.quota).toBe(quotaFor(speed.cpuMs, 400));
    // Far from the 0.3 it was timed at (a scan of 100,000 rows takes well under 114 ms of CPU), the
    // quota is applied, the lookups timed again there, and the quota from that round set.
    expect(speed.rounds).toBe(2);
    expect(applied).toHaveLength(2);
    expect(Math.abs((applied[0] as number) / 0.3 - 1)).toBeGreaterThan(REFINE_ABOVE);
    expect(applied[1]).toBe(speed.quota);
    expect(speed.startQuota).toBe(0.3);
    expect(speed.startLookupMs).toBeGreaterThan(0);
  });

  it('reports a quota that could not be applied', async () => {
    const speed = await calibrateLegacySpeed({ billingDb: db, targetMs: 400, startQuota: 0.3, users: 20_000, applyQuota: () => false, samples: 3 });
    expect(speed.reached).toBe(false);
    expect(speed.reason).toMatch(/could not be applied/);
  });
});
