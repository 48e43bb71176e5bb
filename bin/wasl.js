#!/usr/bin/env -S node --max-semi-space-size=64
'use strict';
require('./register');
// The composition root: the hub's command line, handed what it needs of the sandbox (simulators,
// certificate reader, `wasl sandbox`, `wasl service new`); hub/ imports nothing of sandbox/.
const { main } = require('../hub/cli.ts');
const { sandboxCli } = require('../sandbox/cli.ts');
main(process.argv, sandboxCli()).catch((err) => {
  process.stderr.write(`wasl: ${err && err.message ? err.message : err}\n`);
  process.exitCode = 1;
});
