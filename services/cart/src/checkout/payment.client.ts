import {
  GrpcStatus,
  createPaymentClient,
  isGrpcServiceError,
  readErrorDetails,
  type AuthorizeRequest,
  type PaymentServiceClient,
} from '@checkout-lab/contracts';
import { DependencyError, PaymentRefusedError, StateError } from '../errors';

export type AuthorizeOutcome = { kind: 'paid'; paymentId: string } | { kind: 'declined'; paymentId: string; declineCode: string };

/** Port: authorises an order's payment. */
export abstract class PaymentAuthorizer {
  abstract authorize(request: Required<AuthorizeRequest>): Promise<AuthorizeOutcome>;
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

  close(): void {
    this.client.close();
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
