/**
 * The production install is what runs (issue 26): every package the shipped code loads — each
 * `import`, `require`, `require.resolve` and `import()` of bin/, hub/, connectors/, nodes/,
 * sandbox/ and contracts/, read from TypeScript's own syntax tree, type-only imports left out (they
 * load nothing) — is declared in package.json's `dependencies`, so `npm ci --omit=dev` installs
 * it; and no runtime dependency is declared that nothing loads (a dev tool in the runtime set, a
 * library left behind). `.ci/run` proves the same for real: `npm ci --omit=dev` in a fresh copy,
 * then `wasl start` in production and `wasl provider import`.
 */
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..');
const SHIPPED = ['bin', 'hub', 'connectors', 'nodes', 'sandbox', 'contracts'];
/**
 * Runtime dependencies no code names in an import: `node-red` is named (hub/runtime), esbuild too
 * (bin/register.js compiles the TypeScript as it loads). Nothing is excused today; a package
 * loaded only by a path or by another package's plugin mechanism would be listed here, with why.
 */
const LOADED_OTHERWISE = new Map<string, string>();

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'node_modules') out.push(...files(p));
    } else if (/\.(ts|js|cjs|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The package a specifier names (`@scope/name` or `name`), undefined for relative paths and Node's own modules. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

/** The specifiers a file loads at run time: imports that are not type-only, re-exports, require(), require.resolve(), import(). */
function runtimeSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      // TypeScript elides an import whose every binding is a type (import type, or { type A, type B }).
      const typeOnly = clause && (clause.isTypeOnly || (!clause.name && clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression) && !node.isTypeOnly) {
      out.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const callee = node.expression;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isResolve = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'require' && callee.name.text === 'resolve';
      if (isRequire || isResolve || callee.kind === ts.SyntaxKind.ImportKeyword) out.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node)) {
      return; // import('x').T in a type position loads nothing
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('dependencies: what the shipped code loads is what a production install installs', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const loaded = new Map<string, Set<string>>();
  before(() => {
    for (const dir of SHIPPED) {
      for (const file of files(join(ROOT, dir))) {
        for (const spec of runtimeSpecifiers(file)) {
          const name = packageOf(spec);
          if (name) (loaded.get(name) ?? loaded.set(name, new Set()).get(name)!).add(relative(ROOT, file).split(sep).join('/'));
        }
      }
    }
  });

  it('reads the imports it should (the scan itself)', () => {
    for (const name of ['fastify', 'node-red', 'esbuild', 'express', '@node-red/registry', 'json-schema-to-typescript']) assert.ok(loaded.has(name), `${name} is loaded somewhere`);
    assert.ok(!loaded.has('typescript'), 'no shipped code loads the TypeScript compiler');
  });

  it('every package the shipped code loads is a runtime dependency (not a devDependency, not undeclared)', () => {
    const missing = [...loaded].filter(([name]) => !(name in pkg.dependencies)).map(([name, by]) => `${name} (${name in pkg.devDependencies ? 'a devDependency' : 'undeclared'}; loaded by ${[...by].slice(0, 3).join(', ')})`);
    assert.deepEqual(missing, [], `npm ci --omit=dev would not install: ${missing.join('; ')}`);
  });

  it('every runtime dependency is loaded by the shipped code: no dev tool nor unused library in the runtime set', () => {
    const unused = Object.keys(pkg.dependencies).filter((name) => !loaded.has(name) && !LOADED_OTHERWISE.has(name));
    assert.deepEqual(unused, [], `runtime dependencies nothing loads: ${unused.join(', ')} (move dev tools to devDependencies, remove the rest)`);
    for (const tool of ['typescript', 'tsx', 'mocha', 'eslint']) assert.ok(!(tool in pkg.dependencies), `${tool} is a dev tool`);
  });
});
