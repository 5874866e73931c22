import * as grpc from '@grpc/grpc-js';
import {
  grpcError,
  paymentServiceDefinition,
  type AuthorizeRequest__Output,
  type AuthorizeResponse,
  type GrpcErrorPayload,
  type ResolvePaymentRequest__Output,
  type ResolvePaymentResponse,
} from '@checkout-lab/contracts';

export type FakeBehaviour = (request: AuthorizeRequest__Output) => Promise<AuthorizeResponse | GrpcErrorPayload>;
export type FakeResolveBehaviour = (request: ResolvePaymentRequest__Output) => Promise<ResolvePaymentResponse | GrpcErrorPayload>;

/**
 * A stand-in for the payment service over real gRPC, so cart's client, deadline and error
 * mapping are exercised on the wire. Records every request it receives.
 */
export class FakePaymentServer {
  readonly requests: AuthorizeRequest__Output[] = [];
  behaviour: FakeBehaviour = async (request) => ({
    paymentId: `pay-${request.idempotencyKey}`,
    status: 'succeeded',
    stripePaymentIntentId: 'pi_fake',
  });
  readonly resolveRequests: ResolvePaymentRequest__Output[] = [];
  resolveBehaviour: FakeResolveBehaviour = async () => ({ status: 'pending' });
  private readonly server = new grpc.Server();

  async start(): Promise<string> {
    this.server.addService(paymentServiceDefinition(), {
      Authorize: (call: grpc.ServerUnaryCall<AuthorizeRequest__Output, AuthorizeResponse>, callback: grpc.sendUnaryData<AuthorizeResponse>) => {
        this.requests.push(call.request);
        this.behaviour(call.request).then(
          (result) => ('code' in result ? callback(result) : callback(null, result)),
          (error: unknown) => callback(grpcError(grpc.status.INTERNAL, String(error))),
        );
      },
      ResolvePayment: (
        call: grpc.ServerUnaryCall<ResolvePaymentRequest__Output, ResolvePaymentResponse>,
        callback: grpc.sendUnaryData<ResolvePaymentResponse>,
      ) => {
        this.resolveRequests.push(call.request);
        this.resolveBehaviour(call.request).then(
          (result) => ('code' in result ? callback(result) : callback(null, result)),
          (error: unknown) => callback(grpcError(grpc.status.INTERNAL, String(error))),
        );
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    return `127.0.0.1:${port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
