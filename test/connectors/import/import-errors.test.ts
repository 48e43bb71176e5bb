import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_RULES } from '../../../connectors/contract-references';
import { WSDL_ERROR_CODES } from '../../../connectors/soap/wsdl/errors';

describe('docs/import-errors.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'import-errors.md'), 'utf8');
  const section = (title: string) => doc.split(`\n## ${title}\n`)[1]!.split('\n## ')[0]!;
  const rows = (text: string) =>
    new Map(
      text
        .split('\n')
        .filter((l) => /^\| `[a-z-]+` \|/.test(l))
        .map((l) => [/^\| `([a-z-]+)` /.exec(l)![1]!, l.split('|').map((c) => c.trim())]),
    );

  it('documents every WSDL error code, and no other, saying when and what to do', () => {
    const codes = rows(section('WSDL error codes'));
    assert.deepEqual([...codes.keys()].sort(), [...WSDL_ERROR_CODES].sort());
    for (const [code, row] of codes) assert.ok(row[2]!.length > 20 && row[3]!.length > 20, code);
  });

  it('documents every rule a reference is refused by, and no other', () => {
    const rules = rows(section('Refused references'));
    assert.deepEqual([...rules.keys()].sort(), Object.keys(REFERENCE_RULES).sort());
    for (const [rule, row] of rules) assert.ok(row[2]!.length > 20 && row[3]!.length > 20, rule);
  });
});
