import * as path from 'node:path';
import { Pool } from 'pg';
import pino from 'pino';
import { migrate } from '@checkout-lab/database';
import { createTestDatabase } from '@checkout-lab/testing';
import { GrpcStatus, readErrorDetails, type AuthorizeRequest__Output } from '@checkout-lab/contracts';
import { BillingAddressLookup, type BillingDetails } from '../src/payments/billing-address.client';
import {
  BillingAddressMissingError,
  DependencyUnavailableError,
  IdempotencyMismatchError,
  InvalidPaymentRequestError,
  PaymentDeclinedError,
  toGrpcError,
} from '../src/payments/payment.errors';
import { RpcException } from '@nestjs/microservices';
import { PaymentsController } from '../src/payments/payments.controller';
import { PaymentsRepository } from '../src/payments/payments.repository';
import { PaymentsService } from '../src/payments/payments.service';
import {
  PaymentGateway,
  cardToken,
  stripeIdempotencyKey,
  type ChargeOutcome,
  type ChargeRequest,
  type FoundPaymentIntent,
  type PaymentMethodRequest,
} from '../src/payments/stripe.gateway';

const ADDRESS: BillingDetails = {
  name: 'Ada Lovelace',
  email: 'ada@example.test',
  line1: '12 St James Square',
  line2: '',
  city: 'London',
  state: '',
  postalCode: 'SW1Y 4JH',
  country: 'GB',
};

class FakeBilling extends BillingAddressLookup {
  readonly addresses = new Map<string, BillingDetails>([['user-1', ADDRESS]]);
  failure: Error | undefined;
  async getBillingDetails(userId: string): Promise<BillingDetails> {
    if (this.failure) throw this.failure;
    const address = this.addresses.get(userId);
    if (!address) throw new BillingAddressMissingError();
    return address;
  }
}

class FakeGateway extends PaymentGateway {
  readonly prepared: PaymentMethodRequest[] = [];
  readonly calls: ChargeRequest[] = [];
  failure: Error | undefined;
  async preparePaymentMethod(request: PaymentMethodRequest): Promise<string> {
    this.prepared.push(request);
    return `pm_for_${request.paymentMethod}`;
  }
  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    this.calls.push(request);
    if (this.failure) throw this.failure;
    if (request.paymentMethodId === 'pm_for_pm_card_chargeDeclined') {
      return { kind: 'declined', paymentIntentId: 'pi_declined', declineCode: 'generic_decline', requestId: 'req_1' };
    }
    return { kind: 'succeeded', paymentIntentId: `pi_${this.calls.length}`, requestId: 'req_2' };
  }
  async findPaymentIntents(): Promise<FoundPaymentIntent[]> {
    return [];
  }
}

let pool: Pool;
let billing: FakeBilling;
let gateway: FakeGateway;
let service: PaymentsService;
let keySeq = 0;

function request(overrides: Partial<AuthorizeRequest__Output> = {}): AuthorizeRequest__Output {
  return {
    orderId: 'order-1',
    userId: 'user-1',
    amountCents: 4200,
    currency: 'usd',
    paymentMethod: 'pm_card_visa',
    idempotencyKey: `key-${++keySeq}`,
    ...overrides,
  };
}

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('payment');
  await migrate({ database: databaseUrl, dir: path.resolve(__dirname, '../migrations'), table: 'payment_migrations' });
  pool = new Pool({ connectionString: databaseUrl, max: 4 });
});

afterAll(() => pool.end());

beforeEach(() => {
  billing = new FakeBilling();
  gateway = new FakeGateway();
  service = new PaymentsService(new PaymentsRepository(pool), billing, gateway, pino({ level: 'silent' }), { leaseMs: 30_000, reconcileAfterMs: 60_000 });
});

describe('PaymentsService.authorize', () => {
  it('charges with the billing details and records the payment', async () => {
    const result = await service.authorize(request());
    expect(result.status).toBe('succeeded');
    expect(gateway.calls).toHaveLength(1);
    expect(gateway.prepared[0]?.billing).toEqual(ADDRESS);
    expect(gateway.calls[0]?.paymentMethodId).toBe('pm_for_pm_card_visa');
    const { rows } = await pool.query('SELECT status, stripe_payment_intent_id FROM payments WHERE id = $1', [result.paymentId]);
    expect(rows[0]).toEqual({ status: 'succeeded', stripe_payment_intent_id: result.stripePaymentIntentId });
  });

  it('replays a succeeded payment for the same key without charging again', async () => {
    const first = request();
    const a = await service.authorize(first);
    const b = await service.authorize({ ...first });
    expect(b).toEqual(a);
    expect(gateway.calls).toHaveLength(1);
  });

  it('records a decline and replays it without charging again', async () => {
    const declined = request({ paymentMethod: 'pm_card_chargeDeclined' });
    const error = await service.authorize(declined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentDeclinedError);
    expect((error as PaymentDeclinedError).declineCode).toBe('generic_decline');
    const again = await service.authorize({ ...declined }).catch((e: unknown) => e);
    expect((again as PaymentDeclinedError).paymentId).toBe((error as PaymentDeclinedError).paymentId);
    expect(gateway.calls).toHaveLength(1);
  });

  it('does not charge a user without a billing address, and succeeds on retry once there is one', async () => {
    const noAddress = request({ userId: 'user-without-address' });
    await expect(service.authorize(noAddress)).rejects.toBeInstanceOf(BillingAddressMissingError);
    expect(gateway.calls).toHaveLength(0);
    billing.addresses.set('user-without-address', ADDRESS);
    await expect(service.authorize({ ...noAddress })).resolves.toMatchObject({ status: 'succeeded' });
  });

  it('retries an unfinished payment with the same Stripe idempotency key', async () => {
    const flaky = request();
    gateway.failure = new DependencyUnavailableError('stripe');
    await expect(service.authorize(flaky)).rejects.toBeInstanceOf(DependencyUnavailableError);
    gateway.failure = undefined;
    await service.authorize({ ...flaky });
    expect(gateway.calls.map((c) => c.idempotencyKey)).toEqual([flaky.idempotencyKey, flaky.idempotencyKey]);
  });

  it('retries with the PaymentMethod of the first attempt, even after the billing address changed', async () => {
    const flaky = request();
    gateway.failure = new DependencyUnavailableError('stripe');
    await expect(service.authorize(flaky)).rejects.toBeInstanceOf(DependencyUnavailableError);
    gateway.failure = undefined;
    billing.addresses.set('user-1', { ...ADDRESS, line1: '1 New Street' });
    await service.authorize({ ...flaky });
    expect(gateway.prepared).toHaveLength(1);
    expect(gateway.calls.map((c) => c.paymentMethodId)).toEqual(['pm_for_pm_card_visa', 'pm_for_pm_card_visa']);
  });

  it('refuses a key reused for a different payment', async () => {
    const first = request();
    await service.authorize(first);
    await expect(service.authorize({ ...first, amountCents: 1 })).rejects.toBeInstanceOf(IdempotencyMismatchError);
  });

  it('rejects a malformed request naming each problem, before touching anything', async () => {
    const error = await service
      .authorize(request({ amountCents: 0, currency: 'USD', paymentMethod: 'visa', orderId: '' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPaymentRequestError);
    for (const field of ['order_id', 'amount_cents', 'currency', 'payment_method']) {
      expect((error as Error).message).toContain(field);
    }
    expect(gateway.calls).toHaveLength(0);
  });
});

describe('toGrpcError', () => {
  it('maps declines to FAILED_PRECONDITION with the payment and decline code', () => {
    const payload = toGrpcError(new PaymentDeclinedError('pay-1', 'insufficient_funds'));
    expect(payload.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(readErrorDetails(payload.metadata)).toEqual({
      reason: 'card_declined',
      paymentId: 'pay-1',
      declineCode: 'insufficient_funds',
    });
  });

  it('names the failing dependency', () => {
    const payload = toGrpcError(new DependencyUnavailableError('billing-address'));
    expect(payload.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(readErrorDetails(payload.metadata).failedDependency).toBe('billing-address');
  });

  it('hides unexpected errors behind INTERNAL', () => {
    const payload = toGrpcError(new Error('relation "payments" does not exist'));
    expect(payload.code).toBe(GrpcStatus.INTERNAL);
    expect(payload.message).not.toContain('payments');
  });
});

describe('stripeIdempotencyKey', () => {
  it('keeps short keys readable and long ones within Stripe\'s 255 characters', () => {
    expect(stripeIdempotencyKey('k1', 'pi')).toBe('k1:pi');
    const long = stripeIdempotencyKey('x'.repeat(255), 'pm:0123456789abcdef');
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long).toBe(stripeIdempotencyKey('x'.repeat(255), 'pm:0123456789abcdef'));
    expect(long).not.toBe(stripeIdempotencyKey('y'.repeat(255), 'pm:0123456789abcdef'));
  });
});

describe('cardToken', () => {
  it("maps Stripe's test PaymentMethods to their tokens and leaves saved ones alone", () => {
    expect(cardToken('pm_card_visa')).toBe('tok_visa');
    expect(cardToken('pm_card_chargeDeclinedInsufficientFunds')).toBe('tok_chargeDeclinedInsufficientFunds');
    expect(cardToken('tok_mastercard')).toBe('tok_mastercard');
    expect(cardToken('pm_1NvXyZ')).toBeUndefined();
  });
});

describe('PaymentsController', () => {
  it('logs every INTERNAL it returns, and not the expected failures', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const failing = { authorize: async () => Promise.reject(new Error('boom: relation "payments" does not exist')) } as unknown as PaymentsService;
    const controller = new PaymentsController(failing, logger);
    const internal = await controller.authorize(request()).catch((e: unknown) => e);
    expect((internal as RpcException).getError()).toMatchObject({ code: GrpcStatus.INTERNAL });
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: 'payment request failed' })]);

    const invalid = { authorize: async () => Promise.reject(new InvalidPaymentRequestError('currency must be ...')) } as unknown as PaymentsService;
    await new PaymentsController(invalid, logger).authorize(request()).catch(() => undefined);
    expect(lines).toHaveLength(1);
  });
});
