import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILES } from './grpc';

/**
 * A stand-in for a dependency's grpc.health.v1 service (for tests) on a fixed port, that can be stopped and
 * started again on it: `serving`, or `hang` (never answers: a slow dependency).
 */
export class HealthServer {
  mode: 'serving' | 'hang' = 'serving';
  private server: grpc.Server | undefined;

  constructor(readonly port: number) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const proto = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_FILES.health, LOADER_OPTIONS)) as unknown as {
      grpc: { health: { v1: { Health: { service: grpc.ServiceDefinition } } } };
    };
    const server = new grpc.Server();
    server.addService(proto.grpc.health.v1.Health.service, {
      Check: (_call: unknown, callback: grpc.sendUnaryData<{ status: string }>) => {
        if (this.mode === 'serving') callback(null, { status: 'SERVING' });
      },
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(this.address, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
    );
    this.server = server;
  }

  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }
}
