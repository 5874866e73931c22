module.exports = require('../testing/jest-preset.js')(__dirname, { postgres: true, testTimeout: 120_000 });
