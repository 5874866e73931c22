// Original file: proto/checkout/payment/v1/payment.proto

import type { Long } from '@grpc/proto-loader';

export interface AuthorizeRequest {
  'orderId'?: (string);
  'userId'?: (string);
  'amountCents'?: (number | string | Long);
  /**
   * ISO 4217, lower case (Stripe's convention), e.g. "usd".
   */
  'currency'?: (string);
  /**
   * A Stripe payment method, e.g. "pm_card_visa".
   */
  'paymentMethod'?: (string);
  /**
   * The checkout's Idempotency-Key; payment derives Stripe's idempotency keys from it.
   */
  'idempotencyKey'?: (string);
}

export interface AuthorizeRequest__Output {
  'orderId': (string);
  'userId': (string);
  'amountCents': (number);
  /**
   * ISO 4217, lower case (Stripe's convention), e.g. "usd".
   */
  'currency': (string);
  /**
   * A Stripe payment method, e.g. "pm_card_visa".
   */
  'paymentMethod': (string);
  /**
   * The checkout's Idempotency-Key; payment derives Stripe's idempotency keys from it.
   */
  'idempotencyKey': (string);
}
