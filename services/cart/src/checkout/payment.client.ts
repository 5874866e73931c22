import {
  GrpcStatus,
  createPaymentClient,
  isGrpcServiceError,
  readErrorDetails,
  type AuthorizeRequest,
  type PaymentServiceClient,
  type ResolvePaymentResponse__Output,
} from '@checkout-lab/contracts';
import { DependencyError, PaymentRefusedError, StateError } from '../errors';

export type AuthorizeOutcome = { kind: 'paid'; paymentId: string } | { kind: 'declined'; paymentId: string; declineCode: string };

/** What payment knows of an order's payment, without charging (ResolvePayment). */
export type ResolveOutcome =
  | { kind: 'paid'; paymentId: string }
  | { kind: 'declined'; paymentId: string; declineCode: string }
  /** Released unpaid (`canceled`), or never seen by payment (`unknown`, now recorded released): never to be charged. */
  | { kind: 'released'; paymentId: string; status: 'canceled' | 'unknown' }
  /** Not decided yet (an attempt holds it, or Stripe's answer is not final): ask again later. */
  | { kind: 'pending' };

/** Port: authorises an order's payment, or asks what became of it. */
export abstract class PaymentAuthorizer {
  abstract authorize(request: Required<AuthorizeRequest>): Promise<AuthorizeOutcome>;
  /** Never starts a charge. Rejects with DependencyError when payment cannot say. */
  abstract resolve(request: Required<AuthorizeRequest>): Promise<ResolveOutcome>;
}

/** Calls payment's Authorize over gRPC with a deadline, and turns its status codes into cart's outcomes and errors. */
export class GrpcPaymentAuthorizer extends PaymentAuthorizer {
  private readonly client: PaymentServiceClient;

  constructor(
    target: string,
    private readonly deadlineMs: number,
  ) {
    super();
    this.client = createPaymentClient(target);
  }

  authorize(request: Required<AuthorizeRequest>): Promise<AuthorizeOutcome> {
    return new Promise((resolve, reject) => {
      this.client.authorize(request, { deadline: Date.now() + this.deadlineMs }, (error, response) => {
        if (!error && response) return resolve({ kind: 'paid', paymentId: response.paymentId });
        const outcome = interpret(error);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      });
    });
  }

  resolve(request: Required<AuthorizeRequest>): Promise<ResolveOutcome> {
    return new Promise((resolve, reject) => {
      this.client.resolvePayment(request, { deadline: Date.now() + this.deadlineMs }, (error, response) => {
        if (error || !response) {
          const outcome = interpret(error);
          // ResolvePayment declines nothing: any error means payment could not say (yet).
          reject(outcome instanceof Error ? outcome : new DependencyError('payment', 'unavailable', 'payment returned no resolution'));
          return;
        }
        const outcome = resolution(response);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

/** Exported for tests: a ResolvePayment answer as cart's outcome. */
export function resolution(response: ResolvePaymentResponse__Output): ResolveOutcome | Error {
  switch (response.status) {
    case 'succeeded':
      return { kind: 'paid', paymentId: response.paymentId };
    case 'declined':
      return { kind: 'declined', paymentId: response.paymentId, declineCode: response.declineCode || 'card_declined' };
    case 'canceled':
    case 'unknown':
      return { kind: 'released', paymentId: response.paymentId, status: response.status };
    case 'pending':
      return { kind: 'pending' };
    default:
      return new DependencyError('payment', 'unavailable', `payment answered an unknown resolution (${response.status})`);
  }
}

/** Exported for tests: what a failed Authorize means for the checkout. */
export function interpret(error: unknown): AuthorizeOutcome | Error {
  if (!isGrpcServiceError(error)) return new DependencyError('payment', 'unavailable', 'payment returned no result');
  const details = readErrorDetails(error.metadata);
  const dependency = details.failedDependency ?? 'payment';
  switch (error.code) {
    case GrpcStatus.FAILED_PRECONDITION:
      if (details.reason === 'card_declined' && details.paymentId) {
        return { kind: 'declined', paymentId: details.paymentId, declineCode: details.declineCode ?? 'card_declined' };
      }
      if (details.reason === 'billing_address_missing') {
        return new StateError(
          'billing_address_missing',
          'the user has no billing address on file; add one and retry with the same Idempotency-Key',
        );
      }
      if (details.reason === 'idempotency_mismatch') {
        return new StateError('idempotency_key_reused', 'this Idempotency-Key was already used for a different payment');
      }
      if (details.reason === 'payment_expired') {
        return new PaymentRefusedError(
          'payment_expired',
          'this checkout expired before its payment completed and will not be charged; check out again with a new Idempotency-Key',
        );
      }
      if (details.reason === 'payment_method_invalid') {
        return new PaymentRefusedError('payment_method_invalid', 'the payment provider does not know this payment method; check out again with another one and a new Idempotency-Key');
      }
      return new PaymentRefusedError('payment_rejected', 'the payment provider rejected this payment; it cannot succeed as it is');
    case GrpcStatus.INVALID_ARGUMENT:
      return new PaymentRefusedError('payment_rejected', 'payment rejected the request as invalid; it cannot succeed as it is');
    case GrpcStatus.ABORTED:
      return new StateError('checkout_in_progress', 'a checkout with this Idempotency-Key is in progress; retry shortly');
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new DependencyError(dependency, 'timeout');
    case GrpcStatus.UNAVAILABLE:
      return new DependencyError(dependency, 'unavailable');
    default:
      return new DependencyError(dependency, 'unavailable', `${dependency} failed (${GrpcStatus[error.code] ?? error.code})`);
  }
}

/** Where payment listens (host:port), for readiness checks. */
export class PaymentTarget {
  constructor(readonly address: string) {}
}
