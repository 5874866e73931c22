import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { BillingStoreUnavailableError, seedBillingAddresses } from '@checkout-lab/billing-store';
import {
  createBillingAddressClient,
  createHealthClient,
  GrpcStatus,
  isGrpcServiceError,
  isServing,
  readErrorDetails,
  type BillingAddress,
  type BillingAddress__Output,
  type BillingAddressServiceClient,
} from '@checkout-lab/contracts';
import { freePort } from '@checkout-lab/embedded';
import { createTestDatabase } from '@checkout-lab/testing';
import { startBillingAddressService, type RunningBillingAddressService } from '../src/bootstrap';
import { loadConfig } from '../src/config';

const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Collects the service's log lines. */
function logSink(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function getAddress(client: BillingAddressServiceClient, userId: string): Promise<BillingAddress__Output> {
  return new Promise((resolve, reject) => {
    client.getBillingAddress({ userId }, { deadline: Date.now() + 5_000 }, (error, response) =>
      error || !response ? reject(error ?? new Error('no response')) : resolve(response),
    );
  });
}

function putAddress(client: BillingAddressServiceClient, address: BillingAddress | null): Promise<BillingAddress__Output> {
  return new Promise((resolve, reject) => {
    client.putBillingAddress({ address }, { deadline: Date.now() + 5_000 }, (error, response) =>
      error || !response ? reject(error ?? new Error('no response')) : resolve(response),
    );
  });
}

/** The gRPC error a call failed with: asserts it is one (not a local failure). */
async function failure(call: Promise<unknown>): Promise<{ code: GrpcStatus; details: string; metadata: ReturnType<typeof readErrorDetails> }> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isGrpcServiceError(error)) throw new Error(`expected a gRPC error, got ${String(error)}`);
  return { code: error.code, details: error.details, metadata: readErrorDetails(error.metadata) };
}

async function startOn(databaseUrl: string, extra: NodeJS.ProcessEnv = {}, logs = logSink()) {
  const config = loadConfig({
    BILLING_DATABASE_URL: databaseUrl,
    BILLING_GRPC_PORT: String(await freePort()),
    LOG_LEVEL: 'debug',
    ...extra,
  });
  const service = await startBillingAddressService(config, { logDestination: logs.stream });
  return { service, logs, client: createBillingAddressClient(service.address) };
}

const newAddress = (override: Partial<BillingAddress__Output> = {}): Omit<BillingAddress__Output, 'updatedAt'> => ({
  addressId: `addr-grpc-${Math.random().toString(36).slice(2)}`,
  userId: 'grpc-user',
  name: 'Zoë Ångström 张伟',
  email: 'zoe@example.org',
  line1: '42 Privacy Street',
  line2: 'Flat 9',
  city: 'København',
  state: '',
  postalCode: '1050',
  country: 'DK',
  isDefault: true,
  ...override,
});

describe('billing-address over gRPC', () => {
  let databaseUrl: string;
  let service: RunningBillingAddressService;
  let client: BillingAddressServiceClient;
  let logs: ReturnType<typeof logSink>;
  let db: Client;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('billing_address');
    ({ service, client, logs } = await startOn(databaseUrl, {
      BILLING_SQL_PROFILE: 'indexed',
      BILLING_DB_STATEMENT_TIMEOUT_MS: '500',
    }));
    await seedBillingAddresses(databaseUrl, { users: 50, addressesPerUser: 3 });
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    client?.close();
    await db?.end();
    await service?.close();
  });

  it('logs once that it is listening, with the address, store and profile', () => {
    const listening = logs.lines().filter((line) => line['msg'] === 'billing-address listening');
    expect(listening).toEqual([
      expect.objectContaining({ address: service.address, store: 'sql', profile: 'indexed', level: 30 }),
    ]);
  });

  it('reports SERVING on the standard health service, NOT_FOUND for an unknown service', async () => {
    await expect(isServing(service.address)).resolves.toBe(true);
    const health = createHealthClient(service.address);
    const unknown = await failure(
      new Promise((resolve, reject) =>
        health.check({ service: 'no.such.Service' }, (error, response) => (error ? reject(error) : resolve(response))),
      ),
    );
    health.close();
    expect(unknown.code).toBe(GrpcStatus.NOT_FOUND);
  });

  it("returns a seeded user's latest default address", async () => {
    const { rows } = await db.query<{ address_id: string }>(
      "SELECT address_id FROM billing_addresses WHERE user_id = 'user-7' AND is_default ORDER BY updated_at DESC LIMIT 1",
    );
    const address = await getAddress(client, 'user-7');

    expect(address).toMatchObject({ addressId: rows[0]?.address_id, userId: 'user-7', isDefault: true });
    expect(address.updatedAt).toMatch(RFC_3339);
    expect(address.name).not.toBe('');
  });

  it('answers NOT_FOUND, with the reason in metadata, for a user without a default address', async () => {
    const error = await failure(getAddress(client, 'user-999999'));
    expect(error).toMatchObject({ code: GrpcStatus.NOT_FOUND, metadata: { reason: 'billing_address_missing' } });
  });

  it.each([
    ['empty', ''],
    ['over 200 characters', 'u'.repeat(201)],
  ])('answers INVALID_ARGUMENT for a user_id that is %s', async (_case, userId) => {
    const error = await failure(getAddress(client, userId));
    expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error.details).toContain('user_id');
  });

  it('stores an address and serves it back', async () => {
    const input = newAddress();
    const before = Date.now();
    const stored = await putAddress(client, { ...input, updatedAt: '1999-12-31T23:59:59Z' });

    expect(stored).toEqual({ ...input, updatedAt: expect.stringMatching(RFC_3339) });
    expect(Math.abs(Date.parse(stored.updatedAt) - before)).toBeLessThan(60_000);
    await expect(getAddress(client, input.userId)).resolves.toEqual(stored);
  });

  it('answers INVALID_ARGUMENT, naming the field, for an invalid or missing address', async () => {
    const invalid = await failure(putAddress(client, newAddress({ country: 'Denmark' })));
    expect(invalid.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(invalid.details).toMatch(/^country /);
    expect(invalid.details).not.toContain('Denmark');

    const missing = await failure(putAddress(client, null));
    expect(missing).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: 'address is required' });
  });

  describe('bad input is INVALID_ARGUMENT and writes nothing', () => {
    const MB = 1024 * 1024;
    const count = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM billing_addresses')).rows[0]?.n);

    it.each([
      ['a NUL in user_id', 'user\u00001'],
      ['a 1 MB user_id', 'u'.repeat(MB)],
      ['a blank user_id', '   '],
    ])('GetBillingAddress with %s', async (_what, userId) => {
      const error = await failure(getAddress(client, userId));
      expect(error).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, metadata: { reason: 'invalid_argument' } });
      expect(error.details).toContain('user_id');
      expect(error.details.length).toBeLessThan(200); // names the field, never echoes the value
    });

    it.each([
      ['a NUL in name', { name: 'Zo\u0000e' }, 'name'],
      ['a NUL in address_id', { addressId: 'addr\u0000x' }, 'addressId'],
      ['an empty address_id', { addressId: '' }, 'addressId'],
      ['a 1 MB line1', { line1: 'x'.repeat(MB) }, 'line1'],
      ['a 1 MB user_id', { userId: 'u'.repeat(MB) }, 'userId'],
      ['a missing name', { name: '' }, 'name'],
      ['a lower-case country', { country: 'dk' }, 'country'],
      ['a malformed e-mail', { email: 'not an e-mail' }, 'email'],
    ])('PutBillingAddress with %s', async (_what, override, field) => {
      const before = await count();
      const error = await failure(putAddress(client, { ...newAddress(override), updatedAt: '' }));
      expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(error.details.startsWith(field)).toBe(true);
      expect(error.details.length).toBeLessThan(200);
      expect(await count()).toBe(before);
    });

    it("refuses to move another user's address to a new user (FAILED_PRECONDITION)", async () => {
      const mine = await putAddress(client, { ...newAddress({ userId: 'owner-user' }), updatedAt: '' });
      const error = await failure(putAddress(client, { ...mine, userId: 'thief-user', name: 'Someone Else' }));
      expect(error).toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION, metadata: { reason: 'address_owned_by_another_user' } });
      await expect(getAddress(client, 'owner-user')).resolves.toEqual(mine);
      expect((await failure(getAddress(client, 'thief-user'))).code).toBe(GrpcStatus.NOT_FOUND);
    });
  });

  it('answers DEADLINE_EXCEEDED, naming the database, when a lookup outlives the statement timeout', async () => {
    await db.query('BEGIN');
    await db.query('LOCK TABLE billing_addresses IN ACCESS EXCLUSIVE MODE');
    let error: Awaited<ReturnType<typeof failure>>;
    try {
      error = await failure(getAddress(client, 'user-3'));
    } finally {
      await db.query('ROLLBACK');
    }
    expect(error).toMatchObject({
      code: GrpcStatus.DEADLINE_EXCEEDED,
      details: 'billing store did not answer in time',
      metadata: { failedDependency: 'billing-db', reason: 'billing_store_timeout' },
    });
    await expect(getAddress(client, 'user-3')).resolves.toMatchObject({ userId: 'user-3' });
  });

  it('never logs names, e-mails or address lines', async () => {
    const { rows } = await db.query<{ name: string; email: string; line1: string }>(
      "SELECT name, email, line1 FROM billing_addresses WHERE user_id IN ('user-3', 'user-7')",
    );
    const secrets = [...rows.flatMap((row) => [row.name, row.email, row.line1]), 'Zoë', 'zoe@example.org', 'Privacy Street'];
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

describe('billing-address when its database goes away after start-up', () => {
  it('answers UNAVAILABLE, naming the database, and recovers when it is back', async () => {
    const databaseUrl = await createTestDatabase('billing_address_outage');
    const { service, client } = await startOn(databaseUrl, { BILLING_DB_CONNECT_TIMEOUT_MS: '500' });
    const name = new URL(databaseUrl).pathname.slice(1);
    const admin = new Client({ connectionString: process.env['TEST_POSTGRES_URL'] });
    await admin.connect();
    try {
      await putAddress(client, newAddress({ userId: 'outage-user' }));

      // Take the database away under the running service: drop its connections, rename it.
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      await admin.query(`ALTER DATABASE ${name} RENAME TO ${name}_gone`);
      const error = await failure(getAddress(client, 'outage-user'));
      expect(error).toMatchObject({
        code: GrpcStatus.UNAVAILABLE,
        details: 'billing store unavailable',
        metadata: { failedDependency: 'billing-db', reason: 'billing_store_unavailable' },
      });

      await admin.query(`ALTER DATABASE ${name}_gone RENAME TO ${name}`);
      await expect(getAddress(client, 'outage-user')).resolves.toMatchObject({ userId: 'outage-user' });
    } finally {
      await admin.end();
      client.close();
      await service.close();
    }
  });
});

describe('billing-address readiness', () => {
  it('is NOT_SERVING while its store refuses connections, and SERVING again once it accepts them', async () => {
    const databaseUrl = await createTestDatabase('billing_address_ready');
    const name = new URL(databaseUrl).pathname.slice(1);
    const adminUrl = new URL(databaseUrl);
    adminUrl.pathname = '/postgres';
    const admin = new Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    const { service, client } = await startOn(databaseUrl, { BILLING_SQL_PROFILE: 'indexed' });
    try {
      await expect(isServing(service.address)).resolves.toBe(true);
      // The server turns the database's connections away (as when it is down), and drops the pooled ones.
      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      await waitFor(async () => !(await isServing(service.address)));
      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      await waitFor(() => isServing(service.address));
    } finally {
      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end();
      client.close();
      await service.close();
    }
  });
});

/** Polls `condition` every 200 ms for up to 10 s (readiness caches each check for 1 s). */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('billing-address start-up', () => {
  it('fails fast, naming the server, when the database is unreachable, and leaves its port free', async () => {
    const grpcPort = await freePort();
    const dbPort = await freePort();
    const config = loadConfig({
      BILLING_DATABASE_URL: `postgres://lab:hunter2@127.0.0.1:${dbPort}/billing`,
      BILLING_GRPC_PORT: String(grpcPort),
      LOG_LEVEL: 'silent',
    });

    const error = await startBillingAddressService(config).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BillingStoreUnavailableError);
    expect((error as Error).message).toContain(`127.0.0.1:${dbPort}`);
    expect((error as Error).message).not.toContain('hunter2');

    await expect(canListen(grpcPort)).resolves.toBe(true);
  });

  it('rejects, and closes what it opened, when the gRPC port is taken', async () => {
    const databaseUrl = await createTestDatabase('billing_address_port');
    const first = await startOn(databaseUrl);
    const [, port] = first.service.address.split(':');
    const config = loadConfig({ BILLING_DATABASE_URL: databaseUrl, BILLING_GRPC_PORT: port, LOG_LEVEL: 'silent' });
    const grpcLog = jest.spyOn(console, 'error').mockImplementation(() => undefined); // grpc-js reports the bind failure
    try {
      await expect(startBillingAddressService(config)).rejects.toThrow(/bind|address|in use/i);
    } finally {
      grpcLog.mockRestore();
      first.client.close();
      await first.service.close();
    }
    await expect(canListen(Number(port))).resolves.toBe(true);
  });
});

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
