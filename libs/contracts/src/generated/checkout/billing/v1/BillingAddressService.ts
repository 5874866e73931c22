// Original file: proto/checkout/billing/v1/billing.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BillingAddress as _checkout_billing_v1_BillingAddress, BillingAddress__Output as _checkout_billing_v1_BillingAddress__Output } from '../../../checkout/billing/v1/BillingAddress';
import type { GetBillingAddressRequest as _checkout_billing_v1_GetBillingAddressRequest, GetBillingAddressRequest__Output as _checkout_billing_v1_GetBillingAddressRequest__Output } from '../../../checkout/billing/v1/GetBillingAddressRequest';
import type { PutBillingAddressRequest as _checkout_billing_v1_PutBillingAddressRequest, PutBillingAddressRequest__Output as _checkout_billing_v1_PutBillingAddressRequest__Output } from '../../../checkout/billing/v1/PutBillingAddressRequest';

/**
 * Serves billing addresses from the configured store (SQL or DynamoDB).
 * 
 * Errors: NOT_FOUND when the user has no default billing address; INVALID_ARGUMENT for a
 * malformed request; UNAVAILABLE when the store cannot be reached; DEADLINE_EXCEEDED when
 * the store is slower than the caller's deadline.
 */
export interface BillingAddressServiceClient extends grpc.Client {
  /**
   * The user's current billing address: the latest (by updated_at) of their default addresses.
   */
  GetBillingAddress(argument: _checkout_billing_v1_GetBillingAddressRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  GetBillingAddress(argument: _checkout_billing_v1_GetBillingAddressRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  GetBillingAddress(argument: _checkout_billing_v1_GetBillingAddressRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  GetBillingAddress(argument: _checkout_billing_v1_GetBillingAddressRequest, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  /**
   * The user's current billing address: the latest (by updated_at) of their default addresses.
   */
  getBillingAddress(argument: _checkout_billing_v1_GetBillingAddressRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  getBillingAddress(argument: _checkout_billing_v1_GetBillingAddressRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  getBillingAddress(argument: _checkout_billing_v1_GetBillingAddressRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  getBillingAddress(argument: _checkout_billing_v1_GetBillingAddressRequest, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  
  /**
   * Creates or replaces one address (by address_id) and returns it as stored.
   */
  PutBillingAddress(argument: _checkout_billing_v1_PutBillingAddressRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  PutBillingAddress(argument: _checkout_billing_v1_PutBillingAddressRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  PutBillingAddress(argument: _checkout_billing_v1_PutBillingAddressRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  PutBillingAddress(argument: _checkout_billing_v1_PutBillingAddressRequest, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  /**
   * Creates or replaces one address (by address_id) and returns it as stored.
   */
  putBillingAddress(argument: _checkout_billing_v1_PutBillingAddressRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  putBillingAddress(argument: _checkout_billing_v1_PutBillingAddressRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  putBillingAddress(argument: _checkout_billing_v1_PutBillingAddressRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  putBillingAddress(argument: _checkout_billing_v1_PutBillingAddressRequest, callback: grpc.requestCallback<_checkout_billing_v1_BillingAddress__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Serves billing addresses from the configured store (SQL or DynamoDB).
 * 
 * Errors: NOT_FOUND when the user has no default billing address; INVALID_ARGUMENT for a
 * malformed request; UNAVAILABLE when the store cannot be reached; DEADLINE_EXCEEDED when
 * the store is slower than the caller's deadline.
 */
export interface BillingAddressServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The user's current billing address: the latest (by updated_at) of their default addresses.
   */
  GetBillingAddress: grpc.handleUnaryCall<_checkout_billing_v1_GetBillingAddressRequest__Output, _checkout_billing_v1_BillingAddress>;
  
  /**
   * Creates or replaces one address (by address_id) and returns it as stored.
   */
  PutBillingAddress: grpc.handleUnaryCall<_checkout_billing_v1_PutBillingAddressRequest__Output, _checkout_billing_v1_BillingAddress>;
  
}

export interface BillingAddressServiceDefinition extends grpc.ServiceDefinition {
  GetBillingAddress: MethodDefinition<_checkout_billing_v1_GetBillingAddressRequest, _checkout_billing_v1_BillingAddress, _checkout_billing_v1_GetBillingAddressRequest__Output, _checkout_billing_v1_BillingAddress__Output>
  PutBillingAddress: MethodDefinition<_checkout_billing_v1_PutBillingAddressRequest, _checkout_billing_v1_BillingAddress, _checkout_billing_v1_PutBillingAddressRequest__Output, _checkout_billing_v1_BillingAddress__Output>
}
