module.exports = require('./jest-preset.js')(__dirname, { postgres: true, dynamodb: true });
