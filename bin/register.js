'use strict';
/**
 * Loads wasl's TypeScript for production runs (`wasl …`, `npm start`, the benchmarks): each .ts
 * file is compiled to CommonJS by esbuild as it is first required. tsx does the same for the
 * tests, but always with esbuild's keepNames, which wraps every named function in a helper call
 * (measured here: ~350 ns per named closure created, against ~4 ns) — a cost the hot paths of a
 * hub should not pay. Type checking is `npm run typecheck`'s job, not the loader's.
 */
const { readFileSync } = require('node:fs');
const { transformSync } = require('esbuild');

if (!require.extensions['.ts']) {
  require.extensions['.ts'] = function loadTypeScript(module, filename) {
    const { code } = transformSync(readFileSync(filename, 'utf8'), {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcefile: filename,
      sourcemap: 'inline',
    });
    module._compile(code, filename);
  };
  // Stack traces point at the TypeScript lines.
  process.setSourceMapsEnabled(true);
}
