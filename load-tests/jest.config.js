// One test file at a time: the accuracy tests measure timing and must not share the CPU with the CLI tests.
module.exports = require('../libs/testing/jest-preset.js')(__dirname, { testTimeout: 180_000, maxWorkers: 1 });
