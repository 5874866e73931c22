/**
 * The lab's own span names and attribute keys: the business spans the services open (withSpan),
 * the attributes they and the load driver set, and the run identity carried as baggage — written
 * by services/*, load-tests and this library, read back by libs/report and the span readers and
 * store here. OpenTelemetry's names (semantic conventions, an instrumentation's attributes) are
 * not here: they come from @opentelemetry/semantic-conventions or semconv.ts.
 *
 * Strings only, no imports: load-tests/src/flow.ts, which runs under k6 and may import nothing,
 * writes the baggage keys as literals (its tests check them against these).
 */

// Business spans, by the service that opens them.
/** cart: one checkout, from the order to the payment's outcome (NestJS's handler span has the same name and `nestjs.type`). */
export const SPAN_CHECKOUT = 'checkout';
/** cart: one pass of the reconciler over checkouts whose payment outcome was unknown. */
export const SPAN_CHECKOUT_RECONCILE = 'checkout.reconcile';
/** payment: one authorisation with Stripe. */
export const SPAN_PAYMENT_AUTHORIZE = 'payment.authorize';
/** payment: finding out what became of a payment whose outcome was unknown. */
export const SPAN_PAYMENT_RESOLVE = 'payment.resolve';
/** payment: one pass of the reconciler. */
export const SPAN_PAYMENT_RECONCILE = 'payment.reconcile';
/** billing-address: one lookup of a user's billing address in the selected store. */
export const SPAN_BILLING_LOOKUP = 'billing.lookup';
/** load-tests' driver: the root span of one iteration of the checkout flow. */
export const SPAN_CHECKOUT_FLOW = 'checkout-flow';

// The run's identity: baggage the load generator sends, copied onto every span (processors.ts).
export const ATTR_LAB_RUN_ID = 'lab.run_id';
export const ATTR_LAB_VARIANT = 'lab.variant';

// cart's checkout span.
/** paid, declined, error, timeout or unavailable (CheckoutOutcome). */
export const ATTR_CHECKOUT_OUTCOME = 'checkout.outcome';
export const ATTR_CHECKOUT_ORDER_ID = 'checkout.order_id';
export const ATTR_CHECKOUT_AMOUNT_CENTS = 'checkout.amount_cents';
export const ATTR_CHECKOUT_ITEM_COUNT = 'checkout.item_count';

// payment's spans.
/** authorized, declined or error (PaymentOutcome). */
export const ATTR_PAYMENT_OUTCOME = 'payment.outcome';
export const ATTR_PAYMENT_DECLINE_CODE = 'payment.decline_code';
export const ATTR_PAYMENT_RESOLUTION = 'payment.resolution';
export const ATTR_STRIPE_REQUEST_ID = 'stripe.request_id';

// billing-address's lookup span; billing.store and billing.sql_profile are on its resource too.
export const ATTR_BILLING_STORE = 'billing.store';
export const ATTR_BILLING_SQL_PROFILE = 'billing.sql_profile';
export const ATTR_BILLING_FOUND = 'billing.found';

// A reconciler pass's span (checkout.reconcile, payment.reconcile): `reconcile.<outcome>` = how many ended so.
export const ATTR_RECONCILE_PREFIX = 'reconcile.';

// The load driver's iteration span.
export const ATTR_LOAD_SCENARIO = 'load.scenario';
export const ATTR_LOAD_ITERATION = 'load.iteration';
export const ATTR_LOAD_VU = 'load.vu';
