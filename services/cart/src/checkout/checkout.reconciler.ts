import type { Logger } from 'pino';
import { PeriodicTask } from '@checkout-lab/config';
import { SPAN_CHECKOUT_RECONCILE, errorFields, reconcileCountAttributes, withSpan } from '@checkout-lab/telemetry';
import type { Order, OrdersRepository } from '../orders/orders.repository';
import { paymentRequestFor } from './checkout.service';
import type { PaymentAuthorizer } from './payment.client';

export interface CheckoutReconcilerOptions {
  /** Time between passes; 0: no passes at all (not even at start). */
  intervalMs: number;
  /** How long a pending order must go untouched by any request before the reconciler takes it up. */
  afterMs: number;
  /** The order lease (the same one checkout takes). */
  leaseMs: number;
  /** Orders claimed at once (default 1: each lease is taken just before its order is resolved); a pass claims until one claim comes back short. */
  batchSize?: number;
}

export type CheckoutReconcileCounts = Record<'paid' | 'declined' | 'failed' | 'pending' | 'unreachable', number>;

/** Batches one pass goes through at most, so one pass cannot run for ever. */
const MAX_BATCHES_PER_PASS = 100;

/**
 * Cart's pending orders follow their payment without a client: at start and every `intervalMs`,
 * a pending order whose lease has expired and that no request has touched for `afterMs` is
 * claimed (the order lease, so no checkout request works on it meanwhile) and payment is asked
 * what became of it (ResolvePayment, which never charges): paid → paid, declined → declined,
 * released or unknown to payment → `failed` (`payment_expired`, the cart is free again); not
 * decided yet, or payment unreachable → the lease is given back and a later pass asks again.
 */
export class CheckoutReconciler {
  private readonly task: PeriodicTask;

  constructor(
    private readonly orders: OrdersRepository,
    private readonly payment: PaymentAuthorizer,
    private readonly options: CheckoutReconcilerOptions,
    private readonly logger: Logger,
  ) {
    this.task = new PeriodicTask(() => this.runOnce(), options.intervalMs, (error) =>
      logger.warn({ err: errorFields(error) }, 'reconcile pass failed'),
    );
  }

  /** One pass over the idle pending orders; returns how many ended how. */
  runOnce(): Promise<CheckoutReconcileCounts> {
    return withSpan(SPAN_CHECKOUT_RECONCILE, {}, async (span) => {
      const counts: CheckoutReconcileCounts = { paid: 0, declined: 0, failed: 0, pending: 0, unreachable: 0 };
      // One at a time by default: a claimed lease must not run out while earlier ones are resolved.
      const batchSize = this.options.batchSize ?? 1;
      for (let batch = 0; batch < MAX_BATCHES_PER_PASS && !this.task.stopped; batch++) {
        const claimed = await this.orders.claimIdle(this.options.afterMs, this.options.leaseMs, batchSize);
        for (const order of claimed) counts[await this.settle(order)]++;
        if (claimed.length < batchSize) break;
      }
      span.setAttributes(reconcileCountAttributes(counts));
      if (Object.values(counts).some((n) => n > 0)) this.logger.info({ counts }, 'reconcile pass');
      return counts;
    });
  }

  private async settle(order: Order): Promise<keyof CheckoutReconcileCounts> {
    try {
      const outcome = await this.payment.resolve(paymentRequestFor(order));
      switch (outcome.kind) {
        case 'paid':
          await this.orders.markPaid(order.id, outcome.paymentId);
          this.logger.info({ orderId: order.id, paymentId: outcome.paymentId }, 'reconcile: order paid');
          return 'paid';
        case 'declined':
          await this.orders.markDeclined(order.id, outcome.paymentId, outcome.declineCode);
          this.logger.info({ orderId: order.id, declineCode: outcome.declineCode }, 'reconcile: order declined');
          return 'declined';
        case 'released':
          await this.orders.markFailed(order.id, 'payment_expired');
          this.logger.info({ orderId: order.id, paymentId: outcome.paymentId, payment: outcome.status }, 'reconcile: order failed, payment released unpaid');
          return 'failed';
        case 'pending':
          await this.orders.release(order.id);
          return 'pending';
      }
    } catch (error) {
      await this.orders.release(order.id).catch(() => undefined);
      this.logger.warn({ orderId: order.id, err: errorFields(error) }, 'reconcile: order not resolved; a later pass retries');
      return 'unreachable';
    }
  }

  /** A pass now, then one every intervalMs (never two at once); nothing when intervalMs is 0. */
  start(): void {
    this.task.start();
  }

  /** Stops scheduling passes and waits for the one running, if any. */
  stop(): Promise<void> {
    return this.task.stop();
  }
}
