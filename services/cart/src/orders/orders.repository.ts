import { Pool } from 'pg';
import { isUniqueViolation } from '@checkout-lab/database';
import { cartFromJson, CART_JSON_SQL, type Cart, type CartJson } from '../carts/carts.repository';
import { isUuid, query } from '../database';

export type OrderStatus = 'pending' | 'paid' | 'declined' | 'failed';

/**
 * Why an order ended `failed`: payment refused it for good (`payment_method_invalid`,
 * `payment_rejected`), or payment released it unpaid, never to be charged (`payment_expired`).
 */
export type FailureCode = 'payment_method_invalid' | 'payment_rejected' | 'payment_expired';

export interface Order {
  id: string;
  cartId: string;
  userId: string;
  idempotencyKey: string;
  requestFingerprint: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
  status: OrderStatus;
  paymentId: string | null;
  declineCode: string | null;
  failureCode: FailureCode | null;
  createdAt: Date;
}

export type NewOrder = Pick<
  Order,
  'cartId' | 'userId' | 'idempotencyKey' | 'requestFingerprint' | 'amountCents' | 'currency' | 'paymentMethod'
>;

interface OrderRow {
  id: string;
  cart_id: string;
  user_id: string;
  idempotency_key: string;
  request_fingerprint: string;
  amount_cents: string;
  currency: string;
  payment_method: string;
  status: OrderStatus;
  payment_id: string | null;
  decline_code: string | null;
  failure_code: FailureCode | null;
  created_at: Date;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

const COLUMNS =
  'id, cart_id, user_id, idempotency_key, request_fingerprint, amount_cents, currency, payment_method, status, payment_id, decline_code, failure_code, created_at';

export type CreateOrderResult = { kind: 'created'; order: Order } | { kind: 'key_exists' } | { kind: 'cart_has_open_order' };

export class OrdersRepository {
  constructor(private readonly pool: Pool) {}

  async get(orderId: string): Promise<Order | null> {
    if (!isUuid(orderId)) return null;
    const [row] = await query<OrderRow>(this.pool, `SELECT ${COLUMNS} FROM orders WHERE id = $1`, [orderId]);
    return row ? toOrder(row) : null;
  }

  async findByKey(idempotencyKey: string): Promise<Order | null> {
    const [row] = await query<OrderRow>(this.pool, `SELECT ${COLUMNS} FROM orders WHERE idempotency_key = $1`, [idempotencyKey]);
    return row ? toOrder(row) : null;
  }

  /**
   * The order of this Idempotency-Key (if any) and the cart it names (if it exists), in one round
   * trip: every checkout needs both.
   */
  async findForCheckout(idempotencyKey: string, cartId: string): Promise<{ order: Order | null; cart: Cart | null }> {
    const [row] = await query<Nullable<OrderRow> & { cart: CartJson | null }>(
      this.pool,
      `SELECT ${COLUMNS.split(', ').map((c) => `o.${c}`).join(', ')}, ${CART_JSON_SQL('$2::uuid')} AS cart
         FROM (SELECT 1) AS one LEFT JOIN orders o ON o.idempotency_key = $1`,
      [idempotencyKey, isUuid(cartId) ? cartId : null],
    );
    return { order: row?.id ? toOrder(row as OrderRow) : null, cart: row?.cart ? cartFromJson(row.cart) : null };
  }

  /** Creates a pending order holding its lease for `leaseMs` (the request that creates it pays it). */
  async create(order: NewOrder, leaseMs: number): Promise<CreateOrderResult> {
    try {
      const [row] = await query<OrderRow>(
        this.pool,
        `INSERT INTO orders (cart_id, user_id, idempotency_key, request_fingerprint, amount_cents, currency, payment_method, status, locked_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', now() + make_interval(secs => $8::double precision / 1000)) RETURNING ${COLUMNS}`,
        [order.cartId, order.userId, order.idempotencyKey, order.requestFingerprint, order.amountCents, order.currency, order.paymentMethod, leaseMs],
      );
      if (!row) throw new Error('INSERT … RETURNING gave no row');
      return { kind: 'created', order: toOrder(row) };
    } catch (error) {
      if (isUniqueViolation(error, 'orders_idempotency_key_key')) return { kind: 'key_exists' };
      if (isUniqueViolation(error, 'orders_one_open_per_cart')) return { kind: 'cart_has_open_order' };
      throw error;
    }
  }

  /** Takes the lease on a pending order for `leaseMs`; false when another request holds it. */
  async claim(orderId: string, leaseMs: number): Promise<boolean> {
    const rows = await query(
      this.pool,
      `UPDATE orders SET locked_until = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
        WHERE id = $1 AND status = 'pending' AND (locked_until IS NULL OR locked_until < now())
        RETURNING id`,
      [orderId, leaseMs],
    );
    return rows.length === 1;
  }

  /**
   * Takes the lease, for `leaseMs`, on up to `limit` pending orders that nobody holds and that no
   * request has touched for `idleMs` (oldest first); concurrent cart instances skip each other's rows.
   */
  async claimIdle(idleMs: number, leaseMs: number, limit: number): Promise<Order[]> {
    const rows = await query<OrderRow>(
      this.pool,
      // MATERIALIZED: a LIMIT … FOR UPDATE subquery under `WHERE id IN (…)` may be run again per row and claim more than `limit`.
      `WITH due AS MATERIALIZED (
         SELECT id AS due_id FROM orders
          WHERE status = 'pending' AND (locked_until IS NULL OR locked_until < now())
            AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
          ORDER BY updated_at LIMIT $3
          FOR UPDATE SKIP LOCKED)
       UPDATE orders SET locked_until = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
         FROM due WHERE id = due_id AND status = 'pending' AND (locked_until IS NULL OR locked_until < now())
       RETURNING ${COLUMNS}`,
      [idleMs, leaseMs, limit],
    );
    return rows.map(toOrder);
  }

  async release(orderId: string): Promise<void> {
    await query(this.pool, 'UPDATE orders SET locked_until = NULL, updated_at = now() WHERE id = $1', [orderId]);
  }

  async markPaid(orderId: string, paymentId: string): Promise<void> {
    await query(
      this.pool,
      `UPDATE orders SET status = 'paid', payment_id = $2, locked_until = NULL, updated_at = now() WHERE id = $1`,
      [orderId, paymentId],
    );
  }

  async markDeclined(orderId: string, paymentId: string, declineCode: string): Promise<void> {
    await query(
      this.pool,
      `UPDATE orders SET status = 'declined', payment_id = $2, decline_code = $3, locked_until = NULL, updated_at = now() WHERE id = $1`,
      [orderId, paymentId, declineCode],
    );
  }

  /** Payment refused the order for good: it stops blocking its cart, and a replay of its key returns the failure. */
  async markFailed(orderId: string, failureCode: FailureCode): Promise<void> {
    await query(
      this.pool,
      `UPDATE orders SET status = 'failed', failure_code = $2, locked_until = NULL, updated_at = now() WHERE id = $1 AND status = 'pending'`,
      [orderId, failureCode],
    );
  }
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    cartId: row.cart_id,
    userId: row.user_id,
    idempotencyKey: row.idempotency_key,
    requestFingerprint: row.request_fingerprint,
    amountCents: Number(row.amount_cents),
    currency: row.currency,
    paymentMethod: row.payment_method,
    status: row.status,
    paymentId: row.payment_id,
    declineCode: row.decline_code,
    failureCode: row.failure_code,
    createdAt: row.created_at,
  };
}
