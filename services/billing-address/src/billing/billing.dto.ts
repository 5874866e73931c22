import type { BillingAddress as DomainBillingAddress, BillingAddressInput } from '@checkout-lab/billing-store';
import type { BillingAddress, BillingAddress__Output } from '@checkout-lab/contracts';

/** Domain → wire: the proto message (the same fields), `updated_at` as an RFC 3339 timestamp. */
export function toProtoAddress(address: DomainBillingAddress): BillingAddress {
  return { ...address, updatedAt: address.updatedAt.toISOString() };
}

/** Wire → domain input; `updated_at` is the store's to set, so a client's value is ignored. */
export function fromProtoAddress(address: BillingAddress__Output): BillingAddressInput {
  const { updatedAt: _ignored, ...input } = address;
  return input;
}
