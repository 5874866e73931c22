/**
 * The double's state and the behaviour of the endpoints it serves: PaymentMethods from test
 * tokens, PaymentIntents confirmed against Stripe's test cards. Parameters arrive decoded (form.ts);
 * failures are thrown as ApiError.
 */
import type Stripe from 'stripe';
import { cardDeclined, errors } from './errors';
import type { FormObject } from './form';
import {
  buildPaymentIntent,
  buildPaymentMethod,
  cardForTestPaymentMethod,
  cardForToken,
  declined,
  listObject,
  newId,
  succeeded,
  type BillingDetails,
  type TestCard,
} from './objects';
import { Params } from './params';
import { parseSearchQuery } from './search';

/** The double's knobs, applied by the API at the moments Stripe would spend time or fail. */
export interface ApiHooks {
  /** The card authorisation's latency. */
  authorisationDelay(): Promise<void>;
  paymentMethodDelay(): Promise<void>;
  /** True when this PaymentIntent create/confirm should fail with a 500 (nothing created). */
  injectFailure(): boolean;
}

interface StoredPaymentMethod {
  object: Stripe.PaymentMethod;
  card: TestCard;
}

/** A payment method named in a request, not yet created if it is a test id like `pm_card_visa`. */
type PaymentMethodRef = { stored: StoredPaymentMethod } | { card: TestCard };

const ADDRESS_FIELDS = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const;

export class StripeApi {
  private readonly paymentMethods = new Map<string, StoredPaymentMethod>();
  /** In creation order; lists are served newest first. */
  private readonly paymentIntents = new Map<string, Stripe.PaymentIntent>();
  private readonly confirming = new Set<string>();

  constructor(private readonly hooks: ApiHooks) {}

  async createPaymentMethod(form: FormObject): Promise<Stripe.PaymentMethod> {
    const params = Params.of(form, ['type', 'card', 'billing_details', 'metadata']);
    const type = params.requiredString('type');
    if (type !== 'card') {
      throw errors.parameterInvalid('type', `Invalid type: the Stripe API double supports only 'card' (got '${type}').`);
    }
    const cardParams = params.object('card', ['token']);
    if (!cardParams) throw errors.parameterMissing('card');
    const token = cardParams.requiredString('token');
    const card = cardForToken(token);
    if (!card) throw errors.noSuchParam('token', token, cardParams.name('token'));
    const billing = billingDetails(params);
    const metadata = params.stringMap('metadata');
    await this.hooks.paymentMethodDelay();
    return this.storePaymentMethod(card, billing, metadata).object;
  }

  retrievePaymentMethod(id: string, query: FormObject): Stripe.PaymentMethod {
    Params.of(query, []);
    const testCard = cardForTestPaymentMethod(id);
    if (testCard) return this.storePaymentMethod(testCard, emptyBillingDetails(), {}).object;
    const stored = this.paymentMethods.get(id);
    if (!stored) throw errors.noSuchResource('PaymentMethod', id, 'payment_method');
    return stored.object;
  }

  async createPaymentIntent(form: FormObject): Promise<Stripe.PaymentIntent> {
    const params = Params.of(form, [
      'amount',
      'currency',
      'payment_method',
      'payment_method_types',
      'allowed_payment_method_types',
      'automatic_payment_methods',
      'confirm',
      'metadata',
      'description',
      'receipt_email',
      'return_url',
      'off_session',
      'error_on_requires_action',
    ]);
    const amount = params.requiredInteger('amount', 1);
    const currency = params.requiredString('currency');
    if (!/^[a-zA-Z]{3}$/.test(currency)) throw errors.parameterInvalid('currency', `Invalid currency: ${currency}.`);
    const types = paymentMethodTypes(params);
    const automaticPaymentMethods = automaticPaymentMethodsOf(params);
    const paymentMethodId = params.string('payment_method');
    const ref = paymentMethodId === null ? null : this.findPaymentMethod(paymentMethodId);
    const confirm = params.boolean('confirm', false);
    params.boolean('off_session', false);
    params.boolean('error_on_requires_action', false);
    if (confirm && !ref) throw errors.parameterMissing('payment_method');
    const metadata = params.stringMap('metadata');
    const description = params.string('description');
    const receiptEmail = params.string('receipt_email');

    if (confirm) await this.hooks.authorisationDelay();
    if (this.hooks.injectFailure()) throw errors.injected();

    const paymentMethod = ref ? this.materialise(ref) : null;
    const intent = buildPaymentIntent({
      amount,
      currency: currency.toLowerCase(),
      paymentMethod: paymentMethod?.object.id ?? null,
      paymentMethodTypes: types.list,
      allowedPaymentMethodTypes: types.allowed,
      automaticPaymentMethods,
      metadata,
      description,
      receiptEmail,
    });
    this.paymentIntents.set(intent.id, intent);
    return paymentMethod && confirm ? this.authorise(intent, paymentMethod) : intent;
  }

  retrievePaymentIntent(id: string, query: FormObject): Stripe.PaymentIntent {
    Params.of(query, ['client_secret']);
    return this.getPaymentIntent(id);
  }

  async confirmPaymentIntent(id: string, form: FormObject): Promise<Stripe.PaymentIntent> {
    const intent = this.getPaymentIntent(id);
    const params = Params.of(form, [
      'payment_method',
      'allowed_payment_method_types',
      'receipt_email',
      'return_url',
      'off_session',
      'error_on_requires_action',
    ]);
    paymentMethodTypes(params);
    const paymentMethodId = params.string('payment_method') ?? (typeof intent.payment_method === 'string' ? intent.payment_method : null);
    const ref = paymentMethodId === null ? null : this.findPaymentMethod(paymentMethodId);
    params.boolean('off_session', false);
    params.boolean('error_on_requires_action', false);
    const receiptEmail = params.string('receipt_email');
    this.assertConfirmable(intent);
    if (!ref) {
      throw errors.unexpectedState(
        "You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent with a payment method and then confirm it again.",
        intent,
      );
    }

    // Stripe locks a PaymentIntent while confirming it: a concurrent confirm is refused (retryable).
    if (this.confirming.has(id)) throw errors.lockTimeout();
    this.confirming.add(id);
    try {
      await this.hooks.authorisationDelay();
      if (this.hooks.injectFailure()) throw errors.injected();
    } finally {
      this.confirming.delete(id);
    }
    const current = this.getPaymentIntent(id);
    this.assertConfirmable(current);
    const updated = receiptEmail === null ? current : { ...current, receipt_email: receiptEmail };
    return this.authorise(updated, this.materialise(ref));
  }

  listPaymentIntents(query: FormObject): Stripe.ApiList<Stripe.PaymentIntent> {
    const params = Params.of(query, ['limit', 'starting_after', 'ending_before', 'created']);
    const limit = params.integer('limit', 10, 1, 100);
    const startingAfter = params.string('starting_after');
    const endingBefore = params.string('ending_before');
    if (startingAfter !== null && endingBefore !== null) {
      throw errors.parameterInvalid('ending_before', 'You may only specify one of these parameters: ending_before, starting_after.');
    }
    const created = createdFilter(params);
    const newestFirst = [...this.paymentIntents.values()].reverse().filter((intent) => created(intent.created));
    const indexOf = (cursor: string, param: string): number => {
      const index = newestFirst.findIndex((intent) => intent.id === cursor);
      if (index === -1) throw errors.noSuchParam('payment_intent', cursor, param);
      return index;
    };
    let page: Stripe.PaymentIntent[];
    let hasMore: boolean;
    if (endingBefore !== null) {
      const end = indexOf(endingBefore, 'ending_before');
      const start = Math.max(0, end - limit);
      page = newestFirst.slice(start, end);
      hasMore = start > 0;
    } else {
      const start = startingAfter === null ? 0 : indexOf(startingAfter, 'starting_after') + 1;
      page = newestFirst.slice(start, start + limit);
      hasMore = start + limit < newestFirst.length;
    }
    return listObject('/v1/payment_intents', page, hasMore);
  }

  /**
   * `GET /v1/payment_intents/search`: Stripe's search-result shape, newest first, paged by the
   * opaque `next_page` token. Unlike Stripe's index (which can lag writes by about a minute) the
   * double's results are current at once.
   */
  searchPaymentIntents(form: FormObject): Stripe.ApiSearchResult<Stripe.PaymentIntent> {
    const params = Params.of(form, ['query', 'limit', 'page']);
    const matches = parseSearchQuery(params.requiredString('query'));
    const limit = params.integer('limit', 10, 1, 100);
    const page = params.string('page');
    const offset = page === null ? 0 : pageOffset(page);
    const found = [...this.paymentIntents.values()].reverse().filter(matches);
    const data = found.slice(offset, offset + limit);
    const hasMore = offset + limit < found.length;
    return {
      object: 'search_result',
      data,
      has_more: hasMore,
      next_page: hasMore ? `page_${Buffer.from(String(offset + limit)).toString('base64url')}` : null,
      url: '/v1/payment_intents/search',
    };
  }

  counts(): { paymentMethods: number; paymentIntentsByStatus: Record<string, number> } {
    const byStatus: Record<string, number> = {};
    for (const intent of this.paymentIntents.values()) byStatus[intent.status] = (byStatus[intent.status] ?? 0) + 1;
    return { paymentMethods: this.paymentMethods.size, paymentIntentsByStatus: byStatus };
  }

  private getPaymentIntent(id: string): Stripe.PaymentIntent {
    const intent = this.paymentIntents.get(id);
    if (!intent) throw errors.noSuchResource('payment_intent', id, 'intent');
    return intent;
  }

  private assertConfirmable(intent: Stripe.PaymentIntent): void {
    switch (intent.status) {
      case 'requires_payment_method':
      case 'requires_confirmation':
      case 'requires_action':
        return;
      case 'succeeded':
        throw errors.unexpectedState(
          'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.',
          intent,
        );
      default:
        throw errors.unexpectedState(`You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`, intent);
    }
  }

  private findPaymentMethod(id: string): PaymentMethodRef {
    const stored = this.paymentMethods.get(id);
    if (stored) return { stored };
    const card = cardForTestPaymentMethod(id);
    if (card) return { card };
    throw errors.noSuchParam('PaymentMethod', id, 'payment_method');
  }

  /** A test id such as `pm_card_visa` becomes a new PaymentMethod, as on Stripe. */
  private materialise(ref: PaymentMethodRef): StoredPaymentMethod {
    return 'stored' in ref ? ref.stored : this.storePaymentMethod(ref.card, emptyBillingDetails(), {});
  }

  private storePaymentMethod(card: TestCard, billing: BillingDetails, metadata: Record<string, string>): StoredPaymentMethod {
    const stored = { object: buildPaymentMethod(card, billing, metadata), card };
    this.paymentMethods.set(stored.object.id, stored);
    return stored;
  }

  /** Runs the test card's outcome; a decline stores the PaymentIntent and throws the 402. */
  private authorise(intent: Stripe.PaymentIntent, paymentMethod: StoredPaymentMethod): Stripe.PaymentIntent {
    const charge = newId('ch');
    const decline = paymentMethod.card.decline;
    if (!decline) {
      const result = succeeded(intent, paymentMethod.object.id, charge);
      this.paymentIntents.set(result.id, result);
      return result;
    }
    const result = declined(intent, paymentMethod.object, charge, decline);
    this.paymentIntents.set(result.id, result);
    throw cardDeclined({
      declineCode: decline.declineCode,
      message: decline.message,
      charge,
      paymentIntent: result,
      paymentMethod: paymentMethod.object,
    });
  }
}

/**
 * `allowed_payment_method_types` is the name in current API versions (and the SDK's types);
 * `payment_method_types` the older one. Only `card` is supported.
 */
function paymentMethodTypes(params: Params): { list: string[]; allowed: Stripe.PaymentIntent.AllowedPaymentMethodType[] | null } {
  const allowed = params.stringList('allowed_payment_method_types');
  const legacy = params.stringList('payment_method_types');
  if (allowed && legacy) {
    throw errors.parameterInvalid(
      'payment_method_types',
      'You may only specify one of these parameters: allowed_payment_method_types, payment_method_types.',
      'parameters_exclusive',
    );
  }
  const list = allowed ?? legacy ?? ['card'];
  const unsupported = list.find((type) => type !== 'card');
  if (unsupported !== undefined || list.length === 0) {
    throw errors.parameterInvalid(
      params.name(allowed ? 'allowed_payment_method_types' : 'payment_method_types'),
      `The payment method type "${unsupported ?? ''}" is invalid. The Stripe API double supports only "card".`,
    );
  }
  return { list, allowed: allowed ? ['card'] : null };
}

/** `created=N` or `created[gt|gte|lt|lte]=N` (Unix seconds), as Stripe's list filters take it. */
function createdFilter(params: Params): (created: number) => boolean {
  if (!params.has('created')) return () => true;
  const exact = params.plainString('created');
  if (exact !== undefined) {
    const value = params.requiredInteger('created', 0);
    return (created) => created === value;
  }
  const range = params.object('created', ['gt', 'gte', 'lt', 'lte']);
  if (!range) return () => true;
  const bound = (key: string) => (range.string(key) === null ? null : range.requiredInteger(key, 0));
  const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')];
  return (created) =>
    (gt === null || created > gt) && (gte === null || created >= gte) && (lt === null || created < lt) && (lte === null || created <= lte);
}

function pageOffset(page: string): number {
  const match = /^page_([A-Za-z0-9_-]+)$/.exec(page);
  const offset = match?.[1] ? Number(Buffer.from(match[1], 'base64url').toString()) : NaN;
  if (!Number.isSafeInteger(offset) || offset < 0) throw errors.parameterInvalid('page', `Invalid page: ${page}`);
  return offset;
}

function automaticPaymentMethodsOf(params: Params): Stripe.PaymentIntent.AutomaticPaymentMethods | null {
  const automatic = params.object('automatic_payment_methods', ['enabled', 'allow_redirects']);
  if (!automatic) return null;
  const enabled = automatic.boolean('enabled', false);
  const allowRedirects = automatic.string('allow_redirects');
  if (allowRedirects !== null && allowRedirects !== 'always' && allowRedirects !== 'never') {
    throw errors.parameterInvalid(automatic.name('allow_redirects'), `Invalid allow_redirects: must be one of always, never`);
  }
  return { enabled, ...(allowRedirects === null ? {} : { allow_redirects: allowRedirects }) };
}

function billingDetails(params: Params): BillingDetails {
  const billing = params.object('billing_details', ['name', 'email', 'phone', 'address', 'tax_id']);
  if (!billing) return emptyBillingDetails();
  const address = billing.object('address', ADDRESS_FIELDS);
  return {
    address: address
      ? {
          city: address.string('city'),
          country: address.string('country'),
          line1: address.string('line1'),
          line2: address.string('line2'),
          postal_code: address.string('postal_code'),
          state: address.string('state'),
        }
      : emptyAddress(),
    email: billing.string('email'),
    name: billing.string('name'),
    phone: billing.string('phone'),
    tax_id: billing.string('tax_id'),
  };
}

function emptyAddress(): NonNullable<BillingDetails['address']> {
  return { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
}

function emptyBillingDetails(): BillingDetails {
  return { address: emptyAddress(), email: null, name: null, phone: null, tax_id: null };
}
