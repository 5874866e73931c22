import { judgeFault, type FaultResult } from './run-faults';
import { renderFaultsMarkdown } from './report';
import type { FaultsExperiment } from './definition';

function result(overrides: Partial<Omit<FaultResult, 'problems' | 'passed'>> = {}): Omit<FaultResult, 'problems' | 'passed'> {
  return {
    name: 'kill-payment',
    description: '',
    fault: { action: 'kill', target: 'payment', when: 'scheduled' },
    settings: {},
    runId: 'r1',
    window: { startS: 15, endS: 15, loadS: 40 },
    requests: 400,
    statuses: { '200': 380, '503': 20 },
    checkouts: { attempted: 100, ok: 90 },
    timeline: [],
    recovery: { before: { requests: 150, errorShare: 0, checkoutP50Ms: 140 }, during: { requests: 0, errorShare: 0 }, firstSuccessS: 3.2, steadyStateS: 4 },
    services: [
      { service: 'payment', kind: 'exited', at: '2026-12-01T00:00:15.000Z', atS: 15, signal: 'SIGKILL', code: null },
      { service: 'payment', kind: 'restarted', at: '2026-12-01T00:00:18.000Z', atS: 18 },
    ],
    pending: { atLoadEnd: 2, afterSettle: 0, settleS: 9 },
    orders: { paid: 98, 'failed (payment_expired)': 2 },
    books: { orders: 100, paymentIntents: 92, succeededPaymentIntents: 92, pendingOrders: 0, doubleCharges: [], chargesWithoutPaidOrder: [], paidOrdersWithoutCharge: [] },
    ...overrides,
  };
}

describe('judgeFault', () => {
  it('passes clean books, a quick recovery and the killed service restarted', () => {
    expect(judgeFault(result(), 10)).toEqual([]);
  });

  it('fails on money out of line, a pending order, a slow or missing recovery, and services', () => {
    const finding = { orderId: 'o1', paymentIntentIds: ['pi_1', 'pi_2'], orderStatus: 'paid', detail: 'two succeeded PaymentIntents' };
    const problems = judgeFault(
      result({
        books: { orders: 1, paymentIntents: 2, succeededPaymentIntents: 2, pendingOrders: 1, doubleCharges: [finding], chargesWithoutPaidOrder: [finding], paidOrdersWithoutCharge: [finding] },
        pending: { atLoadEnd: 3, afterSettle: 1, settleS: 60 },
        recovery: { before: { requests: 1, errorShare: 0, checkoutP50Ms: 1 }, during: { requests: 1, errorShare: 1 }, firstSuccessS: 12, steadyStateS: null },
        services: [{ service: 'cart', kind: 'exited', at: '2026-12-01T00:00:20.000Z', atS: 20, code: 1, signal: null }],
      }),
      10,
    );
    expect(problems).toEqual([
      '1 double charge(s)',
      '1 charge(s) without a paid order',
      '1 paid order(s) without a charge',
      '1 order(s) still pending 60 s after the load',
      "first success 12 s after the fault's end (limit 10 s)",
      'never back to the pre-fault error rate and latency',
      'cart exited (code 1) at 20 s',
      'payment was not restarted',
    ]);
  });

  it('renders a section per fault with what clients saw, recovery and the books', () => {
    const experiment = { title: 'Faults', description: 'd', load: { rate: 5, before: 15_000, after: 25_000, thinkTimeMeanS: 0 }, settleTimeout: 60_000, recoveryLimit: 10_000, settings: {}, env: {}, rationale: {}, source: 'faults.json', quick: false } as unknown as FaultsExperiment;
    const r = { ...result({ timeline: [{ fromS: 0, toS: 1, requests: 10, statuses: { '200': 8, '503': 2 }, checkouts: 3, checkoutsOk: 2 }] }), problems: [], passed: true };
    const md = renderFaultsMarkdown(experiment, [r], {});
    expect(md).toMatch(/\*\*All 1 faults passed/);
    expect(md).toMatch(/## kill-payment: kill -9 of payment — passed/);
    expect(md).toMatch(/\| 0–1 s \| 10 \| 8 \| 503×2 \| 0 \| 2\/3 \|/);
    expect(md).toMatch(/payment exited \(SIGKILL\) at 15\.0 s; payment restarted and ready at 18\.0 s/);
  });
});
