import { randomUUID } from 'node:crypto';
import type { BillingAddress, BillingAddressInput, BillingAddressStore } from './billing-address.store';
import { InvalidBillingAddressError } from './billing-store.errors';

/**
 * The behaviour every BillingAddressStore adapter must have, as a Jest suite. Call it from an
 * adapter's spec with a factory for a store on a real, empty, ready backend:
 *
 *   describeBillingAddressStoreContract('PostgresBillingAddressStore (legacy)', async () => ...);
 *
 * The suite makes one store, closes it at the end, and gives each test users of its own.
 */
export function describeBillingAddressStoreContract(name: string, makeStore: () => Promise<BillingAddressStore>): void {
  describe(`${name} — BillingAddressStore contract`, () => {
    let store: BillingAddressStore;

    beforeAll(async () => {
      store = await makeStore();
    });

    afterAll(async () => {
      await store.close();
    });

    it('answers a ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('returns null for a user without addresses', async () => {
      await expect(store.getCurrent(newUserId())).resolves.toBeNull();
    });

    it('returns the latest default address and ignores newer non-default ones', async () => {
      const userId = newUserId();
      const older = await store.put(address(userId, { city: 'Older default' }));
      const latest = await store.put(address(userId, { city: 'Latest default' }));
      await store.put(address(userId, { city: 'Newest but not default', isDefault: false }));
      await store.put(address(newUserId(), { city: 'Someone else' }));

      expect(latest.updatedAt.getTime()).toBeGreaterThanOrEqual(older.updatedAt.getTime());
      await expect(store.getCurrent(userId)).resolves.toEqual(latest);

      // Writing the older default again makes it the latest.
      const rewritten = await store.put(withoutUpdatedAt(older));
      await expect(store.getCurrent(userId)).resolves.toEqual(rewritten);
    });

    it('returns what put stored, with updatedAt set by the store', async () => {
      const input = address(newUserId());
      const before = Date.now();
      const stored = await store.put(input);

      expect(stored).toEqual({ ...input, updatedAt: expect.any(Date) });
      // The store's clock, not the caller's: allow for some skew between the two.
      expect(Math.abs(stored.updatedAt.getTime() - before)).toBeLessThan(60_000);
      await expect(store.getCurrent(input.userId)).resolves.toEqual(stored);
    });

    it('replaces an address with the same addressId', async () => {
      const userId = newUserId();
      const first = address(userId, { city: 'First city' });
      await store.put(first);
      const replaced = await store.put({ ...first, city: 'Second city', line2: 'Floor 3' });

      expect(replaced).toMatchObject({ addressId: first.addressId, city: 'Second city', line2: 'Floor 3' });
      await expect(store.getCurrent(userId)).resolves.toEqual(replaced);

      // Replaced by a non-default version, the user has no current address any more.
      await store.put({ ...first, isDefault: false });
      await expect(store.getCurrent(userId)).resolves.toBeNull();
    });

    it('falls back to the previous default when the current one stops being a default', async () => {
      const userId = newUserId();
      const first = await store.put(address(userId, { city: 'First default' }));
      const second = await store.put(address(userId, { city: 'Second default' }));
      await expect(store.getCurrent(userId)).resolves.toEqual(second);

      await store.put({ ...withoutUpdatedAt(second), isDefault: false });
      await expect(store.getCurrent(userId)).resolves.toEqual(first);
    });

    it('keeps every address when one user\'s addresses are written concurrently; the last acknowledged default wins', async () => {
      const userId = newUserId();
      const inputs = Array.from({ length: 10 }, (_, i) => address(userId, { city: `Parallel ${i}` }));
      await Promise.all(inputs.map((input) => store.put(input)));
      const last = await store.put(address(userId, { city: 'After all of them' }));

      await expect(store.getCurrent(userId)).resolves.toEqual(last);
      // Each of the parallel addresses was stored: making it non-default again leaves "last" current.
      for (const input of inputs.slice(0, 3)) await store.put({ ...input, isDefault: false });
      await expect(store.getCurrent(userId)).resolves.toEqual(last);
    });

    it('round-trips unicode and long fields exactly', async () => {
      const long = 'Ünïcödé straße 東京都 '.repeat(40).slice(0, 498) + '🏠'; // 500 UTF-16 units
      const input = address(newUserId(), {
        name: 'Zoë Ångström-Nguyễn 张伟 👩‍💻',
        line1: long,
        line2: "O'Brien \"quoted\" \\ back\\slash\ttab\nnewline",
        city: 'São Paulo',
        state: 'Île-de-France',
        postalCode: '〒100-0001',
      });
      expect(input.line1).toHaveLength(500);
      const stored = await store.put(input);

      expect(stored).toEqual({ ...input, updatedAt: stored.updatedAt });
      await expect(store.getCurrent(input.userId)).resolves.toEqual(stored);
    });

    it('keeps one consistent address when the same addressId is written concurrently', async () => {
      const userId = newUserId();
      const addressId = newUserId();
      const writes = Array.from({ length: 12 }, (_, i) =>
        address(userId, { addressId, name: `Writer ${i}`, line1: `${i} Concurrent Way`, postalCode: `C${i}` }),
      );
      const results = await Promise.all(writes.map((input) => store.put(input)));
      const current = await store.getCurrent(userId);

      expect(current).not.toBeNull();
      // Every field comes from one and the same write: no mix of two writers.
      const writer = writes.findIndex((input) => input.name === current?.name);
      expect(writer).toBeGreaterThanOrEqual(0);
      expect(current).toEqual({ ...writes[writer], updatedAt: expect.any(Date) });
      expect(results.some((result) => result.name === current?.name)).toBe(true);
    });

    it.each<[string, string, Partial<BillingAddressInput>]>([
      ['addressId', 'empty', { addressId: '' }],
      ['addressId', '201 characters', { addressId: 'a'.repeat(201) }],
      ['userId', 'blank', { userId: '  ' }],
      ['userId', '201 characters', { userId: 'u'.repeat(201) }],
      ['name', 'empty', { name: '' }],
      ['line1', '1001 characters', { line1: 'x'.repeat(1001) }],
      ['city', 'with a NUL character', { city: 'Nul\u0000city' }],
      ['country', 'not ISO alpha-2', { country: 'usa' }],
      ['email', 'not an address', { email: 'not an e-mail' }],
      ['isDefault', 'not a boolean', { isDefault: 'yes' as unknown as boolean }],
    ])('rejects %s (%s) with InvalidBillingAddressError naming the field', async (field, _case, override) => {
      const input = address(newUserId(), override);
      const error = await store.put(input).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(InvalidBillingAddressError);
      expect((error as InvalidBillingAddressError).field).toBe(field);
      expect((error as Error).message).toContain(field);
      if (input.userId.trim() !== '' && input.userId.length <= 200) {
        await expect(store.getCurrent(input.userId)).resolves.toBeNull();
      }
    });

    it('rejects an unusable user id on lookup with InvalidBillingAddressError', async () => {
      await expect(store.getCurrent('')).rejects.toBeInstanceOf(InvalidBillingAddressError);
      await expect(store.getCurrent('u'.repeat(201))).rejects.toThrow(/userId/);
    });
  });
}

function newUserId(): string {
  return `contract-${randomUUID()}`;
}

function address(userId: string, override: Partial<BillingAddressInput> = {}): BillingAddressInput {
  return {
    addressId: `addr-${randomUUID()}`,
    userId,
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    line1: '12 St James Square',
    line2: '',
    city: 'London',
    state: '',
    postalCode: 'SW1Y 4JH',
    country: 'GB',
    isDefault: true,
    ...override,
  };
}

function withoutUpdatedAt({ updatedAt: _updatedAt, ...input }: BillingAddress): BillingAddressInput {
  return input;
}
