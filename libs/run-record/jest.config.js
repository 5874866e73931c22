module.exports = require('../testing/jest-preset.js')(__dirname);
