import { createHash } from 'node:crypto';
import type { AuthorizeRequest__Output } from '@checkout-lab/contracts';
import type { Logger } from 'pino';
import { businessMetrics, withSpan, type PaymentOutcome } from '@checkout-lab/telemetry';
import { BillingAddressLookup } from './billing-address.client';
import { IdempotencyMismatchError, InvalidPaymentRequestError, PaymentDeclinedError } from './payment.errors';
import type { PaymentsRepository } from './payments.repository';
import { PaymentGateway } from './stripe.gateway';

export interface AuthorizedPayment {
  paymentId: string;
  status: 'succeeded';
  stripePaymentIntentId: string;
}

/** Stripe's maximum amount for a charge, in the smallest currency unit. */
const MAX_AMOUNT_CENTS = 99_999_999;

/**
 * Authorises one order's payment: billing details from billing-address, then a Stripe charge,
 * recorded in payment's database. Idempotent by the checkout's key: a retry returns the first
 * final outcome, and an unfinished attempt is retried with the same Stripe idempotency keys.
 */
export class PaymentsService {
  constructor(
    private readonly payments: PaymentsRepository,
    private readonly billing: BillingAddressLookup,
    private readonly gateway: PaymentGateway,
    private readonly logger: Logger,
  ) {}

  /** One `payment.authorize` span: outcome, decline code, Stripe request id (never billing details). */
  authorize(request: AuthorizeRequest__Output): Promise<AuthorizedPayment> {
    return withSpan('payment.authorize', {}, async (span) => {
      const record = (outcome: PaymentOutcome, declineCode?: string) => {
        span.setAttribute('payment.outcome', outcome);
        if (declineCode) span.setAttribute('payment.decline_code', declineCode);
        businessMetrics.payment(outcome);
      };
      try {
        const payment = await this.authorizeOnce(request, (requestId) => {
          if (requestId) span.setAttribute('stripe.request_id', requestId);
        });
        record('authorized');
        return payment;
      } catch (error) {
        if (error instanceof PaymentDeclinedError) record('declined', error.declineCode);
        else record('error');
        throw error;
      }
    }, { expected: (error) => error instanceof PaymentDeclinedError });
  }

  private async authorizeOnce(request: AuthorizeRequest__Output, stripeRequest: (id: string | undefined) => void): Promise<AuthorizedPayment> {
    validate(request);
    const payment = await this.payments.findOrCreate({
      idempotencyKey: request.idempotencyKey,
      requestFingerprint: fingerprint(request),
      orderId: request.orderId,
      userId: request.userId,
      amountCents: request.amountCents,
      currency: request.currency,
      paymentMethod: request.paymentMethod,
    });
    if (payment.requestFingerprint !== fingerprint(request)) throw new IdempotencyMismatchError();
    switch (payment.status) {
      case 'succeeded':
        return { paymentId: payment.id, status: 'succeeded', stripePaymentIntentId: payment.stripePaymentIntentId ?? '' };
      case 'declined':
        throw new PaymentDeclinedError(payment.id, payment.declineCode ?? 'card_declined');
      case 'pending':
        break;
    }

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
function fingerprint(request: AuthorizeRequest__Output): string {
  const { orderId, userId, amountCents, currency, paymentMethod } = request;
  return createHash('sha256').update(JSON.stringify([orderId, userId, amountCents, currency, paymentMethod])).digest('hex');
}
