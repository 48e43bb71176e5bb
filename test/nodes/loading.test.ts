/**
 * How Node-RED loads wasl's nodes in production: each nodes/<name>.js shim requires its .ts
 * through bin/register.js, where a node module's import of a sibling './wasl-x' resolves to the
 * sibling's .js shim (which exports only the registration), not to its .ts as under the tests'
 * loader. So node modules share code through nodes/lib/ only; this test keeps it that way, and
 * loads every shim under the production loader in a process of its own.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const NODES = join(__dirname, '..', '..', 'nodes');
const ROOT = join(__dirname, '..', '..');

describe('loading the nodes as Node-RED does in production', () => {
  it('no node module imports a sibling that has a .js shim (shared code lives in nodes/lib)', () => {
    const offenders: string[] = [];
    for (const f of readdirSync(NODES).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(NODES, f), 'utf8');
      for (const m of text.matchAll(/from '\.\/([^'/]+)'/g)) {
        if (existsSync(join(NODES, `${m[1]}.js`))) offenders.push(`${f} imports ./${m[1]}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('every shim loads under bin/register.js and exports a registration function', () => {
    const shims = readdirSync(NODES).filter((n) => n.endsWith('.js'));
    const script = `for (const f of ${JSON.stringify(shims)}) { const m = require('./nodes/' + f); if (typeof m !== 'function') { console.error(f + ' exports ' + typeof m); process.exit(1); } } console.log('ok ' + ${shims.length})`;
    const out = execFileSync(process.execPath, ['-r', './bin/register.js', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(out.trim(), `ok ${shims.length}`);
  });
});
