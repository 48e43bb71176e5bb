#!/usr/bin/env node
'use strict';
require('./register');
require('../hub/cli.ts').main(process.argv).catch((err) => {
  process.stderr.write(`wasl: ${err && err.message ? err.message : err}\n`);
  process.exitCode = 1;
});
