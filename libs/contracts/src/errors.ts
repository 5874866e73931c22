import { Metadata, status } from '@grpc/grpc-js';

/**
 * Trailing-metadata keys that carry a failure's meaning across a gRPC hop, so that cart can
 * tell the user which dependency failed and why (see payment.proto).
 */
export const ERROR_METADATA = {
  /** The dependency that failed or was too slow: `billing-address`, `stripe`, `payment-db`. */
  failedDependency: 'x-failed-dependency',
  /** A machine-readable reason: `card_declined`, `billing_address_missing`, `payment_expired`. */
  reason: 'x-error-reason',
  paymentId: 'x-payment-id',
  declineCode: 'x-decline-code',
} as const;

export type ErrorDetails = Partial<Record<keyof typeof ERROR_METADATA, string>>;

/** The error object a gRPC handler throws or passes to its callback (grpc-js reads these fields). */
export interface GrpcErrorPayload {
  code: status;
  message: string;
  details: string;
  metadata: Metadata;
}

export function grpcError(code: status, message: string, details: ErrorDetails = {}): GrpcErrorPayload {
  const metadata = new Metadata();
  for (const [field, value] of Object.entries(details) as [keyof typeof ERROR_METADATA, string | undefined][]) {
    if (value !== undefined) metadata.set(ERROR_METADATA[field], value);
  }
  return { code, message, details: message, metadata };
}

/** Reads the details back from an error a client received. */
export function readErrorDetails(metadata: Metadata | undefined): ErrorDetails {
  const details: ErrorDetails = {};
  if (!metadata) return details;
  for (const [field, key] of Object.entries(ERROR_METADATA) as [keyof typeof ERROR_METADATA, string][]) {
    const value = metadata.get(key)[0];
    if (typeof value === 'string') details[field] = value;
  }
  return details;
}

/** True for the error shape grpc-js clients reject with. */
export function isGrpcServiceError(error: unknown): error is Error & { code: status; details: string; metadata?: Metadata } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number' && 'details' in error;
}
