import { createHash } from 'node:crypto';
import type { AuthorizeRequest__Output, ResolvePaymentRequest__Output } from '@checkout-lab/contracts';
import type { Logger } from 'pino';
import {
  ATTR_PAYMENT_DECLINE_CODE,
  ATTR_PAYMENT_OUTCOME,
  ATTR_PAYMENT_RESOLUTION,
  ATTR_STRIPE_REQUEST_ID,
  SPAN_PAYMENT_AUTHORIZE,
  SPAN_PAYMENT_RESOLVE,
  businessMetrics,
  withSpan,
  type PaymentOutcome,
} from '@checkout-lab/telemetry';
import { BillingAddressLookup } from './billing-address.client';
import {
  IdempotencyMismatchError,
  InvalidPaymentRequestError,
  PaymentDeclinedError,
  PaymentExpiredError,
  PaymentInProgressError,
} from './payment.errors';
import type { CancelReason, LeasedPayment, NewPayment, Payment, PaymentsRepository } from './payments.repository';
import { PaymentGateway } from './stripe.gateway';

export interface AuthorizedPayment {
  paymentId: string;
  status: 'succeeded';
  stripePaymentIntentId: string;
}

/** What ResolvePayment and the reconciler make of a payment (see payment.proto). */
export type Resolution =
  | { status: 'succeeded'; paymentId: string; stripePaymentIntentId: string }
  | { status: 'declined'; paymentId: string; declineCode: string; stripePaymentIntentId: string | undefined }
  | { status: 'canceled'; paymentId: string; cancelReason: CancelReason }
  | { status: 'pending'; paymentId: string }
  /** Payment had no payment for the key; it now has one, released (`canceled`), so none can be charged. */
  | { status: 'unknown'; paymentId: string; cancelReason: CancelReason };

export interface PaymentsOptions {
  /** The payment-level lease: longer than the longest Authorize (config.ts derives it). */
  leaseMs: number;
  /**
   * How long after the end of its last attempt's lease a pending payment must stay untouched
   * before "Stripe has no PaymentIntent for it" is believed and it is released.
   */
  reconcileAfterMs: number;
}

/** Stripe's statuses that may still turn into a charge on their own: wait, decide nothing. */
const UNSETTLED_INTENT_STATUSES = new Set(['processing']);

/** Stripe's maximum amount for a charge, in the smallest currency unit. */
const MAX_AMOUNT_CENTS = 99_999_999;

/**
 * Authorises one order's payment: billing details from billing-address, then a Stripe charge,
 * recorded in payment's database. Idempotent by the checkout's key: a retry returns the first
 * final outcome, and an unfinished attempt is retried with the same Stripe idempotency keys.
 * Every attempt holds the payment's lease while it calls billing and Stripe, so the reconciler
 * (resolve*) never decides about a payment an attempt is working on.
 */
export class PaymentsService {
  constructor(
    private readonly payments: PaymentsRepository,
    private readonly billing: BillingAddressLookup,
    private readonly gateway: PaymentGateway,
    private readonly logger: Logger,
    private readonly options: PaymentsOptions,
  ) {}

  /** One `payment.authorize` span: outcome, decline code, Stripe request id (never billing details). */
  authorize(request: AuthorizeRequest__Output): Promise<AuthorizedPayment> {
    return withSpan(SPAN_PAYMENT_AUTHORIZE, {}, async (span) => {
      const record = (outcome: PaymentOutcome, declineCode?: string) => {
        span.setAttribute(ATTR_PAYMENT_OUTCOME, outcome);
        if (declineCode) span.setAttribute(ATTR_PAYMENT_DECLINE_CODE, declineCode);
        businessMetrics.payment(outcome);
      };
      try {
        const payment = await this.authorizeOnce(request, (requestId) => {
          if (requestId) span.setAttribute(ATTR_STRIPE_REQUEST_ID, requestId);
        });
        record('authorized');
        return payment;
      } catch (error) {
        if (error instanceof PaymentDeclinedError) record('declined', error.declineCode);
        else record('error');
        throw error;
      }
    }, { expected: (error) => error instanceof PaymentDeclinedError || error instanceof PaymentExpiredError });
  }

  /**
   * ResolvePayment: the outcome of this key's payment without ever starting a charge. A pending one
   * is resolved against Stripe under its lease (pending when someone holds it); a key never seen
   * is recorded released, so an Authorize arriving late with it gets payment_expired.
   */
  resolve(request: ResolvePaymentRequest__Output): Promise<Resolution> {
    return withSpan(SPAN_PAYMENT_RESOLVE, {}, async (span) => {
      validate(request);
      let payment = await this.payments.findByKey(request.idempotencyKey);
      if (!payment) {
        const released = await this.payments.recordReleased(newPayment(request), 'abandoned');
        if (released) {
          this.logger.info({ paymentId: released.id, orderId: request.orderId }, 'payment unknown: recorded as released');
          span.setAttribute(ATTR_PAYMENT_RESOLUTION, 'unknown');
          return { status: 'unknown', paymentId: released.id, cancelReason: 'abandoned' };
        }
        payment = await this.payments.findByKey(request.idempotencyKey); // an Authorize created it meanwhile
        if (!payment) throw new Error('payment vanished between insert and select');
      }
      if (payment.requestFingerprint !== fingerprint(request)) throw new IdempotencyMismatchError();
      const resolution = settledResolution(payment) ?? (await this.resolvePending(payment.id));
      span.setAttribute(ATTR_PAYMENT_RESOLUTION, resolution.status);
      return resolution;
    });
  }

  /** Resolves a pending payment if its lease is free; what it is now otherwise. */
  private async resolvePending(paymentId: string): Promise<Resolution> {
    const leased = await this.payments.acquire(paymentId, this.options.leaseMs, false);
    if (leased) return this.resolveLeased(leased);
    const current = await this.payments.get(paymentId);
    if (!current) throw new Error('payment vanished');
    return settledResolution(current) ?? { status: 'pending', paymentId };
  }

  /**
   * Decides a pending payment whose lease the caller holds (and gives the lease up): with no
   * PaymentMethod pinned it never reached Stripe and is released at once; otherwise Stripe is
   * asked for its PaymentIntents: succeeded → succeeded, another final status → declined (as
   * authorize), none → released, but only once the payment has been idle for longer than an
   * attempt's lease plus the reconcile threshold (Stripe's search index lags writes by up to
   * about a minute; a PaymentIntent request can be in flight until the lease ends).
   */
  async resolveLeased({ payment, lease }: LeasedPayment): Promise<Resolution> {
    const release = () => this.payments.release(payment.id, lease.token);
    const cancel = async (): Promise<Resolution> => {
      if (await this.payments.cancel(payment.id, lease.token, 'abandoned')) {
        this.logger.info({ paymentId: payment.id, orderId: payment.orderId, reason: 'abandoned' }, 'payment released unpaid');
        return { status: 'canceled', paymentId: payment.id, cancelReason: 'abandoned' };
      }
      // The lease ran out meanwhile: decide nothing; a later pass will.
      return { status: 'pending', paymentId: payment.id };
    };
    try {
      if (!payment.stripePaymentMethodId) return await cancel();
      const intents = await this.gateway.findPaymentIntents(payment.orderId, payment.id);
      const charged = intents.filter((intent) => intent.status === 'succeeded');
      const first = charged[0];
      if (first) {
        if (charged.length > 1) {
          this.logger.error({ paymentId: payment.id, orderId: payment.orderId, paymentIntents: charged.map((intent) => intent.id) }, 'more than one succeeded PaymentIntent for one payment');
        }
        await this.payments.markSucceeded(payment.id, first.id);
        this.logger.info({ paymentId: payment.id, orderId: payment.orderId, paymentIntent: first.id }, 'payment resolved: succeeded at Stripe');
        return { status: 'succeeded', paymentId: payment.id, stripePaymentIntentId: first.id };
      }
      if (intents.some((intent) => UNSETTLED_INTENT_STATUSES.has(intent.status))) {
        await release();
        return { status: 'pending', paymentId: payment.id };
      }
      const refused = intents[0];
      if (refused) {
        // As authorize: anything but succeeded (requires_payment_method after a decline, requires_action) is a decline.
        const declineCode = refused.status === 'requires_payment_method' ? (refused.declineCode ?? 'card_declined') : refused.status;
        await this.payments.markDeclined(payment.id, declineCode, refused.id);
        this.logger.info({ paymentId: payment.id, orderId: payment.orderId, declineCode }, 'payment resolved: declined at Stripe');
        return { status: 'declined', paymentId: payment.id, declineCode, stripePaymentIntentId: refused.id };
      }
      if (lease.idleMs <= this.options.leaseMs + this.options.reconcileAfterMs) {
        await release();
        return { status: 'pending', paymentId: payment.id };
      }
      return await cancel();
    } catch (error) {
      await release().catch(() => undefined);
      throw error;
    }
  }

  private async authorizeOnce(request: AuthorizeRequest__Output, stripeRequest: (id: string | undefined) => void): Promise<AuthorizedPayment> {
    validate(request);
    const found = await this.payments.findOrCreate(newPayment(request), this.options.leaseMs);
    if (found.payment.requestFingerprint !== fingerprint(request)) throw new IdempotencyMismatchError();
    let payment = found.payment;
    let lease = found.lease;
    if (!lease) {
      const settled = authorizedOrThrow(payment);
      if (settled) return settled;
      // Another attempt or the reconciler may be working on it: never two at once.
      const leased = await this.payments.acquire(payment.id, this.options.leaseMs, true);
      if (!leased) {
        const current = await this.payments.get(payment.id);
        const outcome = current && authorizedOrThrow(current);
        if (outcome) return outcome;
        throw new PaymentInProgressError();
      }
      ({ payment, lease } = leased);
    }
    try {
      return await this.charge(request, payment, stripeRequest);
    } catch (error) {
      // Not final: give up the lease so a retry with the same key can go ahead at once. The
      // reconciler's age clock still counts from this attempt (attempted_at), not from here.
      if (!(error instanceof PaymentDeclinedError)) await this.payments.release(payment.id, lease.token).catch(() => undefined);
      throw error;
    }
  }

  private async charge(request: AuthorizeRequest__Output, payment: Payment, stripeRequest: (id: string | undefined) => void): Promise<AuthorizedPayment> {
    // The PaymentMethod is fixed before the first PaymentIntent request, so every retry sends
    // Stripe the same parameters under the same key: a replay, never a second charge, even if the
    // billing address changed in between.
    let paymentMethodId = payment.stripePaymentMethodId;
    if (!paymentMethodId) {
      const billing = await this.billing.getBillingDetails(request.userId);
      const prepared = await this.gateway.preparePaymentMethod({
        paymentMethod: request.paymentMethod,
        billing,
        idempotencyKey: request.idempotencyKey,
      });
      paymentMethodId = await this.payments.pinPaymentMethod(payment.id, prepared);
    }
    const outcome = await this.gateway.charge({
      amountCents: request.amountCents,
      currency: request.currency,
      paymentMethodId,
      orderId: request.orderId,
      paymentId: payment.id,
      idempotencyKey: request.idempotencyKey,
    });
    stripeRequest(outcome.requestId);
    switch (outcome.kind) {
      case 'succeeded':
        await this.payments.markSucceeded(payment.id, outcome.paymentIntentId);
        this.logger.info({ paymentId: payment.id, orderId: request.orderId, stripeRequestId: outcome.requestId }, 'payment succeeded');
        return { paymentId: payment.id, status: 'succeeded', stripePaymentIntentId: outcome.paymentIntentId };
      case 'declined':
        await this.payments.markDeclined(payment.id, outcome.declineCode, outcome.paymentIntentId);
        this.logger.info(
          { paymentId: payment.id, orderId: request.orderId, declineCode: outcome.declineCode, stripeRequestId: outcome.requestId },
          'payment declined',
        );
        throw new PaymentDeclinedError(payment.id, outcome.declineCode);
    }
  }
}

/** A finished payment's answer to Authorize (a decline or a release is thrown); undefined while pending. */
function authorizedOrThrow(payment: Payment): AuthorizedPayment | undefined {
  switch (payment.status) {
    case 'succeeded':
      return { paymentId: payment.id, status: 'succeeded', stripePaymentIntentId: payment.stripePaymentIntentId ?? '' };
    case 'declined':
      throw new PaymentDeclinedError(payment.id, payment.declineCode ?? 'card_declined');
    case 'canceled':
      throw new PaymentExpiredError(payment.id, payment.cancelReason ?? 'abandoned');
    case 'pending':
      return undefined;
  }
}

/** A finished payment as a resolution; undefined while pending. */
function settledResolution(payment: Payment): Resolution | undefined {
  switch (payment.status) {
    case 'succeeded':
      return { status: 'succeeded', paymentId: payment.id, stripePaymentIntentId: payment.stripePaymentIntentId ?? '' };
    case 'declined':
      return {
        status: 'declined',
        paymentId: payment.id,
        declineCode: payment.declineCode ?? 'card_declined',
        stripePaymentIntentId: payment.stripePaymentIntentId ?? undefined,
      };
    case 'canceled':
      return { status: 'canceled', paymentId: payment.id, cancelReason: payment.cancelReason ?? 'abandoned' };
    case 'pending':
      return undefined;
  }
}

function newPayment(request: AuthorizeRequest__Output): NewPayment {
  return {
    idempotencyKey: request.idempotencyKey,
    requestFingerprint: fingerprint(request),
    orderId: request.orderId,
    userId: request.userId,
    amountCents: request.amountCents,
    currency: request.currency,
    paymentMethod: request.paymentMethod,
  };
}

/** Longest order or user id payment accepts. */
const MAX_ID_LENGTH = 200;

/**
 * Checks every field before anything is stored or sent: wrong types, lengths, NUL and other
 * control characters (PostgreSQL text cannot hold NUL) are INVALID_ARGUMENT, never INTERNAL.
 * Messages name the field, never quote its value.
 */
function validate(request: AuthorizeRequest__Output): void {
  const problems: string[] = [];
  const id = (value: unknown, field: string) => {
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${field} is required`);
    else if (value.length > MAX_ID_LENGTH) problems.push(`${field} must be at most ${MAX_ID_LENGTH} characters`);
    else if (hasControlCharacter(value)) problems.push(`${field} must not contain control characters`);
  };
  id(request.orderId, 'order_id');
  id(request.userId, 'user_id');
  if (typeof request.amountCents !== 'number' || !Number.isSafeInteger(request.amountCents) || request.amountCents <= 0 || request.amountCents > MAX_AMOUNT_CENTS) {
    problems.push(`amount_cents must be an integer from 1 to ${MAX_AMOUNT_CENTS}`);
  }
  if (typeof request.currency !== 'string' || !/^[a-z]{3}$/.test(request.currency)) problems.push('currency must be a lower-case ISO 4217 code');
  if (typeof request.paymentMethod !== 'string' || !/^(pm|tok)_[A-Za-z0-9_]{1,100}$/.test(request.paymentMethod)) {
    problems.push('payment_method must be a Stripe pm_ or tok_ id');
  }
  if (typeof request.idempotencyKey !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(request.idempotencyKey)) {
    problems.push('idempotency_key must be 1-255 printable ASCII characters');
  }
  if (problems.length) throw new InvalidPaymentRequestError(problems.join('; '));
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** What makes two requests "the same payment" for idempotency. */
export function fingerprint(request: AuthorizeRequest__Output): string {
  const { orderId, userId, amountCents, currency, paymentMethod } = request;
  return createHash('sha256').update(JSON.stringify([orderId, userId, amountCents, currency, paymentMethod])).digest('hex');
}
