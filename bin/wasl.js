#!/usr/bin/env node
'use strict';
// The CLI is TypeScript; tsx compiles it in memory as it loads (no build step to forget).
require('tsx/cjs');
require('../hub/cli.ts').main(process.argv).catch((err) => {
  process.stderr.write(`wasl: ${err && err.message ? err.message : err}\n`);
  process.exitCode = 1;
});
