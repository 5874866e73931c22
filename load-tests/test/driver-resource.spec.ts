import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { driverResource } from '../src/driver/tracing';

const ROOT = path.resolve(__dirname, '../..');

describe("the load driver's resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES)", () => {
  it('is load-driver in the lab environment by default', () => {
    expect(driverResource({}).attributes).toEqual({ 'service.name': 'load-driver', 'deployment.environment.name': 'lab' });
    expect(driverResource({ DEPLOYMENT_ENVIRONMENT: 'ci' }).attributes).toEqual({ 'service.name': 'load-driver', 'deployment.environment.name': 'ci' });
  });

  it('takes OTEL_RESOURCE_ATTRIBUTES over the defaults (values percent-decoded), and OTEL_SERVICE_NAME over both', () => {
    const env = { DEPLOYMENT_ENVIRONMENT: 'ci', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes, team=checkout%2Cpayments ,deployment.environment.name=staging' };
    expect(driverResource(env).attributes).toEqual({ 'service.name': 'from-attributes', 'deployment.environment.name': 'staging', team: 'checkout,payments' });
    expect(driverResource({ ...env, OTEL_SERVICE_NAME: 'k6-replacement' }).attributes).toEqual({
      'service.name': 'k6-replacement',
      'deployment.environment.name': 'staging',
      team: 'checkout,payments',
    });
  });

  it.each(['team', '=checkout', 'team=%E0%A4%A'])('refuses a malformed OTEL_RESOURCE_ATTRIBUTES (%s), naming it', (value) => {
    expect(() => driverResource({ OTEL_RESOURCE_ATTRIBUTES: `a=1,${value}` })).toThrow(/^OTEL_RESOURCE_ATTRIBUTES=/);
  });

  it('is the resource of the checkout-flow spans the driver exports', async () => {
    const bodies: Buffer[] = [];
    const collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    try {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'support', 'trace-one-iteration.ts')], {
        cwd: ROOT,
        env: {
          ...process.env,
          SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.base.json'),
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
          OTEL_SERVICE_NAME: 'driver-under-test',
          OTEL_RESOURCE_ATTRIBUTES: 'lab.host=runner-3',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      const body = Buffer.concat(bodies);
      expect(body.includes(Buffer.from('checkout-flow'))).toBe(true);
      expect(body.includes(Buffer.from('driver-under-test'))).toBe(true);
      expect(body.includes(Buffer.from('runner-3'))).toBe(true);
    } finally {
      collector.close();
    }
  });
});
