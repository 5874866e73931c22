/**
 * Compares cart's orders, payment's payments and Stripe's PaymentIntents, and names what does not
 * add up: an order charged more than once, a charge whose order is not paid, a paid order with no
 * charge. Reads only: it changes nothing anywhere.
 *
 * PaymentIntents are tied to orders by `metadata.order_id` (payment sets it on every charge) or,
 * failing that, by the PaymentIntent id payment recorded for an order.
 */
import { Client } from 'pg';
import Stripe from 'stripe';

export interface ReconcileFinding {
  orderId: string;
  paymentIntentIds: string[];
  orderStatus: string | null;
  detail: string;
}

export interface ReconcileResult {
  orders: number;
  paymentIntents: number;
  succeededPaymentIntents: number;
  pendingOrders: number;
  doubleCharges: ReconcileFinding[];
  chargesWithoutPaidOrder: ReconcileFinding[];
  paidOrdersWithoutCharge: ReconcileFinding[];
}

export interface ReconcileOptions {
  cartDatabaseUrl: string;
  paymentDatabaseUrl: string;
  stripeApiBase: string;
  stripeSecretKey: string;
  /** Only orders and PaymentIntents created at or after it (PaymentIntents: from its whole second, Stripe's resolution). */
  since?: Date;
}

/** A database or Stripe could not be read: the message is one line, names the part and never holds a password. */
export class ReconcileSourceError extends Error {
  override readonly name = 'ReconcileSourceError';
}

interface OrderRow {
  id: string;
  status: string;
  payment_id: string | null;
}

interface PaymentRow {
  id: string;
  order_id: string;
  status: string;
  stripe_payment_intent_id: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function reconcile(options: ReconcileOptions): Promise<ReconcileResult> {
  const since = options.since ?? null;
  const [orders, payments, intents] = await Promise.all([
    withDatabase('cart', options.cartDatabaseUrl, (db) =>
      rows<OrderRow>(db, 'SELECT id::text, status, payment_id FROM orders WHERE $1::timestamptz IS NULL OR created_at >= $1', [since]),
    ),
    withDatabase('payment', options.paymentDatabaseUrl, (db) =>
      rows<PaymentRow>(
        db,
        'SELECT id::text, order_id, status, stripe_payment_intent_id FROM payments WHERE $1::timestamptz IS NULL OR created_at >= $1',
        [since],
      ),
    ),
    listPaymentIntents(options.stripeApiBase, options.stripeSecretKey, since),
  ]);

  const orderById = new Map(orders.map((order) => [order.id, order]));
  const paymentByIntent = new Map(payments.flatMap((payment) => (payment.stripe_payment_intent_id ? [[payment.stripe_payment_intent_id, payment] as const] : [])));
  const paymentsByOrder = new Map<string, PaymentRow[]>();
  for (const payment of payments) paymentsByOrder.set(payment.order_id, [...(paymentsByOrder.get(payment.order_id) ?? []), payment]);

  // Succeeded PaymentIntents by the order they charged; others are not ours (or not tied to an order).
  const succeeded = intents.filter((intent) => intent.status === 'succeeded');
  const chargesByOrder = new Map<string, string[]>();
  for (const intent of succeeded) {
    const orderId = intent.metadata['order_id'] ?? paymentByIntent.get(intent.id)?.order_id;
    if (!orderId) continue;
    chargesByOrder.set(orderId, [...(chargesByOrder.get(orderId) ?? []), intent.id]);
  }

  // A charge within the window may belong to an order created before it: read those orders too.
  const outside = [...chargesByOrder.keys()].filter((orderId) => !orderById.has(orderId) && UUID.test(orderId));
  if (outside.length) {
    const more = await withDatabase('cart', options.cartDatabaseUrl, (db) =>
      rows<OrderRow>(db, 'SELECT id::text, status, payment_id FROM orders WHERE id = ANY($1::uuid[])', [outside]),
    );
    for (const order of more) orderById.set(order.id, order);
  }

  const paymentNote = (orderId: string): string => {
    const found = paymentsByOrder.get(orderId) ?? [];
    if (!found.length) return 'payment has no payment for it';
    return `payment: ${found.map((payment) => `${payment.status}${payment.stripe_payment_intent_id ? ` (${payment.stripe_payment_intent_id})` : ''}`).join(', ')}`;
  };

  const doubleCharges: ReconcileFinding[] = [];
  const chargesWithoutPaidOrder: ReconcileFinding[] = [];
  for (const [orderId, paymentIntentIds] of chargesByOrder) {
    const orderStatus = orderById.get(orderId)?.status ?? null;
    if (paymentIntentIds.length > 1) {
      doubleCharges.push({
        orderId,
        paymentIntentIds,
        orderStatus,
        detail: `${paymentIntentIds.length} succeeded PaymentIntents for one order; ${paymentNote(orderId)}`,
      });
    }
    if (orderStatus !== 'paid') {
      chargesWithoutPaidOrder.push({
        orderId,
        paymentIntentIds,
        orderStatus,
        detail: `${orderStatus === null ? 'cart has no such order' : `the order is ${orderStatus}`}, but Stripe charged it; ${paymentNote(orderId)}`,
      });
    }
  }

  const paidOrdersWithoutCharge: ReconcileFinding[] = orders
    .filter((order) => order.status === 'paid' && !chargesByOrder.has(order.id))
    .map((order) => ({
      orderId: order.id,
      paymentIntentIds: [],
      orderStatus: order.status,
      detail: `the order is paid${order.payment_id ? ` (payment ${order.payment_id})` : ''}, but Stripe has no succeeded PaymentIntent for it; ${paymentNote(order.id)}`,
    }));

  return {
    orders: orders.length,
    paymentIntents: intents.length,
    succeededPaymentIntents: succeeded.length,
    pendingOrders: orders.filter((order) => order.status === 'pending').length,
    doubleCharges,
    chargesWithoutPaidOrder,
    paidOrdersWithoutCharge,
  };
}

/** How many findings a result holds. */
export function findingCount(result: ReconcileResult): number {
  return result.doubleCharges.length + result.chargesWithoutPaidOrder.length + result.paidOrdersWithoutCharge.length;
}

async function withDatabase<T>(name: 'cart' | 'payment', url: string, use: (db: Client) => Promise<T>): Promise<T> {
  const where = describeDatabase(url);
  const db = new Client({ connectionString: url, connectionTimeoutMillis: 5000, statement_timeout: 30_000, application_name: 'checkout-lab-reconcile' });
  db.on('error', () => undefined); // a connection dropped mid-way surfaces as the query's error
  try {
    await db.connect();
  } catch (error) {
    throw new ReconcileSourceError(`${name} database unreachable at ${where}: ${reason(error)}`);
  }
  try {
    return await use(db);
  } catch (error) {
    throw new ReconcileSourceError(`${name} database at ${where} could not be read: ${reason(error)}`);
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function rows<R extends object>(db: Client, sql: string, params: unknown[]): Promise<R[]> {
  return (await db.query<R>(sql, params)).rows;
}

/** Every PaymentIntent (auto-pagination through the SDK), created at or after `since`'s second when given. */
async function listPaymentIntents(apiBase: string, secretKey: string, since: Date | null): Promise<Stripe.PaymentIntent[]> {
  let base: URL;
  try {
    base = new URL(apiBase);
  } catch {
    throw new ReconcileSourceError(`Stripe API base ${JSON.stringify(apiBase)} is not a URL`);
  }
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  const stripe = new Stripe(secretKey, {
    host: base.hostname,
    port: base.port || (protocol === 'http' ? 80 : 443),
    protocol,
    timeout: 10_000,
    maxNetworkRetries: 1,
    telemetry: false,
    // The API version this stripe SDK is typed for: an SDK upgrade fails the typecheck here until the version is chosen on purpose.
    apiVersion: '2026-10-28.endive',
    appInfo: { name: 'checkout-tracing-lab/reconcile' },
  });
  const intents: Stripe.PaymentIntent[] = [];
  try {
    const created = since ? { created: { gte: Math.floor(since.getTime() / 1000) } } : {};
    for await (const intent of stripe.paymentIntents.list({ limit: 100, ...created })) intents.push(intent);
  } catch (error) {
    const what = error instanceof Stripe.errors.StripeConnectionError ? 'unreachable' : 'refused the listing';
    throw new ReconcileSourceError(`Stripe API ${what} at ${base.origin}: ${reason(error)}`);
  }
  return intents;
}

/** host:port/database, without the user or password. */
function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return '(an unparsable URL)';
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n')[0] ?? '';
  // pg and node put the password nowhere in these messages; the URL itself is never echoed.
  if (typeof code !== 'string') return line || 'failed';
  if (!line) return code;
  return line.includes(code) ? line : `${line} (${code})`;
}
