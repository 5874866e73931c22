/**
 * Stripe's test cards and the API objects the double returns. The builders are typed against the
 * official SDK's types, so a missing or misspelt field of the shapes we include fails to compile.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Stripe from 'stripe';

export type Decline = { declineCode: string; message: string };

export interface TestCard {
  /** Stripe's name: `tok_<name>` is its token, `pm_card_<name>` its test PaymentMethod. */
  name: string;
  last4: string;
  decline: Decline | null;
}

const TEST_CARDS: readonly TestCard[] = [
  { name: 'visa', last4: '4242', decline: null },
  { name: 'chargeDeclined', last4: '0002', decline: { declineCode: 'generic_decline', message: 'Your card was declined.' } },
  {
    name: 'chargeDeclinedInsufficientFunds',
    last4: '9995',
    decline: { declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
];

export function cardForToken(token: string): TestCard | undefined {
  return TEST_CARDS.find((card) => `tok_${card.name}` === token);
}

export function cardForTestPaymentMethod(id: string): TestCard | undefined {
  return TEST_CARDS.find((card) => `pm_card_${card.name}` === id);
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `pi_` + 24 base-62 characters, like Stripe's ids. */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let id = `${prefix}_`;
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

export type BillingDetails = Stripe.PaymentMethod.BillingDetails;

export function buildPaymentMethod(card: TestCard, billing: BillingDetails, metadata: Record<string, string>): Stripe.PaymentMethod {
  return {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: billing,
    card: {
      brand: 'visa',
      checks: {
        address_line1_check: billing.address?.line1 ? 'pass' : null,
        address_postal_code_check: billing.address?.postal_code ? 'pass' : null,
        cvc_check: null,
      },
      country: 'US',
      display_brand: 'visa',
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 1,
      fingerprint: createHash('sha256').update(card.name).digest('base64url').slice(0, 16),
      funding: 'credit',
      generated_from: null,
      last4: card.last4,
      networks: { available: ['visa'], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: unixNow(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata,
    type: 'card',
  };
}

export interface PaymentIntentInput {
  amount: number;
  currency: string;
  paymentMethod: string | null;
  paymentMethodTypes: string[];
  allowedPaymentMethodTypes: Stripe.PaymentIntent.AllowedPaymentMethodType[] | null;
  automaticPaymentMethods: Stripe.PaymentIntent.AutomaticPaymentMethods | null;
  metadata: Record<string, string>;
  description: string | null;
  receiptEmail: string | null;
}

export function buildPaymentIntent(input: PaymentIntentInput): Stripe.PaymentIntent {
  const id = newId('pi');
  return {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: input.allowedPaymentMethodTypes,
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: input.automaticPaymentMethods,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${newId('x').slice(2)}`,
    confirmation_method: 'automatic',
    created: unixNow(),
    currency: input.currency,
    customer: null,
    customer_account: null,
    description: input.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: input.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: input.paymentMethodTypes,
    payment_record: null,
    processing: null,
    receipt_email: input.receiptEmail,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

/** The PaymentIntent after a successful authorisation and (automatic) capture. */
export function succeeded(intent: Stripe.PaymentIntent, paymentMethod: string, charge: string): Stripe.PaymentIntent {
  return {
    ...intent,
    amount_received: intent.amount,
    last_payment_error: null,
    latest_charge: charge,
    payment_method: paymentMethod,
    status: 'succeeded',
  };
}

/** The PaymentIntent after a decline: the failed PaymentMethod is detached, as on Stripe. */
export function declined(
  intent: Stripe.PaymentIntent,
  paymentMethod: Stripe.PaymentMethod,
  charge: string,
  decline: Decline,
): Stripe.PaymentIntent {
  return {
    ...intent,
    last_payment_error: {
      charge,
      code: 'card_declined',
      decline_code: decline.declineCode,
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      message: decline.message,
      payment_method: paymentMethod,
      type: 'card_error',
    },
    latest_charge: charge,
    payment_method: null,
    status: 'requires_payment_method',
  };
}

export function listObject<T>(url: string, data: T[], hasMore: boolean): Stripe.ApiList<T> {
  return { object: 'list', data, has_more: hasMore, url };
}
