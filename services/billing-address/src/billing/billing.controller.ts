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
import { ATTR_BILLING_FOUND, ATTR_BILLING_SQL_PROFILE, ATTR_BILLING_STORE, SPAN_BILLING_LOOKUP, businessMetrics, withSpan } from '@checkout-lab/telemetry';
import { LOGGER } from '../logger';
import { fromProtoAddress, toProtoAddress } from './billing.dto';
import { BillingAddressNotFoundError, toGrpcError } from './billing.errors';

/** DI token: a known delay inside every lookup, for calibration (BILLING_INJECT_LOOKUP_DELAY_MS). */
export const INJECTED_LOOKUP_DELAY_MS = Symbol('INJECTED_LOOKUP_DELAY_MS');

/** What the controller needs of grpc-js's ServerUnaryCall: whether, and when, the caller went away. */
interface CancellableCall {
  cancelled?: boolean;
  once?(event: 'cancelled', listener: () => void): unknown;
  removeListener?(event: 'cancelled', listener: () => void): unknown;
}

/** An AbortSignal that fires when the gRPC call is cancelled (no call: a signal that never fires). */
function callerSignal(call: CancellableCall | undefined): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  if (!call) return { signal: controller.signal, dispose: () => undefined };
  if (call.cancelled) controller.abort();
  const onCancelled = () => controller.abort();
  call.once?.('cancelled', onCancelled);
  return { signal: controller.signal, dispose: () => call.removeListener?.('cancelled', onCancelled) };
}

/** checkout.billing.v1.BillingAddressService over the configured store. */
@Controller()
export class BillingController {
  constructor(
    private readonly store: BillingAddressStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(INJECTED_LOOKUP_DELAY_MS) private readonly injectedDelayMs = 0,
  ) {}

  @GrpcMethod('BillingAddressService', 'GetBillingAddress')
  async getBillingAddress(request: GetBillingAddressRequest__Output, _metadata?: unknown, call?: CancellableCall): Promise<BillingAddress> {
    // grpc-js marks the call cancelled when the client's deadline passes or it cancels: the store then
    // skips a lookup still waiting for a connection, instead of running it for nobody.
    const caller = callerSignal(call);
    try {
      const { kind, profile } = this.store;
      // The lookup's span: which store, which profile, found or not. Never the user id or the address.
      const address = await withSpan(
        SPAN_BILLING_LOOKUP,
        { [ATTR_BILLING_STORE]: kind, ...(kind === 'sql' ? { [ATTR_BILLING_SQL_PROFILE]: profile } : {}) },
        async (span) => {
          await injectedDelay(this.injectedDelayMs);
          const found = await this.store.getCurrent(validateUserId(request.userId, 'user_id'), { signal: caller.signal });
          span.setAttribute(ATTR_BILLING_FOUND, found !== null);
          businessMetrics.billingLookup(kind, found !== null);
          return found;
        },
      );
      if (!address) throw new BillingAddressNotFoundError();
      return toProtoAddress(address);
    } catch (error) {
      throw this.failure('GetBillingAddress', error);
    } finally {
      caller.dispose();
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
