/**
 * Stripe's error objects (`{ error: { type, code?, message, param?, ... } }`) and the HTTP
 * statuses Stripe sends them with, so that the SDK raises the matching `Stripe*Error` class.
 */

export type StripeErrorType = 'invalid_request_error' | 'card_error' | 'api_error' | 'idempotency_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: unknown;
  payment_method?: unknown;
}

/**
 * An error response. `saved` says whether an idempotency key keeps it for replay: Stripe saves a
 * result only once the endpoint started executing, so validation failures and the double's
 * injected 500s (which create nothing) are not saved, and a retry with the same key runs anew.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly saved = true,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
}

function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}

function invalidParam(code: string, param: string, message: string): ApiError {
  return new ApiError(400, { type: 'invalid_request_error', code, doc_url: docUrl(code), message, param }, false);
}

export const errors = {
  parameterMissing: (param: string) => invalidParam('parameter_missing', param, `Missing required param: ${param}.`),
  parameterUnknown: (param: string) =>
    invalidParam('parameter_unknown', param, `Received unknown parameter: ${param}`),
  parameterInvalid: (param: string, message: string, code = 'parameter_invalid') => invalidParam(code, param, message),

  invalidBody: (message: string) => new ApiError(400, { type: 'invalid_request_error', message }, false),

  /** An id given as a parameter that names nothing (400), as Stripe answers for `payment_method`. */
  noSuchParam: (resource: string, id: string, param: string) =>
    invalidParam('resource_missing', param, `No such ${resource}: '${id}'`),

  /** An id in the URL that names nothing. */
  noSuchResource: (resource: string, id: string, param: string) =>
    new ApiError(
      404,
      { type: 'invalid_request_error', code: 'resource_missing', doc_url: docUrl('resource_missing'), message: `No such ${resource}: '${id}'`, param },
      false,
    ),

  unrecognizedUrl: (method: string, path: string) =>
    new ApiError(
      404,
      {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      },
      false,
    ),

  noApiKey: () =>
    new ApiError(
      401,
      {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      },
      false,
    ),

  invalidApiKey: (key: string) =>
    new ApiError(
      401,
      {
        type: 'invalid_request_error',
        message: `Invalid API Key provided: ${redact(key)}. The Stripe API double accepts test mode secret keys (sk_test_...) only.`,
      },
      false,
    ),

  unexpectedState: (message: string, paymentIntent: unknown) =>
    new ApiError(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      doc_url: docUrl('payment_intent_unexpected_state'),
      message,
      payment_intent: paymentIntent,
    }),

  idempotencyMismatch: (key: string) =>
    new ApiError(
      400,
      {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      },
      false,
    ),

  idempotencyEndpointMismatch: (key: string, first: string, now: string) =>
    new ApiError(
      400,
      {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${first}' vs '${now}'). Try using a key other than '${key}' if you meant to execute a different request.`,
      },
      false,
    ),

  idempotencyKeyTooLong: () =>
    new ApiError(
      400,
      { type: 'invalid_request_error', message: 'Idempotency-Key is too long: it must be at most 255 characters.' },
      false,
    ),

  idempotencyKeyInUse: (key: string) =>
    new ApiError(
      409,
      {
        type: 'idempotency_error',
        code: 'idempotency_key_in_use',
        doc_url: docUrl('idempotency_key_in_use'),
        message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): '${key}'. Please try again later.`,
      },
      false,
    ),

  lockTimeout: () =>
    new ApiError(
      429,
      {
        type: 'invalid_request_error',
        code: 'lock_timeout',
        doc_url: docUrl('lock_timeout'),
        message:
          'This object cannot be accessed right now because another API request or Stripe process is currently accessing it. If you see this error intermittently, retry the request.',
      },
      false,
    ),

  /** The injected failure: nothing was created, so the result is not saved and a retry may succeed. */
  injected: () =>
    new ApiError(
      500,
      {
        type: 'api_error',
        message:
          'Sorry, something went wrong (an error injected by the Stripe API double; nothing was created). Retrying with the same idempotency key is safe.',
      },
      false,
    ),

  internal: (detail: string) =>
    new ApiError(500, { type: 'api_error', message: `Sorry, something went wrong in the Stripe API double: ${detail}` }, false),
};

export function cardDeclined(details: {
  declineCode: string;
  message: string;
  charge: string;
  paymentIntent: unknown;
  paymentMethod: unknown;
}): ApiError {
  return new ApiError(402, {
    type: 'card_error',
    code: 'card_declined',
    decline_code: details.declineCode,
    doc_url: docUrl('card_declined'),
    message: details.message,
    charge: details.charge,
    payment_intent: details.paymentIntent,
    payment_method: details.paymentMethod,
  });
}

function redact(key: string): string {
  return key.length <= 12 ? '*'.repeat(key.length) : `${key.slice(0, 8)}${'*'.repeat(Math.min(key.length - 12, 20))}${key.slice(-4)}`;
}
