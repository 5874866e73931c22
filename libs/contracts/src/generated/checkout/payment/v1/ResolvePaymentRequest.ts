// Original file: proto/checkout/payment/v1/payment.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The same fields as AuthorizeRequest: a key payment has never seen is recorded (as released) with them.
 */
export interface ResolvePaymentRequest {
  'orderId'?: (string);
  'userId'?: (string);
  'amountCents'?: (number | string | Long);
  'currency'?: (string);
  'paymentMethod'?: (string);
  'idempotencyKey'?: (string);
}

/**
 * The same fields as AuthorizeRequest: a key payment has never seen is recorded (as released) with them.
 */
export interface ResolvePaymentRequest__Output {
  'orderId': (string);
  'userId': (string);
  'amountCents': (number);
  'currency': (string);
  'paymentMethod': (string);
  'idempotencyKey': (string);
}
