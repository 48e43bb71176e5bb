'use strict';
// Node-RED loads nodes from .js files: this one loads the TypeScript beside it (nodes/lib/node-red.ts says why).
require('../bin/register');
module.exports = require('./wasl-payment.ts').default;
