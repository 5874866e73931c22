export {
  PROTO_DIR,
  PROTO_FILES,
  PROTO_PACKAGES,
  LOADER_OPTIONS,
  createPaymentClient,
  createBillingAddressClient,
  createHealthClient,
  paymentServiceDefinition,
  billingAddressServiceDefinition,
  isServing,
} from './grpc';
export { HealthServer } from './health-server';
export { CachedCheck, CHECK_CACHE_MS, CHECK_TIMEOUT_MS, probeGrpcHealth } from './readiness';
export type { CheckResult } from './readiness';
export { ERROR_METADATA, grpcError, readErrorDetails, isGrpcServiceError } from './errors';
export type { ErrorDetails, GrpcErrorPayload } from './errors';
export type { AuthorizeRequest, AuthorizeRequest__Output } from './generated/checkout/payment/v1/AuthorizeRequest';
export type { AuthorizeResponse, AuthorizeResponse__Output } from './generated/checkout/payment/v1/AuthorizeResponse';
export type { ResolvePaymentRequest, ResolvePaymentRequest__Output } from './generated/checkout/payment/v1/ResolvePaymentRequest';
export type { ResolvePaymentResponse, ResolvePaymentResponse__Output } from './generated/checkout/payment/v1/ResolvePaymentResponse';
export type { PaymentServiceClient } from './generated/checkout/payment/v1/PaymentService';
export type { BillingAddress, BillingAddress__Output } from './generated/checkout/billing/v1/BillingAddress';
export type {
  GetBillingAddressRequest,
  GetBillingAddressRequest__Output,
} from './generated/checkout/billing/v1/GetBillingAddressRequest';
export type {
  PutBillingAddressRequest,
  PutBillingAddressRequest__Output,
} from './generated/checkout/billing/v1/PutBillingAddressRequest';
export type { BillingAddressServiceClient } from './generated/checkout/billing/v1/BillingAddressService';
export type { HealthCheckResponse__Output } from './generated/grpc/health/v1/HealthCheckResponse';
export { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
