// One lint configuration for the workspace; each project's eslint.config.mjs re-exports it.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Which projects may import which (Nx module boundaries), by tag. Each library family has a scope:
 * - scope:shared — config, contracts (the gRPC API), telemetry (with the lab's span names and
 *   attribute keys), database: what every service may use;
 * - scope:billing — the billing store: billing-address and the lab only (not cart, not payment);
 * - scope:servers — the stand-in servers (embedded PostgreSQL and dynalite, the Stripe double): the
 *   lab runs them; a service's production code never does;
 * - scope:testing — Jest helpers: test files only;
 * - scope:lab — the lab (CLI, experiment, stack, backfill, report, run record, load tests);
 * - scope:cart, scope:payment, scope:billing-address — each service, importable by nobody but infra.
 * Test files (TEST_FILES) may additionally import scope:servers and scope:testing.
 */
function moduleBoundaries({ tests }) {
  const forTests = tests ? ['scope:servers', 'scope:testing'] : [];
  const may = (sourceTag, tags) => ({ sourceTag, onlyDependOnLibsWithTags: [...new Set([...tags, ...forTests])] });
  return {
    enforceBuildableLibDependency: false,
    // Services are applications; only their config schemas may be imported, by infra validation.
    allow: ['@checkout-lab/cart/src/config', '@checkout-lab/payment/src/config', '@checkout-lab/billing-address/src/config'],
    depConstraints: [
      { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
      // The checkout-lab CLI (apps/): it wires the libs; nothing depends on it.
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
      // Tools may read a service's public config surface (infra validation checks manifests against it).
      { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:service'] },
      may('scope:cart', ['scope:cart', 'scope:shared']),
      may('scope:payment', ['scope:payment', 'scope:shared']),
      may('scope:billing-address', ['scope:billing-address', 'scope:shared', 'scope:billing']),
      may('scope:billing', ['scope:billing', 'scope:shared']),
      may('scope:servers', ['scope:servers', 'scope:shared']),
      may('scope:testing', ['scope:testing', 'scope:servers', 'scope:shared']),
      may('scope:lab', ['scope:lab', 'scope:shared', 'scope:billing', 'scope:servers']),
      may('scope:shared', ['scope:shared']),
      // infra validation checks every service's deployment against that service; nothing depends on it.
      {
        sourceTag: 'scope:infra',
        onlyDependOnLibsWithTags: ['scope:infra', 'scope:shared', 'scope:lab', 'scope:cart', 'scope:payment', 'scope:billing-address', 'scope:billing', 'scope:servers', 'scope:testing'],
      },
    ],
  };
}

/** Test code: specs, test/ folders (fixtures, harnesses, benches). */
const TEST_FILES = ['**/*.spec.ts', '**/test/**/*.ts', '**/*.bench.ts'];

export default [
  { ignores: ['**/node_modules', '**/dist', '**/coverage', '**/.lab', '**/src/generated/**', '**/*.js', '**/*.mjs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': ['error', moduleBoundaries({ tests: false })],
    },
  },
  {
    // Tests may also use the stand-in servers and the test helpers.
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': ['error', moduleBoundaries({ tests: true })] },
  },
];
