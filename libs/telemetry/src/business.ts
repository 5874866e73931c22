import { SpanStatusCode, metrics, trace, type Attributes, type Counter, type Span } from '@opentelemetry/api';
import type { BillingStoreKind } from '@checkout-lab/config';
import { ATTR_RECONCILE_PREFIX } from './lab-conventions';

const tracer = () => trace.getTracer('checkout-lab');

/**
 * Runs `fn` inside a span named `name` (a business operation the auto-instrumentation cannot
 * see). A thrown error is recorded on the span (exception event, status ERROR) and rethrown,
 * unless `options.expected` says it is a business outcome (e.g. a card decline).
 * Attributes must be ids, codes and counts only: nothing personal or secret.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: { expected?: (error: unknown) => boolean } = {},
): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      if (!options.expected?.(error)) failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed: status ERROR and an exception event (name and message only). */
export function failSpan(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException({ name: error.name, message: error.message });
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else {
    span.recordException({ name: 'Error', message: String(error) });
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

/** A reconciler pass's counts as attributes of its span: `reconcile.<outcome>` = how many ended so. */
export function reconcileCountAttributes(counts: Readonly<Record<string, number>>): Attributes {
  return Object.fromEntries(Object.entries(counts).map(([outcome, n]) => [`${ATTR_RECONCILE_PREFIX}${outcome}`, n]));
}

export type CheckoutOutcome = 'paid' | 'declined' | 'error' | 'timeout' | 'unavailable';
export type PaymentOutcome = 'authorized' | 'declined' | 'error';

let counters: { checkouts: Counter; payments: Counter; billingLookups: Counter } | undefined;

function businessCounters() {
  // Created on first use: by then the preload has registered the SDK's meter provider.
  counters ??= (() => {
    const meter = metrics.getMeter('checkout-lab');
    return {
      checkouts: meter.createCounter('checkouts', { description: 'Checkouts finished, by outcome' }),
      payments: meter.createCounter('payments', { description: 'Payment authorisations, by outcome' }),
      billingLookups: meter.createCounter('billing.lookups', { description: 'Billing-address lookups, by store and whether found' }),
    };
  })();
  return counters;
}

/** The business counters (checkouts_total, payments_total, billing_lookups_total on /metrics). */
export const businessMetrics = {
  checkout(outcome: CheckoutOutcome): void {
    businessCounters().checkouts.add(1, { outcome });
  },
  payment(outcome: PaymentOutcome): void {
    businessCounters().payments.add(1, { outcome });
  },
  billingLookup(store: BillingStoreKind, found: boolean): void {
    businessCounters().billingLookups.add(1, { store, found: String(found) });
  },
};
