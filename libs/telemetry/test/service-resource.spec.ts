import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serviceIdentity, serviceResourceAttributes } from '../src/settings';

/** A service's own resource attributes come from the function its package.json names, never from its name. */
describe('serviceResourceAttributes', () => {
  let root: string;
  const service = (name: string, manifest: Record<string, unknown>, files: Record<string, string> = {}) => {
    const dir = path.join(root, name);
    mkdirSync(path.join(dir, 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '1.2.3', ...manifest }));
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    return path.join(dir, 'src', 'main.ts');
  };

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'telemetry-resource-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("calls the service's telemetryResource with the environment", () => {
    const entry = service('billing-address', { telemetryResource: './src/resource.js' }, {
      'src/resource.js': "exports.telemetryResource = (env) => ({ 'billing.store': env.BILLING_STORE || 'sql' });",
    });
    const identity = serviceIdentity(entry);
    expect(identity).toEqual({ name: 'billing-address', version: '1.2.3', resourceModule: path.join(root, 'billing-address', 'src', 'resource.js') });
    expect(serviceResourceAttributes(identity, { BILLING_STORE: 'dynamodb' })).toEqual({ 'billing.store': 'dynamodb' });
  });

  it('adds nothing for a service that names none, whatever the environment holds', () => {
    const identity = serviceIdentity(service('cart', {}));
    expect(identity).toEqual({ name: 'cart', version: '1.2.3' });
    expect(serviceResourceAttributes(identity, { BILLING_STORE: 'dynamodb' })).toEqual({});
  });

  it('says which module is wrong when it exports no telemetryResource', () => {
    const identity = serviceIdentity(service('payment', { telemetryResource: './src/none.js' }, { 'src/none.js': 'exports.other = 1;' }));
    expect(() => serviceResourceAttributes(identity, {})).toThrow(/none\.js \(package\.json "telemetryResource"\) exports no telemetryResource function/);
  });
});
