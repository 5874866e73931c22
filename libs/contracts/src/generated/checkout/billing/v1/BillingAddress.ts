// Original file: proto/checkout/billing/v1/billing.proto


export interface BillingAddress {
  'addressId'?: (string);
  'userId'?: (string);
  'name'?: (string);
  'email'?: (string);
  'line1'?: (string);
  'line2'?: (string);
  'city'?: (string);
  'state'?: (string);
  'postalCode'?: (string);
  /**
   * ISO 3166-1 alpha-2, e.g. "US".
   */
  'country'?: (string);
  'isDefault'?: (boolean);
  /**
   * RFC 3339 timestamp, set by the store on write.
   */
  'updatedAt'?: (string);
}

export interface BillingAddress__Output {
  'addressId': (string);
  'userId': (string);
  'name': (string);
  'email': (string);
  'line1': (string);
  'line2': (string);
  'city': (string);
  'state': (string);
  'postalCode': (string);
  /**
   * ISO 3166-1 alpha-2, e.g. "US".
   */
  'country': (string);
  'isDefault': (boolean);
  /**
   * RFC 3339 timestamp, set by the store on write.
   */
  'updatedAt': (string);
}
