module.exports = require('../../libs/testing/jest-preset.js')(__dirname, { postgres: true, dynamodb: true, testTimeout: 120_000 });
