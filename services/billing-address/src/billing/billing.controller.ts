import { Controller, Inject, Optional } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { BillingAddressStore, InvalidBillingAddressError, validateUserId } from '@checkout-lab/billing-store';
import {
  GrpcStatus,
  type BillingAddress,
  type GetBillingAddressRequest__Output,
  type PutBillingAddressRequest__Output,
} from '@checkout-lab/contracts';
import { injectedDelay } from '@checkout-lab/config';
import { businessMetrics, withSpan } from '@checkout-lab/telemetry';
import { LOGGER } from '../logger';
import { fromProtoAddress, toProtoAddress } from './billing.dto';
import { BillingAddressNotFoundError, toGrpcError } from './billing.errors';

/** DI token: a known delay inside every lookup, for calibration (BILLING_INJECT_LOOKUP_DELAY_MS). */
export const INJECTED_LOOKUP_DELAY_MS = Symbol('INJECTED_LOOKUP_DELAY_MS');

/** checkout.billing.v1.BillingAddressService over the configured store. */
@Controller()
export class BillingController {
  constructor(
    private readonly store: BillingAddressStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(INJECTED_LOOKUP_DELAY_MS) private readonly injectedDelayMs = 0,
  ) {}

  @GrpcMethod('BillingAddressService', 'GetBillingAddress')
  async getBillingAddress(request: GetBillingAddressRequest__Output): Promise<BillingAddress> {
    try {
      const { kind, profile } = this.store;
      // The lookup's span: which store, which profile, found or not. Never the user id or the address.
      const address = await withSpan(
        'billing.lookup',
        { 'billing.store': kind, ...(kind === 'sql' ? { 'billing.sql_profile': profile } : {}) },
        async (span) => {
          await injectedDelay(this.injectedDelayMs);
          const found = await this.store.getCurrent(validateUserId(request.userId, 'user_id'));
          span.setAttribute('billing.found', found !== null);
          businessMetrics.billingLookup(kind, found !== null);
          return found;
        },
      );
      if (!address) throw new BillingAddressNotFoundError();
      return toProtoAddress(address);
    } catch (error) {
      throw this.failure('GetBillingAddress', error);
    }
  }

  @GrpcMethod('BillingAddressService', 'PutBillingAddress')
  async putBillingAddress(request: PutBillingAddressRequest__Output): Promise<BillingAddress> {
    try {
      if (!request.address) throw new InvalidBillingAddressError('address', 'is required');
      return toProtoAddress(await this.store.put(fromProtoAddress(request.address)));
    } catch (error) {
      throw this.failure('PutBillingAddress', error);
    }
  }

  /** Maps the error for the client and logs what operators need: no ids, no address data. */
  private failure(method: string, error: unknown): RpcException {
    const payload = toGrpcError(error);
    const fields = { method, code: GrpcStatus[payload.code], error: error instanceof Error ? error.name : typeof error };
    switch (payload.code) {
      case GrpcStatus.INTERNAL:
        this.logger.error({ ...fields, err: error }, 'billing request failed');
        break;
      case GrpcStatus.UNAVAILABLE:
      case GrpcStatus.DEADLINE_EXCEEDED:
        // Domain store errors carry a driver code at most (e.g. SQLSTATE 57014), never data.
        this.logger.warn({ ...fields, reason: (error as Error).message }, 'billing store failed');
        break;
      default:
        this.logger.debug(fields, 'billing request rejected');
    }
    return new RpcException(payload);
  }
}
