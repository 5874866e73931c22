import { createHash } from 'node:crypto';
import Stripe from 'stripe';
import type { BillingDetails } from './billing-address.client';
import { DependencyTimeoutError, DependencyUnavailableError, PaymentInProgressError, PaymentRejectedError } from './payment.errors';

export interface PaymentMethodRequest {
  /** A Stripe test PaymentMethod (`pm_card_visa`), a card token (`tok_visa`) or a saved PaymentMethod id. */
  paymentMethod: string;
  billing: BillingDetails;
  /** Stripe's idempotency keys for this payment are derived from it. */
  idempotencyKey: string;
}

export interface ChargeRequest {
  amountCents: number;
  currency: string;
  /** The PaymentMethod to charge, as preparePaymentMethod returned it. */
  paymentMethodId: string;
  orderId: string;
  /** Payment's own id, carried in the PaymentIntent's metadata beside the order id. */
  paymentId: string;
  /** Stripe's idempotency keys for this payment are derived from it. */
  idempotencyKey: string;
}

/** What Stripe holds of a PaymentIntent created for an order. */
export interface FoundPaymentIntent {
  id: string;
  /** Stripe's status: `succeeded`, `requires_payment_method` (declined), `processing`, … */
  status: string;
  /** For a declined one: the decline code of its last payment error. */
  declineCode: string | undefined;
}

export type ChargeOutcome =
  | { kind: 'succeeded'; paymentIntentId: string; requestId: string | undefined }
  | { kind: 'declined'; paymentIntentId: string | undefined; declineCode: string; requestId: string | undefined };

/** Port: the payment provider. */
export abstract class PaymentGateway {
  /** The PaymentMethod, carrying the billing details, that the charge will use. Charges nothing. */
  abstract preparePaymentMethod(request: PaymentMethodRequest): Promise<string>;
  /** Creates and confirms the charge; the same request again (same key, same parameters) never charges twice. */
  abstract charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /**
   * The PaymentIntents created for this order by this payment (or, created before payment recorded
   * its id in the metadata, for the order alone). Creates nothing. May lag the latest writes.
   */
  abstract findPaymentIntents(orderId: string, paymentId: string): Promise<FoundPaymentIntent[]>;
}

/**
 * Stripe through the official SDK. The billing details travel on a PaymentMethod created from
 * the card (Stripe keeps billing details on the PaymentMethod), then a PaymentIntent is created
 * and confirmed with it. Both calls carry idempotency keys derived from the checkout's key, so
 * a retry after a timeout never charges twice. Works unchanged against the lab's Stripe double,
 * stripe-mock, or Stripe's test mode: only STRIPE_API_BASE and STRIPE_SECRET_KEY differ.
 */
export class StripePaymentGateway extends PaymentGateway {
  private readonly stripe: Stripe;

  constructor(options: { apiBase: URL; secretKey: string; timeoutMs: number; maxNetworkRetries: number }) {
    super();
    const protocol = options.apiBase.protocol === 'http:' ? 'http' : 'https';
    this.stripe = new Stripe(options.secretKey, {
      host: options.apiBase.hostname,
      port: options.apiBase.port || (protocol === 'http' ? 80 : 443),
      protocol,
      timeout: options.timeoutMs,
      maxNetworkRetries: options.maxNetworkRetries,
      telemetry: false,
      // The API version this stripe SDK is typed for: an SDK upgrade fails the typecheck here until the version is chosen on purpose.
      apiVersion: '2026-10-28.endive',
      appInfo: { name: 'checkout-tracing-lab/payment' },
    });
  }

  async preparePaymentMethod(request: PaymentMethodRequest): Promise<string> {
    try {
      return await this.paymentMethodWithBilling(request);
    } catch (error) {
      throw translate(error);
    }
  }

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amountCents,
          currency: request.currency,
          payment_method: request.paymentMethodId,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          confirm: true,
          metadata: { order_id: request.orderId, payment_id: request.paymentId },
        },
        { idempotencyKey: stripeIdempotencyKey(request.idempotencyKey, 'pi') },
      );
      if (intent.status !== 'succeeded') {
        // requires_action (3-D Secure) cannot be completed server-side: treat as a decline.
        return { kind: 'declined', paymentIntentId: intent.id, declineCode: intent.status, requestId: intent.lastResponse?.requestId };
      }
      return { kind: 'succeeded', paymentIntentId: intent.id, requestId: intent.lastResponse?.requestId };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) {
        return {
          kind: 'declined',
          paymentIntentId: error.payment_intent?.id,
          declineCode: error.decline_code ?? error.code ?? 'card_declined',
          requestId: error.requestId,
        };
      }
      throw translate(error);
    }
  }

  /**
   * Stripe's search API by the order id in the metadata. Real Stripe's search index can lag writes
   * by about a minute, so "nothing found" is only trusted for a payment idle longer than that
   * (PaymentsService's age rule); the Stripe double's index is current at once.
   */
  async findPaymentIntents(orderId: string, paymentId: string): Promise<FoundPaymentIntent[]> {
    const found: FoundPaymentIntent[] = [];
    try {
      const search = this.stripe.paymentIntents.search({ query: `metadata['order_id']:'${searchQuoted(orderId)}'`, limit: 100 });
      for await (const intent of search) {
        const owner = intent.metadata['payment_id'];
        if (owner !== undefined && owner !== paymentId) continue;
        found.push({
          id: intent.id,
          status: intent.status,
          declineCode: intent.last_payment_error?.decline_code ?? intent.last_payment_error?.code ?? undefined,
        });
        if (found.length >= 1000) break;
      }
    } catch (error) {
      throw translate(error);
    }
    return found;
  }

  /**
   * Test PaymentMethods (`pm_card_<brand>`) and tokens become a PaymentMethod carrying the billing
   * details. Its idempotency key includes a fingerprint of those parameters: a retry after the
   * user changed their address creates another PaymentMethod (which charges nothing) instead of
   * failing forever with Stripe's idempotency_error.
   */
  private async paymentMethodWithBilling(request: PaymentMethodRequest): Promise<string> {
    const token = cardToken(request.paymentMethod);
    if (!token) return request.paymentMethod;
    const { billing } = request;
    const params: Stripe.PaymentMethodCreateParams = {
      type: 'card',
      card: { token },
      billing_details: {
        name: billing.name,
        email: billing.email || undefined,
        address: {
          line1: billing.line1,
          line2: billing.line2 || undefined,
          city: billing.city,
          state: billing.state || undefined,
          postal_code: billing.postalCode,
          country: billing.country,
        },
      },
    };
    const fingerprint = createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 16);
    const created = await this.stripe.paymentMethods.create(params, {
      idempotencyKey: stripeIdempotencyKey(request.idempotencyKey, `pm:${fingerprint}`),
    });
    return created.id;
  }
}

/**
 * Stripe's idempotency key for one step of a payment: `<checkout key>:<step>`, or, when that
 * would pass Stripe's 255 characters, the SHA-256 of the checkout key in its place.
 */
export function stripeIdempotencyKey(checkoutKey: string, step: string): string {
  const plain = `${checkoutKey}:${step}`;
  return plain.length <= 255 ? plain : `${createHash('sha256').update(checkoutKey).digest('hex')}:${step}`;
}

/** A value inside a single-quoted search-query string: backslash and quote escaped. */
export function searchQuoted(value: string): string {
  return value.replace(/[\\']/g, (char) => `\\${char}`);
}

/** `pm_card_visa` → `tok_visa` (Stripe names its test PaymentMethods after its test tokens). */
export function cardToken(paymentMethod: string): string | undefined {
  if (paymentMethod.startsWith('tok_')) return paymentMethod;
  if (paymentMethod.startsWith('pm_card_')) return `tok_${paymentMethod.slice('pm_card_'.length)}`;
  return undefined;
}

function translate(error: unknown): Error {
  if (error instanceof Stripe.errors.StripeConnectionError) {
    return /timed? ?out/i.test(error.message) ? new DependencyTimeoutError('stripe') : new DependencyUnavailableError('stripe');
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) return new DependencyUnavailableError('stripe', 'is rate limiting us');
  if (error instanceof Stripe.errors.StripeAPIError) return new DependencyUnavailableError('stripe', 'returned a server error');
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    if (error.code === 'idempotency_key_in_use') return new PaymentInProgressError();
    return new DependencyUnavailableError('stripe', 'refused the idempotency key (a concurrent or changed retry)');
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    // A 4xx about the request itself: the same request will always fail, so it is final.
    const aboutPaymentMethod =
      error.code === 'resource_missing' && /payment_method|token/.test(error.param ?? '');
    return new PaymentRejectedError(aboutPaymentMethod ? 'payment_method_invalid' : 'payment_rejected', error.code);
  }
  if (error instanceof Stripe.errors.StripeError) {
    return new DependencyUnavailableError('stripe', `rejected the request (${error.type})`);
  }
  return new DependencyUnavailableError('stripe', 'failed');
}
