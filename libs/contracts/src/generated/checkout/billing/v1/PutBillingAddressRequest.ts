// Original file: proto/checkout/billing/v1/billing.proto

import type { BillingAddress as _checkout_billing_v1_BillingAddress, BillingAddress__Output as _checkout_billing_v1_BillingAddress__Output } from '../../../checkout/billing/v1/BillingAddress';

export interface PutBillingAddressRequest {
  'address'?: (_checkout_billing_v1_BillingAddress | null);
}

export interface PutBillingAddressRequest__Output {
  'address': (_checkout_billing_v1_BillingAddress__Output | null);
}
