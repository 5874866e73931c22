module.exports = require('../testing/jest-preset.js')(__dirname, { testTimeout: 120_000 });
