import * as grpc from '@grpc/grpc-js';
import { freePort } from '@checkout-lab/embedded';
import {
  GrpcStatus,
  createPaymentClient,
  grpcError,
  isGrpcServiceError,
  isServing,
  paymentServiceDefinition,
  readErrorDetails,
} from '../src';

describe('error details across a real gRPC hop', () => {
  let server: grpc.Server;
  let address: string;

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(paymentServiceDefinition(), {
      Authorize: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback(grpcError(GrpcStatus.UNAVAILABLE, 'billing-address is unavailable', { failedDependency: 'billing-address' })),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => server.forceShutdown());

  it('reaches the client as status code, message and metadata', async () => {
    const client = createPaymentClient(address);
    const error = await new Promise<unknown>((resolve) => client.authorize({ orderId: 'o' }, (e) => resolve(e)));
    client.close();
    expect(isGrpcServiceError(error)).toBe(true);
    if (!isGrpcServiceError(error)) return;
    expect(error.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(error.details).toBe('billing-address is unavailable');
    expect(readErrorDetails(error.metadata)).toEqual({ failedDependency: 'billing-address' });
  });

  it('isServing is false, not an exception, when nothing listens', async () => {
    expect(await isServing(`127.0.0.1:${await freePort()}`, 300)).toBe(false);
  });
});
