import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  categoriseFrame,
  CPU_CATEGORY_RULES,
  CpuProfileFormatError,
  formatCpuTable,
  parseCpuProfile,
  readCpuProfiles,
  shortUrl,
  summariseCpuProfile,
  type CpuProfile,
  type CpuProfileNode,
} from '../src/bench/cpu-profile';

interface Frame {
  functionName: string;
  url: string;
  lineNumber?: number;
}

/**
 * A profile whose samples take the given stacks (root-most frame first) for the given
 * microseconds each, in order; hitCounts are deliberately wrong, to show they are not used.
 */
function buildProfile(samples: { stack: Frame[]; us: number }[], { startTime = 1_000_000, leadIn = 250 } = {}): CpuProfile {
  const root: CpuProfileNode = { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, hitCount: 0, children: [] };
  const nodes = [root];
  const ids: number[] = [];
  const deltas: number[] = [];
  for (const [i, { stack }] of samples.entries()) {
    let parent = root;
    for (const frame of stack) {
      const callFrame = { lineNumber: 0, ...frame };
      let node = nodes.find((n) => parent.children?.includes(n.id) && JSON.stringify(n.callFrame) === JSON.stringify(callFrame));
      if (!node) {
        node = { id: nodes.length + 1, callFrame, hitCount: 99, children: [] };
        nodes.push(node);
        parent.children?.push(node.id);
      }
      parent = node;
    }
    ids.push(parent.id);
    deltas.push(i === 0 ? leadIn : (samples[i - 1]?.us ?? 0));
  }
  const endTime = startTime + leadIn + samples.reduce((sum, s) => sum + s.us, 0);
  return { nodes, startTime, endTime, samples: ids, timeDeltas: deltas };
}

const at = (url: string, functionName = 'work'): Frame => ({ functionName, url });
const categoryMs = (profile: CpuProfile, flows = 1) =>
  Object.fromEntries(summariseCpuProfile(profile, { flows }).categories.map((c) => [c.name, c.selfMs]));

describe('CPU profile categories', () => {
  it.each([
    ['file:///work/main/node_modules/@opentelemetry/sdk-trace-base/build/src/Span.js', 'OpenTelemetry'],
    ['/work/main/node_modules/require-in-the-middle/index.js', 'OpenTelemetry'],
    ['/work/main/libs/telemetry/src/sdk.ts', 'OpenTelemetry'],
    ['/work/main/node_modules/@checkout-lab/telemetry/src/business.ts', 'OpenTelemetry'],
    ['file:///work/main/node_modules/@grpc/grpc-js/build/src/server.js', 'gRPC'],
    ['/work/main/node_modules/protobufjs/src/reader.js', 'gRPC'],
    ['/work/main/node_modules/pg/lib/client.js', 'pg'],
    ['/work/main/node_modules/pg-pool/index.js', 'pg'],
    ['/work/main/node_modules/pg-protocol/dist/parser.js', 'pg'],
    ['/work/main/node_modules/pg-types/lib/textParsers.js', 'pg'],
    ['/work/main/node_modules/postgres-date/index.js', 'pg'],
    ['/work/main/node_modules/@aws-sdk/client-dynamodb/dist-cjs/index.js', 'AWS SDK'],
    ['/work/main/node_modules/@smithy/smithy-client/dist-cjs/index.js', 'AWS SDK'],
    ['/work/main/node_modules/stripe/cjs/StripeResource.js', 'Stripe SDK'],
    ['/work/main/node_modules/@nestjs/core/router/router-execution-context.js', 'NestJS'],
    ['/work/main/node_modules/rxjs/dist/cjs/internal/Observable.js', 'NestJS'],
    ['/work/main/node_modules/reflect-metadata/Reflect.js', 'NestJS'],
    ['/work/main/node_modules/class-transformer/cjs/TransformOperationExecutor.js', 'NestJS'],
    ['/work/main/node_modules/fastify/lib/route.js', 'HTTP server'],
    ['/work/main/node_modules/@fastify/cors/index.js', 'HTTP server'],
    ['/work/main/node_modules/find-my-way/index.js', 'HTTP server'],
    ['/work/main/node_modules/light-my-request/lib/request.js', 'HTTP server'],
    ['/work/main/node_modules/avvio/boot.js', 'HTTP server'],
    ['node:_http_server', 'HTTP server'],
    ['node:_http_common', 'HTTP server'],
    ['node:http', 'HTTP server'],
    ['node:net', 'HTTP server'],
    ['/work/main/node_modules/pino/lib/tools.js', 'pino'],
    ['/work/main/node_modules/sonic-boom/index.js', 'pino'],
    ['/work/main/node_modules/thread-stream/index.js', 'pino'],
    ['/work/main/node_modules/zod/v4/core/schemas.cjs', 'zod'],
    ['/work/main/node_modules/@swc-node/register/lib/register.js', 'module loading'],
    ['node:internal/modules/cjs/loader', 'module loading'],
    ['/work/main/services/cart/src/checkout/checkout.service.ts', 'app code'],
    ['/work/main/libs/billing-store/src/postgres.billing-address.store.ts', 'app code'],
    ['/work/main/node_modules/@checkout-lab/config/src/env.ts', 'app code'],
    ['node:internal/streams/writable', 'node internals'],
    ['node:events', 'node internals'],
    ['/tmp/script.js', 'other'],
    ['/work/main/node_modules/semver/index.js', 'other'],
  ])('puts %s in %s', (url, expected) => {
    expect(categoriseFrame(at(url))).toBe(expected);
  });

  it.each([
    ['(garbage collector)', '(garbage collector)'],
    ['(idle)', '(idle)'],
    ['(program)', '(program)'],
    ['writev', 'node internals'],
    ['RegExp: ^[a-z]+$', 'node internals'],
  ])('puts the URL-less frame %s in %s', (functionName, expected) => {
    expect(categoriseFrame({ functionName, url: '' })).toBe(expected);
  });

  it.each([
    ['file:///home/dev/checkout%20lab/services/payment/src/payment.service.ts', 'app code', 'services/payment/src/payment.service.ts'],
    ['C:\\src\\lab\\node_modules\\pg\\lib\\client.js', 'pg', 'pg/lib/client.js'],
    ['/work/other-checkout/libs/telemetry/src/processors.ts', 'OpenTelemetry', 'libs/telemetry/src/processors.ts'],
    // A package nested in a project's own node_modules is the package, not app code.
    ['/work/main/libs/report/node_modules/zod/index.cjs', 'zod', 'zod/index.cjs'],
    ['file:///work/main/node_modules/@grpc/grpc-js/build/src/call.js', 'gRPC', '@grpc/grpc-js/build/src/call.js'],
  ])('reads the path form %s', (url, category, short) => {
    expect(categoriseFrame(at(url))).toBe(category);
    expect(shortUrl(at(url))).toBe(short);
  });

  it('takes the first matching rule, so a rule put in front overrides the table', () => {
    const rules = [{ category: 'pg driver parser', packages: ['pg-protocol'] }, ...CPU_CATEGORY_RULES];
    expect(categoriseFrame(at('/r/node_modules/pg-protocol/dist/parser.js'), rules)).toBe('pg driver parser');
    expect(categoriseFrame(at('/r/node_modules/pg/lib/client.js'), rules)).toBe('pg');
  });
});

describe('summariseCpuProfile', () => {
  it('times samples from timeDeltas, each lasting until the next sample and the last until endTime', () => {
    const profile = buildProfile([
      { stack: [at('/r/node_modules/pg/lib/client.js')], us: 3000 },
      { stack: [at('/r/services/cart/src/main.ts')], us: 1000 },
      { stack: [at('/r/node_modules/pg/lib/client.js')], us: 500 },
    ]);
    expect(categoryMs(profile)).toEqual({ pg: 3.5, 'app code': 1 });
    expect(summariseCpuProfile(profile, { flows: 1 }).totalMs).toBe(4.5);
  });

  it('falls back to hitCount over the profile duration when there are no samples', () => {
    const profile: CpuProfile = {
      startTime: 0,
      endTime: 4000,
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, hitCount: 0, children: [2, 3] },
        { id: 2, callFrame: { functionName: 'query', url: '/r/node_modules/pg/lib/client.js', lineNumber: 1 }, hitCount: 3 },
        { id: 3, callFrame: { functionName: 'parse', url: '/r/node_modules/zod/index.js', lineNumber: 1 }, hitCount: 1 },
      ],
    };
    expect(categoryMs(profile)).toEqual({ pg: 3, zod: 1 });
  });

  it('leaves (idle) and (program) out of busy time and shares, and lists them last', () => {
    const profile = buildProfile([
      { stack: [{ functionName: '(idle)', url: '' }], us: 6000 },
      { stack: [at('/r/node_modules/fastify/lib/route.js')], us: 3000 },
      { stack: [{ functionName: '(program)', url: '' }], us: 2000 },
      { stack: [{ functionName: '(garbage collector)', url: '' }], us: 1000 },
    ]);
    const summary = summariseCpuProfile(profile, { flows: 10 });
    expect(summary.totalMs).toBe(12);
    expect(summary.busyMs).toBe(4);
    expect(summary.categories).toEqual([
      { name: 'HTTP server', selfMs: 3, share: 0.75, msPerFlow: 0.3 },
      { name: '(garbage collector)', selfMs: 1, share: 0.25, msPerFlow: 0.1 },
      { name: '(idle)', selfMs: 6, share: null, msPerFlow: 0.6 },
      { name: '(program)', selfMs: 2, share: null, msPerFlow: 0.2 },
    ]);
    expect(summary.topFunctions.map((f) => f.name)).not.toContain('(idle)');
  });

  it('sums a function over its call paths in topFunctions, with a short URL and 1-based line', () => {
    const serialize = { functionName: 'serialize', url: 'file:///work/main/node_modules/pg-protocol/dist/serializer.js', lineNumber: 41 };
    const profile = buildProfile([
      { stack: [at('/work/main/services/cart/src/a.ts', 'a'), serialize], us: 2000 },
      { stack: [at('/work/main/services/cart/src/b.ts', 'b'), serialize], us: 1500 },
      { stack: [at('/work/main/services/cart/src/b.ts', 'b')], us: 1000 },
      { stack: [{ functionName: '', url: '/work/main/services/cart/src/c.ts', lineNumber: 9 }], us: 100 },
    ]);
    const { topFunctions } = summariseCpuProfile(profile, { flows: 1 });
    expect(topFunctions).toEqual([
      { name: 'serialize', url: 'pg-protocol/dist/serializer.js', line: 42, category: 'pg', selfMs: 3.5 },
      { name: 'b', url: 'services/cart/src/b.ts', line: 1, category: 'app code', selfMs: 1 },
      { name: '(anonymous)', url: 'services/cart/src/c.ts', line: 10, category: 'app code', selfMs: 0.1 },
    ]);
    expect(summariseCpuProfile(profile, { flows: 1, topFunctions: 1 }).topFunctions).toHaveLength(1);
  });

  it('keeps the 15 functions with the most self time by default', () => {
    const profile = buildProfile(Array.from({ length: 20 }, (_, i) => ({ stack: [at('/r/services/x/src/f.ts', `f${i}`)], us: 1000 + i })));
    const names = summariseCpuProfile(profile, { flows: 1 }).topFunctions.map((f) => f.name);
    expect(names).toHaveLength(15);
    expect(names[0]).toBe('f19');
    expect(names).not.toContain('f4');
  });

  it('refuses a flow count that is not positive', () => {
    expect(() => summariseCpuProfile(buildProfile([]), { flows: 0 })).toThrow('flows must be a positive number (got 0)');
  });
});

describe('readCpuProfiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cpu-profile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const first = buildProfile(
    [
      { stack: [at('/r/node_modules/@grpc/grpc-js/build/src/server.js')], us: 2000 },
      { stack: [{ functionName: '(idle)', url: '' }], us: 5000 },
    ],
    { startTime: 1_000_000 },
  );
  const second = buildProfile(
    [
      { stack: [at('/r/node_modules/stripe/cjs/stripe.core.js')], us: 1000 },
      { stack: [at('/r/node_modules/@grpc/grpc-js/build/src/server.js')], us: 4000 },
    ],
    { startTime: 9_000_000 },
  );

  it("merges every .cpuprofile file of a directory, keeping each sample's time", async () => {
    writeFileSync(path.join(dir, 'CPU.2.cpuprofile'), JSON.stringify(second));
    writeFileSync(path.join(dir, 'CPU.1.cpuprofile'), JSON.stringify(first));
    writeFileSync(path.join(dir, 'notes.txt'), 'not a profile');
    const merged = await readCpuProfiles(dir);
    expect(categoryMs(merged)).toEqual({ gRPC: 6, 'Stripe SDK': 1, '(idle)': 5 });
    expect(summariseCpuProfile(merged, { flows: 1 }).busyMs).toBe(7);
    expect(new Set(merged.nodes.map((n) => n.id)).size).toBe(merged.nodes.length);
    expect(merged.nodes.filter((n) => n.callFrame.functionName === '(root)')).toHaveLength(1);
    expect(() => parseCpuProfile(JSON.parse(JSON.stringify(merged)))).not.toThrow();
  });

  it('says so when the directory has no profiles', async () => {
    await expect(readCpuProfiles(dir)).rejects.toThrow(`no .cpuprofile files in ${dir}`);
  });

  it('names the file that is not a CPU profile', async () => {
    writeFileSync(path.join(dir, 'a.cpuprofile'), JSON.stringify({ nodes: [], startTime: 0, endTime: 1 }));
    writeFileSync(path.join(dir, 'b.cpuprofile'), '{');
    const error = await readCpuProfiles(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CpuProfileFormatError);
    expect((error as Error).message).toMatch(/[ab]\.cpuprofile (is not JSON|is not a V8 CPU profile: nodes)/);
  });
});

describe('formatCpuTable', () => {
  const summaries = {
    cart: summariseCpuProfile(
      buildProfile([
        { stack: [at('/r/node_modules/fastify/lib/route.js')], us: 3000 },
        { stack: [at('/r/node_modules/@opentelemetry/core/build/src/x.js')], us: 1000 },
        { stack: [{ functionName: '(idle)', url: '' }], us: 8000 },
      ]),
      { flows: 2 },
    ),
    'billing-address': summariseCpuProfile(buildProfile([{ stack: [at('/r/node_modules/pg/lib/client.js')], us: 500 }]), { flows: 2 }),
  };

  it('prints a plain-text table with per-flow figures, shares and each busy total', () => {
    const lines = formatCpuTable(summaries).split('\n');
    expect(lines[0]).toMatch(/^service\s+category\s+ms\/flow\s+share$/);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cart\s+HTTP server\s+1\.500\s+75\.0 %$/),
        expect.stringMatching(/^cart\s+OpenTelemetry\s+0\.500\s+25\.0 %$/),
        expect.stringMatching(/^cart\s+busy \(total\)\s+2\.000\s+100\.0 %$/),
        expect.stringMatching(/^cart\s+\(idle\)\s+4\.000\s+–$/),
        expect.stringMatching(/^billing-address\s+pg\s+0\.250\s+100\.0 %$/),
      ]),
    );
    const widths = new Set(lines.filter((l) => l.endsWith('%')).map((l) => l.length));
    expect(widths.size).toBe(1);
  });

  it('prints a markdown table for a README', () => {
    const lines = formatCpuTable(summaries, 'markdown').split('\n');
    expect(lines[0]).toBe('| service | category | ms/flow | share |');
    expect(lines[1]).toBe('| --- | --- | ---: | ---: |');
    expect(lines).toContain('| cart | HTTP server | 1.500 | 75.0 % |');
    expect(lines).toContain('| billing-address | busy (total) | 0.250 | 100.0 % |');
  });
});
