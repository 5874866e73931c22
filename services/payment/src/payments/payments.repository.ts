import { Pool } from 'pg';
import { classifyDatabaseError } from '@checkout-lab/database';
import { DependencyTimeoutError, DependencyUnavailableError } from './payment.errors';

export type PaymentStatus = 'pending' | 'succeeded' | 'declined' | 'canceled';

/** Why a payment was released unpaid (status `canceled`). */
export type CancelReason = 'abandoned';

export interface Payment {
  id: string;
  idempotencyKey: string;
  requestFingerprint: string;
  orderId: string;
  userId: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
  status: PaymentStatus;
  declineCode: string | null;
  stripePaymentIntentId: string | null;
  /** Set once, before the PaymentIntent request: every attempt of this payment charges this PaymentMethod. */
  stripePaymentMethodId: string | null;
  cancelReason: CancelReason | null;
}

export type NewPayment = Omit<Payment, 'id' | 'status' | 'declineCode' | 'stripePaymentIntentId' | 'stripePaymentMethodId' | 'cancelReason'>;

/**
 * The payment-level lease: while it is held, nobody else works on the payment (an Authorize calling
 * billing and Stripe, or a resolution asking Stripe). Taken with one UPDATE … WHERE the lease has
 * expired, so two holders are impossible; `token` fences the holder's own release and cancel.
 */
export interface Lease {
  token: string;
  /** Milliseconds (by the database's clock) since an Authorize last took the lease, or since the payment was created. */
  idleMs: number;
}

export interface LeasedPayment {
  payment: Payment;
  lease: Lease;
}

interface PaymentRow {
  id: string;
  idempotency_key: string;
  request_fingerprint: string;
  order_id: string;
  user_id: string;
  amount_cents: string;
  currency: string;
  payment_method: string;
  status: PaymentStatus;
  decline_code: string | null;
  stripe_payment_intent_id: string | null;
  stripe_payment_method_id: string | null;
  cancel_reason: CancelReason | null;
}

interface LeasedRow extends PaymentRow {
  lease_token: string;
  idle_ms: number;
}

const COLUMNS =
  'id, idempotency_key, request_fingerprint, order_id, user_id, amount_cents, currency, payment_method, status, decline_code, stripe_payment_intent_id, stripe_payment_method_id, cancel_reason';

/** What a lease-taking statement returns besides the payment. */
const LEASE_COLUMNS = `${COLUMNS}, lease_token, (extract(epoch FROM now() - COALESCE(attempted_at, created_at)) * 1000)::float8 AS idle_ms`;

/** The end of a lease of `$<param>` milliseconds from now. */
const leaseUntil = (param: number) => `now() + make_interval(secs => $${param}::double precision / 1000)`;
const LEASE_FREE = '(locked_until IS NULL OR locked_until < now())';

/** Payment's own table, in payment's own database. */
export class PaymentsRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Inserts a pending payment for this key holding its lease for `leaseMs` (the attempt that creates
   * it goes on to charge it), or returns the one already there, without a lease.
   */
  async findOrCreate(payment: NewPayment, leaseMs: number): Promise<{ payment: Payment; lease: Lease | null }> {
    const [inserted] = await this.query<LeasedRow>(
      `INSERT INTO payments (idempotency_key, request_fingerprint, order_id, user_id, amount_cents, currency, payment_method, status,
                             locked_until, lease_token, attempted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', ${leaseUntil(8)}, gen_random_uuid(), now())
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING ${LEASE_COLUMNS}`,
      [...newPaymentParams(payment), leaseMs],
    );
    if (inserted) return { payment: toPayment(inserted), lease: toLease(inserted) };
    const existing = await this.findByKey(payment.idempotencyKey);
    if (!existing) throw new Error('payment vanished between insert and select');
    return { payment: existing, lease: null };
  }

  async findByKey(idempotencyKey: string): Promise<Payment | null> {
    const [row] = await this.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE idempotency_key = $1`, [idempotencyKey]);
    return row ? toPayment(row) : null;
  }

  async get(id: string): Promise<Payment | null> {
    const [row] = await this.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id]);
    return row ? toPayment(row) : null;
  }

  /**
   * Takes the lease on a pending payment for `leaseMs`; null when it is not pending or someone holds
   * the lease. `attempt`: an Authorize takes it (it may send Stripe a PaymentIntent request), which
   * restarts the reconciler's age clock.
   */
  async acquire(id: string, leaseMs: number, attempt: boolean): Promise<LeasedPayment | null> {
    const [row] = await this.query<LeasedRow>(
      `UPDATE payments SET locked_until = ${leaseUntil(2)}, lease_token = gen_random_uuid(),
              attempted_at = CASE WHEN $3 THEN now() ELSE attempted_at END, updated_at = now()
        WHERE id = $1 AND status = 'pending' AND ${LEASE_FREE}
        RETURNING ${LEASE_COLUMNS}`,
      [id, leaseMs, attempt],
    );
    return row ? { payment: toPayment(row), lease: toLease(row) } : null;
  }

  /**
   * Takes the lease on up to `limit` pending payments that nobody holds and that no Authorize has
   * touched for `idleMs` (oldest first), leaving out `skip` (those a pass already looked at);
   * concurrent reconcilers skip each other's rows.
   */
  async claimIdle(idleMs: number, leaseMs: number, limit: number, skip: readonly string[] = []): Promise<LeasedPayment[]> {
    const rows = await this.query<LeasedRow>(
      // MATERIALIZED: a LIMIT … FOR UPDATE subquery under `WHERE id IN (…)` may be run again per row and claim more than `limit`.
      `WITH due AS MATERIALIZED (
         SELECT id AS due_id FROM payments
          WHERE status = 'pending' AND ${LEASE_FREE}
            AND COALESCE(attempted_at, created_at) < now() - make_interval(secs => $1::double precision / 1000)
            AND id <> ALL($4::uuid[])
          ORDER BY created_at LIMIT $3
          FOR UPDATE SKIP LOCKED)
       UPDATE payments SET locked_until = ${leaseUntil(2)}, lease_token = gen_random_uuid(), updated_at = now()
         FROM due WHERE id = due_id AND status = 'pending' AND ${LEASE_FREE}
       RETURNING ${LEASE_COLUMNS}`,
      [idleMs, leaseMs, limit, skip],
    );
    return rows.map((row) => ({ payment: toPayment(row), lease: toLease(row) }));
  }

  /** Gives the lease back (only the holder's token can), so the next attempt can go ahead at once. */
  async release(id: string, token: string): Promise<void> {
    await this.query(`UPDATE payments SET locked_until = NULL, lease_token = NULL WHERE id = $1 AND lease_token = $2`, [id, token]);
  }

  /**
   * Releases a pending payment unpaid, for good (`canceled`): only while `token`'s lease is still
   * held, so never while anyone else works on it. False when the lease was lost (nothing changed).
   */
  async cancel(id: string, token: string, reason: CancelReason): Promise<boolean> {
    const rows = await this.query(
      `UPDATE payments SET status = 'canceled', cancel_reason = $3, locked_until = NULL, lease_token = NULL, updated_at = now()
        WHERE id = $1 AND status = 'pending' AND lease_token = $2 AND locked_until > now()
        RETURNING id`,
      [id, token, reason],
    );
    return rows.length === 1;
  }

  /**
   * Records a key payment has never seen as already released (`canceled`), so that an Authorize
   * arriving late with it cannot charge; null when a payment with the key exists (it wins).
   */
  async recordReleased(payment: NewPayment, reason: CancelReason): Promise<Payment | null> {
    const [row] = await this.query<PaymentRow>(
      `INSERT INTO payments (idempotency_key, request_fingerprint, order_id, user_id, amount_cents, currency, payment_method, status, cancel_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'canceled', $8)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING ${COLUMNS}`,
      [...newPaymentParams(payment), reason],
    );
    return row ? toPayment(row) : null;
  }

  /**
   * Records the PaymentMethod this payment charges, unless one is recorded already; returns the
   * one that holds (a concurrent attempt may have won), which every attempt then uses.
   */
  async pinPaymentMethod(id: string, stripePaymentMethodId: string): Promise<string> {
    const [row] = await this.query<{ stripe_payment_method_id: string }>(
      `UPDATE payments SET stripe_payment_method_id = COALESCE(stripe_payment_method_id, $2), updated_at = now()
        WHERE id = $1 RETURNING stripe_payment_method_id`,
      [id, stripePaymentMethodId],
    );
    if (!row) throw new Error('payment vanished before its payment method was recorded');
    return row.stripe_payment_method_id;
  }

  /** Stripe charged it: recorded whatever the row said (the money moved), and the lease freed. */
  async markSucceeded(id: string, stripePaymentIntentId: string): Promise<void> {
    await this.query(
      `UPDATE payments SET status = 'succeeded', stripe_payment_intent_id = $2, cancel_reason = NULL, locked_until = NULL, lease_token = NULL,
              updated_at = now()
        WHERE id = $1`,
      [id, stripePaymentIntentId],
    );
  }

  async markDeclined(id: string, declineCode: string, stripePaymentIntentId: string | undefined): Promise<void> {
    await this.query(
      `UPDATE payments SET status = 'declined', decline_code = $2, stripe_payment_intent_id = $3, locked_until = NULL, lease_token = NULL,
              updated_at = now()
        WHERE id = $1 AND status <> 'succeeded'`,
      [id, declineCode, stripePaymentIntentId ?? null],
    );
  }

  private async query<R extends object>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (error) {
      switch (classifyDatabaseError(error)) {
        case 'unavailable':
          throw new DependencyUnavailableError('payment-db');
        case 'timeout':
          throw new DependencyTimeoutError('payment-db');
        case 'other':
          throw error;
      }
    }
  }
}

function newPaymentParams(payment: NewPayment): unknown[] {
  return [
    payment.idempotencyKey,
    payment.requestFingerprint,
    payment.orderId,
    payment.userId,
    payment.amountCents,
    payment.currency,
    payment.paymentMethod,
  ];
}

function toLease(row: LeasedRow): Lease {
  return { token: row.lease_token, idleMs: Number(row.idle_ms) };
}

function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    requestFingerprint: row.request_fingerprint,
    orderId: row.order_id,
    userId: row.user_id,
    amountCents: Number(row.amount_cents),
    currency: row.currency,
    paymentMethod: row.payment_method,
    status: row.status,
    declineCode: row.decline_code,
    stripePaymentIntentId: row.stripe_payment_intent_id,
    stripePaymentMethodId: row.stripe_payment_method_id,
    cancelReason: row.cancel_reason,
  };
}
