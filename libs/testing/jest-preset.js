// Shared Jest settings: TypeScript through SWC (with decorator metadata for NestJS), Node environment.
const path = require('node:path');

/**
 * @param {string} projectDir
 * @param {{ postgres?: boolean } & Record<string, unknown>} [options] postgres: start one real
 *   PostgreSQL server for the run (TEST_POSTGRES_URL) through the global setup.
 */
module.exports = function jestConfig(projectDir, { postgres = false, ...extra } = {}) {
  return {
    displayName: path.basename(projectDir),
    rootDir: projectDir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: {
            target: 'es2022',
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
          },
          module: { type: 'commonjs' },
        },
      ],
    },
    moduleFileExtensions: ['ts', 'js', 'json'],
    ...(postgres
      ? {
          globalSetup: path.join(__dirname, 'src/postgres.global-setup.ts'),
          globalTeardown: path.join(__dirname, 'src/postgres.global-teardown.ts'),
        }
      : {}),
    ...extra,
  };
};
