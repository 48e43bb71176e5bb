// ESLint (flat config): typescript-eslint's recommended rules over the whole repository, and a few
// more that catch real mistakes here. `npm run lint`; .ci/run runs it.
'use strict';
const js = require('@eslint/js');
const globals = require('globals');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'test-artifacts/**',
      'sandbox-report/**',
      'chaos-report/**',
      // Generated from the JSON Schemas and the providers' contracts: fixed at their source.
      'contracts/types.ts',
      'contracts/providers/*/types.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits or catches fails in silence.
      'no-async-promise-executor': 'error',
      // == hides type coercions in a codebase that compares ids, codes and amounts.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_' }],
      // Type-only imports stay type-only: they never load a module (nor make a runtime cycle).
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Node-RED's own idiom for a node's constructor (`const node = this`), used by its core nodes.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
      // XML 1.0 forbids most control characters: matching them is what the escaping and parsing
      // code here is for, not an accident.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests build deliberately ill-typed values (hostile input, partial doubles), and load the
    // nodes' CommonJS loaders the way node-red-node-test-helper expects.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The CommonJS loaders (bin/, the nodes' two-line .js files, test fixtures in plain JS).
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The editor code Node-RED serves from resources/ runs in the browser, beside the editor's
    // RED and jQuery. (Scripts inside the nodes' .html files are not linted: no HTML plugin.)
    files: ['resources/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },
);
