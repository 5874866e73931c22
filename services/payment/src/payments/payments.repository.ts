import { Pool } from 'pg';
import { classifyDatabaseError } from '@checkout-lab/database';
import { DependencyTimeoutError, DependencyUnavailableError } from './payment.errors';

export type PaymentStatus = 'pending' | 'succeeded' | 'declined';

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
}

export type NewPayment = Omit<Payment, 'id' | 'status' | 'declineCode' | 'stripePaymentIntentId' | 'stripePaymentMethodId'>;

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
}

const COLUMNS =
  'id, idempotency_key, request_fingerprint, order_id, user_id, amount_cents, currency, payment_method, status, decline_code, stripe_payment_intent_id, stripe_payment_method_id';

/** Payment's own table, in payment's own database. */
export class PaymentsRepository {
  constructor(private readonly pool: Pool) {}

  /** Inserts a pending payment for this key, or returns the one already there. */
  async findOrCreate(payment: NewPayment): Promise<Payment> {
    const inserted = await this.query<PaymentRow>(
      `INSERT INTO payments (idempotency_key, request_fingerprint, order_id, user_id, amount_cents, currency, payment_method, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        payment.idempotencyKey,
        payment.requestFingerprint,
        payment.orderId,
        payment.userId,
        payment.amountCents,
        payment.currency,
        payment.paymentMethod,
      ],
    );
    const row =
      inserted[0] ??
      (await this.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE idempotency_key = $1`, [payment.idempotencyKey]))[0];
    if (!row) throw new Error('payment vanished between insert and select');
    return toPayment(row);
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

  async markSucceeded(id: string, stripePaymentIntentId: string): Promise<void> {
    await this.query(
      `UPDATE payments SET status = 'succeeded', stripe_payment_intent_id = $2, updated_at = now() WHERE id = $1`,
      [id, stripePaymentIntentId],
    );
  }

  async markDeclined(id: string, declineCode: string, stripePaymentIntentId: string | undefined): Promise<void> {
    await this.query(
      `UPDATE payments SET status = 'declined', decline_code = $2, stripe_payment_intent_id = $3, updated_at = now() WHERE id = $1`,
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
  };
}
