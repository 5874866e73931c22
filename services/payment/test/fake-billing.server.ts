import * as grpc from '@grpc/grpc-js';
import {
  billingAddressServiceDefinition,
  grpcError,
  type BillingAddress,
  type GetBillingAddressRequest__Output,
} from '@checkout-lab/contracts';

/** A stand-in for billing-address over real gRPC: one address per user id, NOT_FOUND otherwise. */
export class FakeBillingServer {
  readonly addresses = new Map<string, BillingAddress>();
  lookups = 0;
  private readonly server = new grpc.Server();

  async start(): Promise<string> {
    this.server.addService(billingAddressServiceDefinition(), {
      GetBillingAddress: (
        call: grpc.ServerUnaryCall<GetBillingAddressRequest__Output, BillingAddress>,
        callback: grpc.sendUnaryData<BillingAddress>,
      ) => {
        this.lookups++;
        const address = this.addresses.get(call.request.userId);
        if (address) callback(null, address);
        else callback(grpcError(grpc.status.NOT_FOUND, 'no default billing address', { reason: 'billing_address_missing' }));
      },
      PutBillingAddress: (_call: unknown, callback: grpc.sendUnaryData<BillingAddress>) =>
        callback(grpcError(grpc.status.UNIMPLEMENTED, 'not in the fake')),
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    return `127.0.0.1:${port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

export function address(userId: string, line1 = '12 St James Square'): BillingAddress {
  return {
    addressId: `addr-${userId}`,
    userId,
    name: 'Ada Lovelace',
    email: 'ada@example.test',
    line1,
    line2: '',
    city: 'London',
    state: '',
    postalCode: 'SW1Y 4JH',
    country: 'GB',
    isDefault: true,
    updatedAt: new Date().toISOString(),
  };
}
