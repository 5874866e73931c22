import {
  GrpcStatus,
  createBillingAddressClient,
  isGrpcServiceError,
  type BillingAddress__Output,
  type BillingAddressServiceClient,
} from '@checkout-lab/contracts';
import { BillingAddressMissingError, DependencyTimeoutError, DependencyUnavailableError } from './payment.errors';

/** The billing details payment passes on to Stripe. */
export type BillingDetails = Pick<
  BillingAddress__Output,
  'name' | 'email' | 'line1' | 'line2' | 'city' | 'state' | 'postalCode' | 'country'
>;

/** Port: where payment gets a user's billing details. */
export abstract class BillingAddressLookup {
  abstract getBillingDetails(userId: string): Promise<BillingDetails>;
}

/** Calls billing-address over gRPC with a deadline and turns its failures into payment's errors. */
export class GrpcBillingAddressLookup extends BillingAddressLookup {
  private readonly client: BillingAddressServiceClient;

  constructor(
    target: string,
    private readonly deadlineMs: number,
  ) {
    super();
    this.client = createBillingAddressClient(target);
  }

  getBillingDetails(userId: string): Promise<BillingDetails> {
    return new Promise((resolve, reject) => {
      this.client.getBillingAddress({ userId }, { deadline: Date.now() + this.deadlineMs }, (error, address) => {
        if (error || !address) return reject(translate(error));
        const { name, email, line1, line2, city, state, postalCode, country } = address;
        resolve({ name, email, line1, line2, city, state, postalCode, country });
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

function translate(error: unknown): Error {
  if (!isGrpcServiceError(error)) return new DependencyUnavailableError('billing-address', 'returned no address');
  switch (error.code) {
    case GrpcStatus.NOT_FOUND:
      return new BillingAddressMissingError();
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new DependencyTimeoutError('billing-address');
    case GrpcStatus.UNAVAILABLE:
      return new DependencyUnavailableError('billing-address');
    default:
      return new DependencyUnavailableError('billing-address', `failed (${GrpcStatus[error.code]})`);
  }
}
