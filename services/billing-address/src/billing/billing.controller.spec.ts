import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { RpcException } from '@nestjs/microservices';
import pino from 'pino';
import {
  BillingAddressStore,
  BillingStoreCancelledError,
  BillingStoreTimeoutError,
  BillingStoreUnavailableError,
  type BillingAddress,
  type BillingAddressInput,
} from '@checkout-lab/billing-store';
import { GrpcStatus, type BillingAddress__Output, type GrpcErrorPayload } from '@checkout-lab/contracts';
import { BillingController } from './billing.controller';

const stored: BillingAddress = {
  addressId: 'addr-1',
  userId: 'user-1',
  name: 'Hedy Lamarr',
  email: 'hedy@example.com',
  line1: '1 Frequency Lane',
  line2: '',
  city: 'Vienna',
  state: '',
  postalCode: '1010',
  country: 'AT',
  isDefault: true,
  updatedAt: new Date('2024-05-06T07:08:09.123Z'),
};

/** A store whose next answer the test chooses. */
class FakeStore extends BillingAddressStore {
  readonly kind = 'sql';
  readonly profile = 'fake';
  next: () => Promise<BillingAddress | null> = () => Promise.resolve(stored);
  readonly calls: unknown[] = [];
  signal: AbortSignal | undefined;

  ping(): Promise<void> {
    return Promise.resolve();
  }
  getCurrent(userId: string, options: { signal?: AbortSignal } = {}): Promise<BillingAddress | null> {
    this.calls.push(userId);
    this.signal = options.signal;
    return this.next();
  }
  async put(input: BillingAddressInput): Promise<BillingAddress> {
    this.calls.push(input);
    const result = await this.next();
    if (!result) throw new Error('unexpected');
    return result;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function grpcCode(promise: Promise<unknown>): Promise<GrpcErrorPayload> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(RpcException);
  return (error as RpcException).getError() as GrpcErrorPayload;
}

describe('BillingController', () => {
  let store: FakeStore;
  let logs: string;
  let controller: BillingController;

  beforeEach(() => {
    store = new FakeStore();
    logs = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    controller = new BillingController(store, pino({ level: 'debug' }, sink));
  });

  it('returns the current address with updated_at in RFC 3339', async () => {
    await expect(controller.getBillingAddress({ userId: 'user-1' })).resolves.toEqual({
      ...stored,
      updatedAt: '2024-05-06T07:08:09.123Z',
    });
    expect(store.calls).toEqual(['user-1']);
  });

  it('answers NOT_FOUND when the user has no default address', async () => {
    store.next = () => Promise.resolve(null);
    expect((await grpcCode(controller.getBillingAddress({ userId: 'user-2' }))).code).toBe(GrpcStatus.NOT_FOUND);
  });

  it.each([
    ['an empty user_id', ''],
    ['a user_id over 200 characters', 'u'.repeat(201)],
  ])('answers INVALID_ARGUMENT for %s without asking the store', async (_case, userId) => {
    const payload = await grpcCode(controller.getBillingAddress({ userId }));
    expect(payload).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, message: expect.stringContaining('user_id') });
    expect(store.calls).toEqual([]);
  });

  it.each([
    ['a timeout', new BillingStoreTimeoutError('billing store statement timed out (SQLSTATE 57014)'), GrpcStatus.DEADLINE_EXCEEDED],
    ['an outage', new BillingStoreUnavailableError('billing store unreachable (ECONNREFUSED)'), GrpcStatus.UNAVAILABLE],
    ['an unexpected error', new Error('relation "billing_addresses" does not exist'), GrpcStatus.INTERNAL],
  ])('maps %s of the store that went down after start-up', async (_case, error, code) => {
    store.next = () => Promise.reject(error);
    const payload = await grpcCode(controller.getBillingAddress({ userId: 'user-1' }));
    expect(payload.code).toBe(code);
    expect(payload.message).not.toContain('relation');
  });

  it("hands the store a signal that fires when the gRPC call is cancelled (the caller's deadline passed)", async () => {
    const call = new EventEmitter() as EventEmitter & { cancelled: boolean };
    call.cancelled = false;
    let release: (value: BillingAddress | null) => void = () => undefined;
    store.next = () => new Promise((resolve) => (release = resolve));
    const answer = controller.getBillingAddress({ userId: 'user-1' }, undefined, call);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.signal?.aborted).toBe(false);
    call.cancelled = true;
    call.emit('cancelled');
    expect(store.signal?.aborted).toBe(true);
    release(stored);
    await answer;
    expect(call.listenerCount('cancelled')).toBe(0);
  });

  it('answers CANCELLED, without data, when the store dropped a lookup whose caller had gone', async () => {
    store.next = () => Promise.reject(new BillingStoreCancelledError('the caller gave up while the lookup waited for a connection'));
    const payload = await grpcCode(controller.getBillingAddress({ userId: 'user-1' }, undefined, { cancelled: true }));
    expect(payload.code).toBe(GrpcStatus.CANCELLED);
  });

  it('writes through the store and ignores a client-sent updated_at', async () => {
    const request = { ...stored, updatedAt: '1999-01-01T00:00:00Z' } satisfies BillingAddress__Output;
    await expect(controller.putBillingAddress({ address: request })).resolves.toMatchObject({
      addressId: 'addr-1',
      updatedAt: '2024-05-06T07:08:09.123Z',
    });
    const { updatedAt: _ignored, ...input } = stored;
    expect(store.calls).toEqual([input]);
  });

  it('answers INVALID_ARGUMENT for a put without an address', async () => {
    const payload = await grpcCode(controller.putBillingAddress({ address: null }));
    expect(payload).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, message: 'address is required' });
    expect(store.calls).toEqual([]);
  });

  it('never logs address data, even when requests fail', async () => {
    await controller.putBillingAddress({ address: { ...stored, updatedAt: '' } });
    store.next = () => Promise.reject(new BillingStoreUnavailableError('billing store unreachable (ECONNREFUSED)'));
    await controller.getBillingAddress({ userId: 'user-1' }).catch(() => undefined);
    store.next = () => Promise.reject(new Error('boom'));
    await controller.putBillingAddress({ address: { ...stored, updatedAt: '' } }).catch(() => undefined);

    expect(logs).toContain('"code":"UNAVAILABLE"');
    expect(logs).toContain('"code":"INTERNAL"');
    for (const secret of [stored.name, stored.email, stored.line1, stored.city]) expect(logs).not.toContain(secret);
  });
});
