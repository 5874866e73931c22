// Original file: proto/checkout/payment/v1/payment.proto


export interface ResolvePaymentResponse {
  /**
   * "succeeded" | "declined" | "canceled" (released unpaid, never to be charged) |
   * "pending" (an attempt may still be working on it, or Stripe's answer is not final yet: ask again later) |
   * "unknown" (payment had no payment for this key; it is now recorded as released).
   */
  'status'?: (string);
  'paymentId'?: (string);
  'stripePaymentIntentId'?: (string);
  /**
   * With "declined": Stripe's decline code.
   */
  'declineCode'?: (string);
  /**
   * With "canceled" / "unknown": why it was released (e.g. "abandoned").
   */
  'cancelReason'?: (string);
}

export interface ResolvePaymentResponse__Output {
  /**
   * "succeeded" | "declined" | "canceled" (released unpaid, never to be charged) |
   * "pending" (an attempt may still be working on it, or Stripe's answer is not final yet: ask again later) |
   * "unknown" (payment had no payment for this key; it is now recorded as released).
   */
  'status': (string);
  'paymentId': (string);
  'stripePaymentIntentId': (string);
  /**
   * With "declined": Stripe's decline code.
   */
  'declineCode': (string);
  /**
   * With "canceled" / "unknown": why it was released (e.g. "abandoned").
   */
  'cancelReason': (string);
}
