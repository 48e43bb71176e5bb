import assert from 'node:assert/strict';
import type { ErrorMapping } from '../../contracts/types';
import { BusinessRefusal } from '../../connectors/errors';
import { atPointer, mapRefusal } from '../../connectors/error-mapping';

const rules: ErrorMapping = {
  rules: [
    { faultCode: 'PERSON_NOT_FOUND', reason: 'person-not-found', message: { ar: 'لا يوجد سجل لهذا الشخص', en: 'No record of this person' } },
    { faultCodePattern: '^SEALED(-\\d+)?$', reason: 'record-sealed' },
    { status: 409, codePointer: '/error/id', faultCode: '17', reason: 'already-issued' },
    { status: 402, reason: 'fees-unpaid' },
  ],
};
const meta = { provider: 'moi-civil-registry', operation: 'getExtract', attempt: 2, durationMs: 40 };

describe('connectors/error-mapping', () => {
  it('maps an exact SOAP fault code to a business refusal with the rule text', () => {
    const r = mapRefusal(rules, { faultCode: 'PERSON_NOT_FOUND', status: 500 }, { ...meta, providerMessage: 'لا يوجد: 01020304050' });
    assert.ok(r instanceof BusinessRefusal);
    assert.equal(r.reason, 'person-not-found');
    assert.equal(r.providerCode, 'PERSON_NOT_FOUND');
    assert.equal(r.providerMessage, 'لا يوجد: 01020304050');
    assert.deepEqual(r.text, { ar: 'لا يوجد سجل لهذا الشخص', en: 'No record of this person' });
    assert.deepEqual([r.provider, r.operation, r.attempt, r.durationMs], ['moi-civil-registry', 'getExtract', 2, 40]);
    assert.equal(r.transient, false);
    assert.doesNotMatch(r.message, /01020304050/);
  });

  it('matches a pattern, a status, and a code at a JSON pointer of a REST body', () => {
    assert.equal(mapRefusal(rules, { faultCode: 'SEALED-12' })?.reason, 'record-sealed');
    assert.equal(mapRefusal(rules, { faultCode: 'SEALED-x' }), undefined);
    assert.equal(mapRefusal(rules, { status: 402, body: { code: 'PAY' } })?.providerCode, 'PAY');
    assert.equal(mapRefusal(rules, { status: 402 })?.providerCode, 'HTTP 402');
    const issued = mapRefusal(rules, { status: 409, body: { error: { id: 17 } } });
    assert.equal(issued?.reason, 'already-issued');
    assert.equal(issued?.providerCode, '17');
  });

  it('needs every criterion of a rule to hold', () => {
    assert.equal(mapRefusal(rules, { status: 400, body: { error: { id: 17 } } }), undefined, 'status differs');
    assert.equal(mapRefusal(rules, { status: 409, body: { error: { id: 18 } } }), undefined, 'code differs');
  });

  it('takes the REST code from /code by default, and lets the first matching rule win', () => {
    const r = mapRefusal({ rules: [{ faultCode: 'E1', reason: 'first' }, { faultCode: 'E1', reason: 'second' }] }, { status: 400, body: { code: 'E1' } });
    assert.equal(r?.reason, 'first');
  });

  it('leaves a fault no rule matches alone, and maps nothing without rules', () => {
    assert.equal(mapRefusal(rules, { faultCode: 'Server', status: 500 }), undefined);
    assert.equal(mapRefusal(undefined, { faultCode: 'PERSON_NOT_FOUND' }), undefined);
    assert.equal(mapRefusal({}, { faultCode: 'PERSON_NOT_FOUND' }), undefined);
  });

  it('treats a rule without criteria as a catch-all', () => {
    assert.equal(mapRefusal({ rules: [{ reason: 'refused' }] }, { status: 500 })?.reason, 'refused');
  });

  it('does not match patterns against overlong codes, and refuses an invalid pattern clearly', () => {
    assert.equal(mapRefusal({ rules: [{ faultCodePattern: '^a+$', reason: 'x' }] }, { faultCode: 'a'.repeat(10_000) }), undefined);
    assert.throws(() => mapRefusal({ rules: [{ faultCodePattern: '(', reason: 'x' }] }, { faultCode: 'a' }), /errors\.rules\[0\]\.faultCodePattern/);
  });

  it('keeps today\'s rules refusals by default, and names the rule that matched', () => {
    const r = mapRefusal(rules, { faultCode: 'SEALED-3' });
    assert.deepEqual(r?.rule, { index: 1, kind: 'refusal', criteria: { faultCodePattern: '^SEALED(-\\d+)?$' } });
    assert.equal(mapRefusal(rules, { status: 402 })?.rule?.index, 3);
  });

  it('matches the fault text and the detail too, every criterion together (see error-rules.test.ts)', () => {
    const textRules: ErrorMapping = { rules: [{ faultCode: 'Server', faultStringPattern: '^INVALID_INPUT\\b', reason: 'invalid-vat-number' }, { faultCode: 'Server', kind: 'transient' }] };
    assert.equal(mapRefusal(textRules, { faultCode: 'Server', faultString: 'INVALID_INPUT: the VAT number is not valid' })?.reason, 'invalid-vat-number');
    assert.equal(mapRefusal(textRules, { faultCode: 'Client', faultString: 'INVALID_INPUT' }), undefined);
    assert.equal(mapRefusal(textRules, { faultCode: 'Server', faultString: 'SERVICE_UNAVAILABLE' }), undefined, 'a transient rule matched first');
  });

  it('reads RFC 6901 pointers', () => {
    const doc = { 'a/b': { 'c~d': [10, 20] }, n: null };
    assert.equal(atPointer(doc, '/a~1b/c~0d/1'), 20);
    assert.equal(atPointer(doc, '/a~1b/c~0d/2'), undefined);
    assert.equal(atPointer(doc, '/n/x'), undefined);
    assert.equal(atPointer(doc, '/toString'), undefined, 'own properties only');
    assert.equal(atPointer(doc, ''), doc);
  });
});
