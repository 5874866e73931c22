import { ApiError } from './errors';
import { decodeForm } from './form';
import { IdempotencyStore } from './idempotency';

const endpoint = 'POST /v1/payment_intents';
const saved = { status: 200, body: '{"id":"pi_1"}\n', requestId: 'req_1' };

function errorOf(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('IdempotencyStore', () => {
  it('replays a saved response for the same parameters in any order', () => {
    const store = new IdempotencyStore();
    const claim = store.claim('k', endpoint, decodeForm('amount=1&currency=usd'));
    if (claim.kind !== 'first') throw new Error('expected the first claim');
    claim.save(saved);
    expect(store.claim('k', endpoint, decodeForm('currency=usd&amount=1'))).toEqual({ kind: 'replay', response: saved });
  });

  it('refuses other parameters, another endpoint, and a key in flight', () => {
    const store = new IdempotencyStore();
    store.claim('k', endpoint, decodeForm('amount=1'));
    expect(errorOf(() => store.claim('k', endpoint, decodeForm('amount=1'))).body).toMatchObject({
      type: 'idempotency_error',
      code: 'idempotency_key_in_use',
    });
    expect(errorOf(() => store.claim('k', endpoint, decodeForm('amount=2'))).status).toBe(400);
    expect(errorOf(() => store.claim('k', 'POST /v1/payment_methods', decodeForm('amount=1'))).body.message).toContain('same endpoint');
  });

  it('frees a key whose response was not saved', () => {
    const store = new IdempotencyStore();
    const claim = store.claim('k', endpoint, decodeForm('amount=1'));
    if (claim.kind !== 'first') throw new Error('expected the first claim');
    claim.release();
    expect(store.claim('k', endpoint, decodeForm('amount=2')).kind).toBe('first');
  });

  it('forgets keys after the time to live', () => {
    let now = 0;
    const store = new IdempotencyStore({ ttlMs: 1000, now: () => now });
    const claim = store.claim('k', endpoint, decodeForm('amount=1'));
    if (claim.kind !== 'first') throw new Error('expected the first claim');
    claim.save(saved);
    now = 1001;
    expect(store.claim('k', endpoint, decodeForm('amount=2')).kind).toBe('first');
  });

  it('forgets the oldest saved responses beyond maxKeys, never one in flight', () => {
    const store = new IdempotencyStore({ maxKeys: 2 });
    const inFlight = store.claim('a', endpoint, decodeForm('amount=1'));
    const b = store.claim('b', endpoint, decodeForm('amount=1'));
    if (b.kind !== 'first') throw new Error('expected the first claim');
    b.save(saved);
    store.claim('c', endpoint, decodeForm('amount=1'));
    expect(inFlight.kind).toBe('first');
    expect(store.size).toBe(2);
    expect(store.claim('b', endpoint, decodeForm('amount=2')).kind).toBe('first'); // b was forgotten
    expect(errorOf(() => store.claim('a', endpoint, decodeForm('amount=1'))).status).toBe(409);
  });
});
