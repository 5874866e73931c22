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

    const billing = await this.billing.getBillingDetails(request.userId);
    const outcome = await this.gateway.charge({
      amountCents: request.amountCents,
      currency: request.currency,
      paymentMethod: request.paymentMethod,
      billing,
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

function validate(request: AuthorizeRequest__Output): void {
  const problems: string[] = [];
  if (!request.orderId) problems.push('order_id is required');
  if (!request.userId) problems.push('user_id is required');
  if (!Number.isSafeInteger(request.amountCents) || request.amountCents <= 0 || request.amountCents > MAX_AMOUNT_CENTS) {
    problems.push(`amount_cents must be an integer from 1 to ${MAX_AMOUNT_CENTS}`);
  }
  if (!/^[a-z]{3}$/.test(request.currency)) problems.push('currency must be a lower-case ISO 4217 code');
  if (!/^(pm|tok)_[A-Za-z0-9_]+$/.test(request.paymentMethod)) problems.push('payment_method must be a Stripe pm_ or tok_ id');
  if (!request.idempotencyKey || request.idempotencyKey.length > 255) problems.push('idempotency_key must be 1-255 characters');
  if (problems.length) throw new InvalidPaymentRequestError(problems.join('; '));
}

/** What makes two requests "the same payment" for idempotency. */
function fingerprint(request: AuthorizeRequest__Output): string {
  const { orderId, userId, amountCents, currency, paymentMethod } = request;
  return createHash('sha256').update(JSON.stringify([orderId, userId, amountCents, currency, paymentMethod])).digest('hex');
}
