import * as barrel from '../src';
import { reconcileCountAttributes } from '../src/business';
import * as conventions from '../src/lab-conventions';

// The names are on the wire: in stored span files, in experiments' `expect.operation`, in the
// queries people type into Jaeger. A constant renamed by accident would change them all.
describe("the lab's span names and attribute keys", () => {
  it('keep their wire values', () => {
    expect({ ...conventions }).toEqual({
      SPAN_CHECKOUT: 'checkout',
      SPAN_CHECKOUT_RECONCILE: 'checkout.reconcile',
      SPAN_PAYMENT_AUTHORIZE: 'payment.authorize',
      SPAN_PAYMENT_RESOLVE: 'payment.resolve',
      SPAN_PAYMENT_RECONCILE: 'payment.reconcile',
      SPAN_BILLING_LOOKUP: 'billing.lookup',
      SPAN_CHECKOUT_FLOW: 'checkout-flow',
      ATTR_LAB_RUN_ID: 'lab.run_id',
      ATTR_LAB_VARIANT: 'lab.variant',
      ATTR_CHECKOUT_OUTCOME: 'checkout.outcome',
      ATTR_CHECKOUT_ORDER_ID: 'checkout.order_id',
      ATTR_CHECKOUT_AMOUNT_CENTS: 'checkout.amount_cents',
      ATTR_CHECKOUT_ITEM_COUNT: 'checkout.item_count',
      ATTR_PAYMENT_OUTCOME: 'payment.outcome',
      ATTR_PAYMENT_DECLINE_CODE: 'payment.decline_code',
      ATTR_PAYMENT_RESOLUTION: 'payment.resolution',
      ATTR_STRIPE_REQUEST_ID: 'stripe.request_id',
      ATTR_BILLING_STORE: 'billing.store',
      ATTR_BILLING_SQL_PROFILE: 'billing.sql_profile',
      ATTR_BILLING_FOUND: 'billing.found',
      ATTR_RECONCILE_PREFIX: 'reconcile.',
      ATTR_LOAD_SCENARIO: 'load.scenario',
      ATTR_LOAD_ITERATION: 'load.iteration',
      ATTR_LOAD_VU: 'load.vu',
    });
  });

  it("name a reconciler pass's counts reconcile.<outcome>", () => {
    expect(reconcileCountAttributes({ paid: 2, failed: 0 })).toEqual({ 'reconcile.paid': 2, 'reconcile.failed': 0 });
  });

  it('are all exported from the library', () => {
    for (const [name, value] of Object.entries(conventions)) expect([name, (barrel as Record<string, unknown>)[name]]).toEqual([name, value]);
  });
});
