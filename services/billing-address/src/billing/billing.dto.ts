import type { BillingAddress as DomainBillingAddress, BillingAddressInput } from '@checkout-lab/billing-store';
import type { BillingAddress, BillingAddress__Output } from '@checkout-lab/contracts';

/** Domain → wire: the proto message, `updated_at` as an RFC 3339 timestamp. */
export function toProtoAddress(address: DomainBillingAddress): BillingAddress {
  return {
    addressId: address.addressId,
    userId: address.userId,
    name: address.name,
    email: address.email,
    line1: address.line1,
    line2: address.line2,
    city: address.city,
    state: address.state,
    postalCode: address.postalCode,
    country: address.country,
    isDefault: address.isDefault,
    updatedAt: address.updatedAt.toISOString(),
  };
}

/** Wire → domain input; `updated_at` is the store's to set, so a client's value is ignored. */
export function fromProtoAddress(address: BillingAddress__Output): BillingAddressInput {
  return {
    addressId: address.addressId,
    userId: address.userId,
    name: address.name,
    email: address.email,
    line1: address.line1,
    line2: address.line2,
    city: address.city,
    state: address.state,
    postalCode: address.postalCode,
    country: address.country,
    isDefault: address.isDefault,
  };
}
