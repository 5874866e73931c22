// Shared Jest settings: TypeScript through SWC (with decorator metadata for NestJS), Node environment.
const path = require('node:path');

/**
 * @param {string} projectDir
 * @param {{ postgres?: boolean, dynamodb?: boolean } & Record<string, unknown>} [options] postgres:
 *   start one real PostgreSQL server for the run (TEST_POSTGRES_URL); dynamodb: one dynalite
 *   server in its own process (TEST_DYNAMODB_ENDPOINT). Both through the global setup; combinable.
 */
module.exports = function jestConfig(projectDir, { postgres = false, dynamodb = false, ...extra } = {}) {
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
    ...(postgres || dynamodb
      ? {
          globalSetup: path.join(__dirname, 'src/global-setup.ts'),
          globalTeardown: path.join(__dirname, 'src/global-teardown.ts'),
          globals: { checkoutLabTestServers: { postgres, dynamodb } },
        }
      : {}),
    ...extra,
  };
};
