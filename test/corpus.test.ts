import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CORPUS, SHARED_CORPUS } from './corpus';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

describe('the WSDL corpus copy', () => {
  it('is byte for byte the shared corpus, when that is beside the checkout', function () {
    if (!existsSync(SHARED_CORPUS)) {
      console.log(`      (skipped: no shared corpus at ${SHARED_CORPUS})`);
      this.skip();
    }
    const mine = files(CORPUS).map((f) => relative(CORPUS, f)).sort();
    assert.deepEqual(mine, files(SHARED_CORPUS).map((f) => relative(SHARED_CORPUS, f)).sort());
    for (const f of mine) assert.ok(readFileSync(join(CORPUS, f)).equals(readFileSync(join(SHARED_CORPUS, f))), f);
  });
});
