// Original file: proto/checkout/payment/v1/payment.proto


export interface AuthorizeResponse {
  'paymentId'?: (string);
  /**
   * "succeeded" (declines are errors, see above).
   */
  'status'?: (string);
  'stripePaymentIntentId'?: (string);
}

export interface AuthorizeResponse__Output {
  'paymentId': (string);
  /**
   * "succeeded" (declines are errors, see above).
   */
  'status': (string);
  'stripePaymentIntentId': (string);
}
