import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { BillingAddress as _checkout_billing_v1_BillingAddress, BillingAddress__Output as _checkout_billing_v1_BillingAddress__Output } from './checkout/billing/v1/BillingAddress';
import type { BillingAddressServiceClient as _checkout_billing_v1_BillingAddressServiceClient, BillingAddressServiceDefinition as _checkout_billing_v1_BillingAddressServiceDefinition } from './checkout/billing/v1/BillingAddressService';
import type { GetBillingAddressRequest as _checkout_billing_v1_GetBillingAddressRequest, GetBillingAddressRequest__Output as _checkout_billing_v1_GetBillingAddressRequest__Output } from './checkout/billing/v1/GetBillingAddressRequest';
import type { PutBillingAddressRequest as _checkout_billing_v1_PutBillingAddressRequest, PutBillingAddressRequest__Output as _checkout_billing_v1_PutBillingAddressRequest__Output } from './checkout/billing/v1/PutBillingAddressRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  checkout: {
    billing: {
      v1: {
        BillingAddress: MessageTypeDefinition<_checkout_billing_v1_BillingAddress, _checkout_billing_v1_BillingAddress__Output>
        /**
         * Serves billing addresses from the configured store (SQL or DynamoDB).
         * 
         * Errors: NOT_FOUND when the user has no default billing address; INVALID_ARGUMENT for a
         * malformed request; UNAVAILABLE when the store cannot be reached; DEADLINE_EXCEEDED when
         * the store is slower than the caller's deadline.
         */
        BillingAddressService: SubtypeConstructor<typeof grpc.Client, _checkout_billing_v1_BillingAddressServiceClient> & { service: _checkout_billing_v1_BillingAddressServiceDefinition }
        GetBillingAddressRequest: MessageTypeDefinition<_checkout_billing_v1_GetBillingAddressRequest, _checkout_billing_v1_GetBillingAddressRequest__Output>
        PutBillingAddressRequest: MessageTypeDefinition<_checkout_billing_v1_PutBillingAddressRequest, _checkout_billing_v1_PutBillingAddressRequest__Output>
      }
    }
  }
}

