import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { BillingStoreUnavailableError } from '@checkout-lab/billing-store';
import {
  createBillingAddressClient,
  GrpcStatus,
  isGrpcServiceError,
  readErrorDetails,
  type BillingAddress,
  type BillingAddress__Output,
  type BillingAddressServiceClient,
} from '@checkout-lab/contracts';
import { freePort } from '@checkout-lab/embedded';
import { testDynamoEndpoint } from '@checkout-lab/testing';
import { startBillingAddressService, type RunningBillingAddressService } from '../src/bootstrap';
import { loadConfig } from '../src/config';

// The service takes credentials from the AWS default chain; dynalite accepts any.
process.env['AWS_ACCESS_KEY_ID'] ??= 'lab';
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'lab';

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

function call<T>(run: (done: (error: Error | null, response?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    run((error, response) => (error || !response ? reject(error ?? new Error('no response')) : resolve(response))),
  );
}

describe('billing-address with BILLING_STORE=dynamodb', () => {
  let service: RunningBillingAddressService;
  let client: BillingAddressServiceClient;
  const table = `billing_${randomUUID()}`;

  beforeAll(async () => {
    const config = loadConfig({
      BILLING_STORE: 'dynamodb',
      DYNAMODB_ENDPOINT: testDynamoEndpoint(),
      DYNAMODB_TABLE: table,
      BILLING_GRPC_PORT: String(await freePort()),
      BILLING_METRICS_PORT: String(await freePort()),
    });
    service = await startBillingAddressService(config, { logDestination: quiet });
    client = createBillingAddressClient(service.address);
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  it('creates its table at start-up, stores an address and serves it back as the current one', async () => {
    const address: BillingAddress = {
      addressId: 'addr-dynamo-grpc',
      userId: 'dynamo-user',
      name: 'Zoë Ångström 张伟',
      email: 'zoe@example.org',
      line1: '42 Privacy Street',
      line2: '',
      city: 'København',
      state: '',
      postalCode: '1050',
      country: 'DK',
      isDefault: true,
    };
    const stored = await call<BillingAddress__Output>((done) => client.putBillingAddress({ address }, { deadline: Date.now() + 5_000 }, done));
    const current = await call<BillingAddress__Output>((done) =>
      client.getBillingAddress({ userId: 'dynamo-user' }, { deadline: Date.now() + 5_000 }, done),
    );
    expect(current).toEqual(stored);
    expect(current).toMatchObject({ addressId: 'addr-dynamo-grpc', city: 'København' });
  });

  it('answers NOT_FOUND for a user without an address', async () => {
    const error = await call((done) => client.getBillingAddress({ userId: 'nobody' }, { deadline: Date.now() + 5_000 }, done)).catch(
      (caught: unknown) => caught,
    );
    if (!isGrpcServiceError(error)) throw new Error(`expected a gRPC error, got ${String(error)}`);
    expect(error.code).toBe(GrpcStatus.NOT_FOUND);
    expect(readErrorDetails(error.metadata).reason).toBe('billing_address_missing');
  });

  it('fails fast at start-up, naming the endpoint, when DynamoDB is unreachable', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const config = loadConfig({
      BILLING_STORE: 'dynamodb',
      DYNAMODB_ENDPOINT: endpoint,
      BILLING_GRPC_PORT: String(await freePort()),
      BILLING_METRICS_PORT: String(await freePort()),
    });
    const error = await startBillingAddressService(config, { logDestination: quiet }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BillingStoreUnavailableError);
    expect((error as Error).message).toContain(endpoint);
  });
});
