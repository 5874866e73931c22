import { randomBytes } from 'node:crypto';
import { createBillingAddressClient, GrpcStatus, isServing, Metadata } from '@checkout-lab/contracts';
import { freePort, waitUntil } from '@checkout-lab/embedded';
import { createTestDatabase, serviceLogLines, spawnService, type SpawnedService } from '@checkout-lab/testing';

/**
 * Every line billing-address writes is one JSON object with the fields all three services share,
 * Nest's and grpc-js's own messages included, and a line logged inside a call carries that call's trace id.
 */
describe('billing-address logs', () => {
  const traceId = randomBytes(16).toString('hex');
  let service: SpawnedService;
  let exitCode: number | null;
  let second: { stdout: string; stderr: string; code: number | null };

  beforeAll(async () => {
    const [port, metricsPort, otherMetricsPort] = [await freePort(), await freePort(), await freePort()];
    const env = { BILLING_DATABASE_URL: await createTestDatabase('billing_logging'), BILLING_GRPC_PORT: String(port) };
    service = spawnService('services/billing-address/src/main.ts', { ...env, BILLING_METRICS_PORT: String(metricsPort) });
    try {
      const target = `127.0.0.1:${port}`;
      await waitUntil('billing-address', () => isServing(target), 60_000).catch((error: Error) => {
        throw new Error(`${error.message}:\n${service.output.stderr}${service.output.stdout}`);
      });
      const client = createBillingAddressClient(target);
      const metadata = new Metadata();
      metadata.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
      // A user with no address: NOT_FOUND, logged at debug inside the call.
      const code = await new Promise<number | undefined>((resolve) =>
        client.getBillingAddress({ userId: 'nobody' }, metadata, { deadline: Date.now() + 10_000 }, (error) => resolve(error?.code)),
      );
      expect(code).toBe(GrpcStatus.NOT_FOUND);
      client.close();
      // A second one on the same port fails to bind: grpc-js says so, then the process exits 1.
      const other = spawnService('services/billing-address/src/main.ts', { ...env, BILLING_METRICS_PORT: String(otherMetricsPort) });
      const otherCode = await other.exited;
      second = { ...other.output, code: otherCode };
    } finally {
      service.child.kill('SIGTERM');
      exitCode = await service.exited;
    }
  }, 120_000);

  it('writes only JSON lines, each with level, an ISO-8601 time, service and msg; nothing on stderr', () => {
    expect(exitCode).toBe(0);
    expect(service.output.stderr).toBe('');
    serviceLogLines(service.output.stdout, 'billing-address');
  });

  it("routes Nest's own messages through the same logger", () => {
    expect(serviceLogLines(service.output.stdout, 'billing-address')).toContainEqual(
      expect.objectContaining({ context: 'NestMicroservice', msg: 'Nest microservice successfully started', level: 20 }),
    );
  });

  it('puts the trace id of the call on the lines logged inside it', () => {
    expect(serviceLogLines(service.output.stdout, 'billing-address').filter((r) => r['trace_id'] === traceId)).toContainEqual(
      expect.objectContaining({ msg: 'billing request rejected', code: 'NOT_FOUND', span_id: expect.stringMatching(/^[0-9a-f]{16}$/) }),
    );
  });

  it("logs grpc-js's failed bind as JSON too; stderr has only the reason of the exit, as one JSON line", () => {
    expect(second.code).toBe(1);
    expect(serviceLogLines(second.stdout, 'billing-address')).toContainEqual(expect.objectContaining({ context: 'grpc-js', level: 50, msg: expect.stringMatching(/^No address added/) }));
    expect(second.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(serviceLogLines(second.stderr, 'billing-address')).toEqual([
      expect.objectContaining({ level: 60, exit_code: 1, msg: expect.stringMatching(/^billing-address: failed to start: \S/) }),
    ]);
  });
});
