import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, WaslError } from '../../hub/errors';

describe('errors', () => {
  // The table of codes: the validation messages after it have tables of their own (test/hub/field-errors.test.ts).
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8').split('\n## Validation messages\n')[0]!;

  it('documents every code in docs/errors.md, with its status', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` `));
      assert.ok(row, `docs/errors.md has no row for ${code}`);
      assert.ok(row.includes(`| ${spec.status} |`), `docs/errors.md gives ${code} another status`);
    }
  });

  it('documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `([a-z-]+)` /gm)].map((m) => m[1]);
    assert.deepEqual(documented.sort(), Object.keys(ERROR_CODES).sort());
  });

  it('has an Arabic title for every code', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) assert.match(spec.titleAr, /[\u0600-\u06FF]/, code);
  });

  it('carries code, status and titles', () => {
    const e = new WaslError('order-not-found');
    assert.equal(e.status, 404);
    assert.equal(e.title, 'No such order');
    assert.equal(e.titleAr, 'الطلب غير موجود');
  });
});
