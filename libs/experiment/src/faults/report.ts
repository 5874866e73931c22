import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FaultsExperiment } from './definition';
import { describeFault, type FaultResult } from './run-faults';
import type { TimelineBucket } from './timeline';

/** Seconds per row of the "what clients saw" tables (the JSON keeps 1 s buckets). */
const ROW_S = 5;

/** Writes faults-report.md and faults-report.json into `outDir`; returns their paths. */
export function writeFaultsReport(
  experiment: FaultsExperiment,
  results: FaultResult[],
  outDir: string,
  provenance: Record<string, unknown>,
): { markdown: string; json: string } {
  const markdown = path.join(outDir, 'faults-report.md');
  const json = path.join(outDir, 'faults-report.json');
  writeFileSync(markdown, renderFaultsMarkdown(experiment, results, provenance));
  writeFileSync(
    json,
    `${JSON.stringify({ experiment: { name: experiment.name, title: experiment.title, source: experiment.source, quick: experiment.quick, load: experiment.load, settings: experiment.settings, env: experiment.env, recoveryLimitS: experiment.recoveryLimit / 1000 }, provenance, results }, null, 1)}\n`,
  );
  return { markdown, json };
}

export function faultsTable(results: FaultResult[]): string {
  const header = ['fault', 'checkouts ok', 'first success', 'steady state', 'double charges', 'charged, not paid', 'paid, not charged', 'pending left', 'verdict'];
  const s = (x: number | null) => (x === null ? 'never' : `${x.toFixed(1)} s`);
  const rows = results.map((r) => [
    r.name,
    `${r.checkouts.ok}/${r.checkouts.attempted}`,
    s(r.recovery.firstSuccessS),
    s(r.recovery.steadyStateS),
    String(r.books.doubleCharges.length),
    String(r.books.chargesWithoutPaidOrder.length),
    String(r.books.paidOrdersWithoutCharge.length),
    String(r.pending.afterSettle),
    r.passed ? 'pass' : 'FAIL',
  ]);
  return markdownTable(header, rows);
}

export function renderFaultsMarkdown(experiment: FaultsExperiment, results: FaultResult[], provenance: Record<string, unknown>): string {
  const limit = experiment.recoveryLimit / 1000;
  const failed = results.filter((r) => !r.passed);
  const lines = [
    `# ${experiment.title}`,
    '',
    experiment.description,
    '',
    failed.length === 0
      ? `**All ${results.length} faults passed:** no double charge, no charge without a paid order, no paid order without a charge, no order left pending, and every fault's checkouts were back within ${limit} s of its end.`
      : `**${failed.length} of ${results.length} faults failed:** ${failed.map((r) => `${r.name} (${r.problems.join('; ')})`).join('; ')}.`,
    '',
    faultsTable(results),
    '',
    '## How to read this',
    '',
    `- **Load:** ${experiment.load.rate} checkout flows/s (open model: create a cart, add 1–3 items, check out), ${experiment.load.before / 1000} s before each fault and ${experiment.load.after / 1000} s after it. Clients do not retry: what the fault leaves unfinished is for the services' reconcilers.`,
    '- **First success:** from the fault\'s end (for a kill: the kill) to the end of the first checkout started after it that was answered 2xx.',
    '- **Steady state:** from the fault\'s end to the start of the first 2 s window (by request start) from which every window until the end of the load has a failed-request share at most 5 points above the pre-fault share and a median checkout latency at most 2 × the pre-fault median.',
    `- **The books:** after the load, the services' reconcilers get up to ${experiment.settleTimeout / 1000} s to resolve pending orders; then every order created during the load is compared with Stripe's PaymentIntents (\`checkout-lab reconcile\`'s rules).`,
    `- A fault **passes** with all three book counts at 0, no order left pending, first success and steady state within ${limit} s, the killed service restarted, and no other service exiting.`,
    '',
  ];
  for (const r of results) lines.push(...faultSection(r));
  lines.push('## Provenance', '', `- definition: \`${experiment.source}\`${experiment.quick ? ' (--quick)' : ''}`, `- settings: \`${JSON.stringify(experiment.settings)}\`, service env: \`${JSON.stringify(experiment.env)}\``);
  for (const [key, value] of Object.entries(provenance)) lines.push(`- ${key}: \`${JSON.stringify(value)}\``);
  for (const [key, value] of Object.entries(experiment.rationale)) lines.push(`- why ${key}: ${value}`);
  lines.push('');
  return lines.join('\n');
}

function faultSection(r: FaultResult): string[] {
  const s = (x: number | null) => (x === null ? 'never' : `${x.toFixed(1)} s`);
  const statusList = Object.entries(r.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([code, n]) => `${code === '0' ? 'no response' : code} × ${n}`)
    .join(', ');
  const lines = [
    `## ${r.name}: ${describeFault(r.fault)} — ${r.passed ? 'passed' : 'FAILED'}`,
    '',
    ...(r.description ? [r.description, ''] : []),
    `The fault ran from ${r.window.startS.toFixed(1)} s to ${r.window.endS.toFixed(1)} s of a ${r.window.loadS.toFixed(0)} s load (settings: \`${JSON.stringify(r.settings)}\`, run id \`${r.runId}\`).`,
    '',
    `**What clients saw:** ${r.requests} requests (${statusList}); ${r.checkouts.ok} of ${r.checkouts.attempted} checkouts answered 2xx.${completedLater(r) ? ` ${completedLater(r)} order(s) ended paid or declined although their checkout was answered with an error: the charge had gone through, and the reconcilers completed the order (a customer who looks at the order sees it paid).` : ''}`,
    '',
    clientTable(r.timeline, r.window),
    '',
    `**Recovery:** first success ${s(r.recovery.firstSuccessS)} and steady state ${s(r.recovery.steadyStateS)} after the fault's end. Before the fault ${(r.recovery.before.errorShare * 100).toFixed(1)} % of ${r.recovery.before.requests} requests failed (median checkout ${r.recovery.before.checkoutP50Ms === null ? '–' : `${r.recovery.before.checkoutP50Ms.toFixed(0)} ms`})${r.recovery.during.requests ? `; during it ${(r.recovery.during.errorShare * 100).toFixed(1)} % of ${r.recovery.during.requests}` : ''}.`,
    '',
    `**Services:** ${r.services.length === 0 ? 'none exited' : r.services.map((e) => `${e.service} ${e.kind === 'exited' ? `exited (${e.signal ?? `code ${String(e.code)}`})` : 'restarted and ready'} at ${e.atS.toFixed(1)} s`).join('; ')}.`,
    '',
    `**The books:** ${r.pending.atLoadEnd} order(s) pending when the load ended, ${r.pending.afterSettle} after ${r.pending.settleS.toFixed(0)} s of reconciliation; the load's orders ended ${orderStatuses(r.orders)}. ${r.books.orders} orders, ${r.books.paymentIntents} PaymentIntents (${r.books.succeededPaymentIntents} succeeded): ${r.books.doubleCharges.length} double charges, ${r.books.chargesWithoutPaidOrder.length} charges without a paid order, ${r.books.paidOrdersWithoutCharge.length} paid orders without a charge.`,
    ...[...r.books.doubleCharges, ...r.books.chargesWithoutPaidOrder, ...r.books.paidOrdersWithoutCharge].slice(0, 10).map((f) => `- order \`${f.orderId}\` (${f.orderStatus ?? 'no order'}): ${f.detail}`),
    ...(r.problems.length ? ['', `**Problems:** ${r.problems.join('; ')}.`] : []),
    '',
  ];
  return lines;
}

/** Orders that reached a final payment outcome beyond the checkouts answered 2xx: completed by the reconcilers. */
export function completedLater(r: FaultResult): number {
  const settled = Object.entries(r.orders).filter(([status]) => status === 'paid' || status === 'declined').reduce((n, [, k]) => n + k, 0);
  return Math.max(0, settled - r.checkouts.ok);
}

function orderStatuses(orders: Record<string, number>): string {
  return Object.entries(orders).sort(([a], [b]) => a.localeCompare(b)).map(([status, n]) => `${status} × ${n}`).join(', ') || 'none';
}

/** The 1 s buckets regrouped in ROW_S rows: requests by class of status, and checkouts. */
function clientTable(buckets: TimelineBucket[], window: { startS: number; endS: number }): string {
  const rows: string[][] = [];
  for (let i = 0; i < buckets.length; i += ROW_S) {
    const group = buckets.slice(i, i + ROW_S);
    const from = group[0]?.fromS ?? 0;
    const to = group[group.length - 1]?.toS ?? from;
    const sum = (pick: (code: number) => boolean) =>
      group.reduce((n, b) => n + Object.entries(b.statuses).filter(([c]) => pick(Number(c))).reduce((m, [, k]) => m + k, 0), 0);
    const fault = from < Math.max(window.endS, window.startS + 0.001) && to > window.startS ? ' ⚡' : '';
    const codes5xx = new Map<string, number>();
    for (const b of group) for (const [c, n] of Object.entries(b.statuses)) if (Number(c) >= 400) codes5xx.set(c, (codes5xx.get(c) ?? 0) + n);
    rows.push([
      `${from.toFixed(0)}–${to.toFixed(0)} s${fault}`,
      String(group.reduce((n, b) => n + b.requests, 0)),
      String(sum((c) => c >= 200 && c < 300)),
      [...codes5xx.entries()].sort().map(([c, n]) => `${c}×${n}`).join(' ') || '–',
      String(sum((c) => c === 0)),
      `${group.reduce((n, b) => n + b.checkoutsOk, 0)}/${group.reduce((n, b) => n + b.checkouts, 0)}`,
    ]);
  }
  return markdownTable(['requests started', 'requests', '2xx', '4xx/5xx by code', 'no response', 'checkouts ok'], rows);
}

function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
