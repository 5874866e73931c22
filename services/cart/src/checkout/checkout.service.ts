import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { injectedDelay } from '@checkout-lab/config';
import {
  ATTR_CHECKOUT_AMOUNT_CENTS,
  ATTR_CHECKOUT_ITEM_COUNT,
  ATTR_CHECKOUT_ORDER_ID,
  ATTR_CHECKOUT_OUTCOME,
  SPAN_CHECKOUT,
  businessMetrics,
  withSpan,
  type CheckoutOutcome,
} from '@checkout-lab/telemetry';
import { MAX_TOTAL_CENTS, totalCents, type Cart } from '../carts/carts.repository';
import { DependencyError, NotFoundError, PaymentRefusedError, StateError } from '../errors';
import type { Order, OrdersRepository } from '../orders/orders.repository';
import { PaymentAuthorizer } from './payment.client';

export interface CheckoutRequest {
  cartId: string;
  idempotencyKey: string;
  paymentMethod: string;
}

export interface CheckoutResult {
  orderId: string;
  status: 'paid' | 'declined';
  paymentId: string;
  declineCode?: string;
  amountCents: number;
  currency: string;
}

/**
 * Checkout: one order per Idempotency-Key. The order is created `pending`, payment is asked to
 * authorise it (payment is idempotent by the same key), and the outcome is recorded. A replay
 * of a finished checkout returns the stored result without calling payment; an unfinished one
 * (payment failed or timed out) is retried under the same key, so it is never charged twice.
 */
export class CheckoutService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly payment: PaymentAuthorizer,
    private readonly options: { currency: string; leaseMs: number; injectDelayMs?: number },
    private readonly logger: Logger,
  ) {}

  /** One `checkout` span per request, with the order id, item count, amount and outcome (no personal data). */
  checkout(request: CheckoutRequest): Promise<CheckoutResult> {
    return withSpan(SPAN_CHECKOUT, {}, async (span) => {
      try {
        await injectedDelay(this.options.injectDelayMs ?? 0); // calibration only (CART_INJECT_CHECKOUT_DELAY_MS)
        const result = await this.checkoutOnce(request, (order, itemCount) => {
          span.setAttributes({ [ATTR_CHECKOUT_ORDER_ID]: order.id, [ATTR_CHECKOUT_AMOUNT_CENTS]: order.amountCents });
          if (itemCount !== undefined) span.setAttribute(ATTR_CHECKOUT_ITEM_COUNT, itemCount);
        });
        span.setAttribute(ATTR_CHECKOUT_OUTCOME, result.status);
        businessMetrics.checkout(result.status);
        return result;
      } catch (error) {
        const outcome = outcomeOf(error);
        span.setAttribute(ATTR_CHECKOUT_OUTCOME, outcome);
        businessMetrics.checkout(outcome);
        throw error;
      }
    });
  }

  private async checkoutOnce(request: CheckoutRequest, seen: (order: Order, itemCount?: number) => void): Promise<CheckoutResult> {
    const fingerprint = fingerprintOf(request);
    const found = await this.orders.findForCheckout(request.idempotencyKey, request.cartId);
    const { order, claimed } = found.order ? { order: found.order, claimed: false } : await this.createOrder(request, found.cart, fingerprint, seen);
    if (found.order) seen(found.order);
    if (order.requestFingerprint !== fingerprint) {
      throw new StateError('idempotency_key_reused', 'this Idempotency-Key was already used for a different checkout request');
    }
    switch (order.status) {
      case 'paid':
      case 'declined':
        return resultOf(order);
      case 'failed':
        throw refused(order);
      case 'pending':
        return this.pay(order, claimed);
    }
  }

  /** A new pending order for the cart, holding its lease (`claimed`), or the order a concurrent request created with the same key. */
  private async createOrder(
    request: CheckoutRequest,
    cart: Cart | null,
    fingerprint: string,
    seen: (order: Order, itemCount?: number) => void,
  ): Promise<{ order: Order; claimed: boolean }> {
    if (!cart) throw new NotFoundError('cart');
    if (cart.status === 'checked_out') throw new StateError('cart_checked_out', 'this cart is already paid');
    if (cart.items.length === 0) throw new StateError('cart_empty', 'the cart has no items');
    const amountCents = totalCents(cart.items);
    // Checked before any order exists: the provider would refuse it, and the cart must stay usable.
    if (amountCents > MAX_TOTAL_CENTS) {
      throw new StateError('amount_too_large', `the cart's total exceeds ${MAX_TOTAL_CENTS} cents, the payment provider's limit`);
    }
    const created = await this.orders.create(
      {
        cartId: cart.id,
        userId: cart.userId,
        idempotencyKey: request.idempotencyKey,
        requestFingerprint: fingerprint,
        amountCents,
        currency: this.options.currency,
        paymentMethod: request.paymentMethod,
      },
      this.options.leaseMs,
    );
    switch (created.kind) {
      case 'created':
        seen(created.order, cart.items.length);
        return { order: created.order, claimed: true };
      case 'key_exists': {
        // A concurrent request with the same key won the insert.
        const existing = await this.orders.findByKey(request.idempotencyKey);
        if (!existing) throw new Error('order vanished after a duplicate-key insert');
        seen(existing);
        return { order: existing, claimed: false };
      }
      case 'cart_has_open_order':
        throw new StateError(
          'checkout_in_progress',
          'this cart already has an unfinished or paid checkout under another Idempotency-Key; retry with that key',
        );
    }
  }

  /** Pays a pending order; `claimed`: this request already holds its lease (it created the order). */
  private async pay(order: Order, claimed: boolean): Promise<CheckoutResult> {
    if (!claimed && !(await this.orders.claim(order.id, this.options.leaseMs))) {
      throw new StateError('checkout_in_progress', 'a checkout with this Idempotency-Key is in progress; retry shortly');
    }
    try {
      const outcome = await this.payment.authorize(paymentRequestFor(order));
      switch (outcome.kind) {
        case 'paid':
          await this.orders.markPaid(order.id, outcome.paymentId);
          this.logger.info({ orderId: order.id, paymentId: outcome.paymentId }, 'order paid');
          return resultOf({ ...order, status: 'paid', paymentId: outcome.paymentId });
        case 'declined':
          await this.orders.markDeclined(order.id, outcome.paymentId, outcome.declineCode);
          this.logger.info({ orderId: order.id, declineCode: outcome.declineCode }, 'order declined');
          return resultOf({ ...order, status: 'declined', paymentId: outcome.paymentId, declineCode: outcome.declineCode });
      }
    } catch (error) {
      if (error instanceof PaymentRefusedError) {
        // Final: no retry can fix it. The order ends `failed`, which frees the cart for a new key.
        await this.orders.markFailed(order.id, error.code);
        this.logger.info({ orderId: order.id, failureCode: error.code }, 'order failed');
        throw new StateError(error.code, error.message);
      }
      // Not paid: give up the lease so a retry with the same key can go ahead at once.
      await this.orders.release(order.id).catch(() => undefined);
      throw error;
    }
  }
}

/** What payment is asked to authorise (or resolve) for an order: the same fields and key every time. */
export function paymentRequestFor(order: Order): Parameters<PaymentAuthorizer['authorize']>[0] {
  return {
    orderId: order.id,
    userId: order.userId,
    amountCents: order.amountCents,
    currency: order.currency,
    paymentMethod: order.paymentMethod,
    idempotencyKey: order.idempotencyKey,
  };
}

function refused(order: Order): StateError {
  const code = order.failureCode ?? 'payment_rejected';
  switch (code) {
    case 'payment_method_invalid':
      return new StateError(code, 'this checkout failed: the payment provider does not know its payment method; check out again with another Idempotency-Key');
    case 'payment_rejected':
      return new StateError(code, 'this checkout failed: the payment provider rejected it; check out again with another Idempotency-Key');
    case 'payment_expired':
      return new StateError(code, 'this checkout expired before its payment completed and was not charged; check out again with another Idempotency-Key');
  }
}

function outcomeOf(error: unknown): CheckoutOutcome {
  if (error instanceof DependencyError) return error.kind === 'timeout' ? 'timeout' : 'unavailable';
  return 'error';
}

function fingerprintOf(request: CheckoutRequest): string {
  return createHash('sha256').update(JSON.stringify([request.cartId, request.paymentMethod])).digest('hex');
}

function resultOf(order: Order): CheckoutResult {
  return {
    orderId: order.id,
    status: order.status === 'paid' ? 'paid' : 'declined',
    paymentId: order.paymentId ?? '',
    ...(order.declineCode ? { declineCode: order.declineCode } : {}),
    amountCents: order.amountCents,
    currency: order.currency,
  };
}
