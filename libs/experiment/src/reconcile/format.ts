import { findingCount, type ReconcileFinding, type ReconcileResult } from './reconcile';

/** The human-readable report of `checkout-lab reconcile`. */
export function formatReconcile(result: ReconcileResult): string {
  const lines = [
    `orders: ${result.orders} (${result.pendingOrders} pending); PaymentIntents: ${result.paymentIntents} (${result.succeededPaymentIntents} succeeded)`,
  ];
  const section = (title: string, findings: ReconcileFinding[]) => {
    lines.push(`${title}: ${findings.length}`);
    for (const finding of findings) {
      const intents = finding.paymentIntentIds.length ? ` [${finding.paymentIntentIds.join(', ')}]` : '';
      lines.push(`  order ${finding.orderId} (${finding.orderStatus ?? 'no order'})${intents}: ${finding.detail}`);
    }
  };
  section('double charges (more than one succeeded PaymentIntent for one order)', result.doubleCharges);
  section('charges without a paid order (a succeeded PaymentIntent whose order is not paid)', result.chargesWithoutPaidOrder);
  section('paid orders without a charge (a paid order with no succeeded PaymentIntent)', result.paidOrdersWithoutCharge);
  const count = findingCount(result);
  lines.push(count ? `${count} finding(s)` : 'clean: every charge has its paid order and every paid order its one charge');
  return `${lines.join('\n')}\n`;
}
