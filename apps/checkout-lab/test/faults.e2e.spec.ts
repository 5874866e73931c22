import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { labPorts, labRoot, spawnLab } from './support/lab-cli';

interface FaultsReportJson {
  results: {
    name: string;
    passed: boolean;
    problems: string[];
    window: { startS: number; endS: number };
    statuses: Record<string, number>;
    recovery: { firstSuccessS: number | null; steadyStateS: number | null; during: { errorShare: number } };
    services: { service: string; kind: string }[];
    pending: { atLoadEnd: number; afterSettle: number };
    books: { orders: number; succeededPaymentIntents: number; doubleCharges: unknown[]; chargesWithoutPaidOrder: unknown[]; paidOrdersWithoutCharge: unknown[] };
  }[];
}

/** `checkout-lab experiment faults --quick`: kill -9 of payment and a frozen app PostgreSQL under load, on real servers. */
describe('checkout-lab experiment faults --quick', () => {
  it('injects each fault, sees the failures, recovers, and leaves the books clean', async () => {
    const out = path.join(labRoot('checkout-lab-faults-'), 'out');
    const lab = spawnLab(['experiment', 'faults', '--quick', '--out', out], { ...(await labPorts()), LAB_DATA_DIR: path.join(out, '..', 'lab') });
    const code = await lab.exited;
    const output = lab.output();
    expect(existsSync(path.join(out, 'faults-report.md'))).toBe(true);
    const report = JSON.parse(readFileSync(path.join(out, 'faults-report.json'), 'utf8')) as FaultsReportJson;
    expect(report.results.map((r) => r.name)).toEqual(['kill-payment', 'freeze-app-postgres']);

    for (const r of report.results) {
      // The fault was felt: some requests failed while it lasted or right after.
      const failed = Object.entries(r.statuses).filter(([status]) => Number(status) < 200 || Number(status) >= 300).reduce((n, [, k]) => n + k, 0);
      expect({ fault: r.name, failed: failed > 0 }).toEqual({ fault: r.name, failed: true });
      // Money: nothing charged twice, nothing charged without a paid order, nothing paid without a charge, nothing left pending.
      expect({ fault: r.name, double: r.books.doubleCharges.length, charged: r.books.chargesWithoutPaidOrder.length, paid: r.books.paidOrdersWithoutCharge.length, pending: r.pending.afterSettle }).toEqual({
        fault: r.name,
        double: 0,
        charged: 0,
        paid: 0,
        pending: 0,
      });
      expect(r.books.succeededPaymentIntents).toBeGreaterThan(0);
      expect(r.recovery.firstSuccessS).not.toBeNull();
      expect(r.recovery.steadyStateS).not.toBeNull();
    }
    const kill = report.results[0];
    expect(kill?.services.filter((e) => e.service === 'payment').map((e) => e.kind)).toEqual(['exited', 'restarted']);

    // The exit code says whether every fault passed (recovery within 10 s included), and the table says why not.
    const allPassed = report.results.every((r) => r.passed);
    expect({ code, allPassed }).toEqual({ code: allPassed ? 0 : 5, allPassed });
    if (!allPassed) expect(output).toMatch(/fault\(s\) failed \(exit code 5\)/);
    expect(readFileSync(path.join(out, 'faults-report.md'), 'utf8')).toMatch(/## kill-payment: kill -9 of payment/);
    // Two faults with real servers and settle time: 114 s on one 2-vCPU VM, 124 s on a slower one.
  }, 300_000);
});
