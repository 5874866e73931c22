// Original file: proto/checkout/billing/v1/billing.proto


export interface GetBillingAddressRequest {
  'userId'?: (string);
}

export interface GetBillingAddressRequest__Output {
  'userId': (string);
}
