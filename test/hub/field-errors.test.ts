/**
 * Every gateway validation rule says what it expects, in English and Arabic: a rule's own text is
 * the `x-wasl-message` of its schema node (contracts/order.schema.json, a service's fields), every
 * other keyword has a text with its limit. docs/errors.md lists them all, as rendered here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAjv, type RuleMessage } from '../../contracts';
import orderSchema from '../../contracts/order.schema.json';
import { fieldErrors, formRules, genericMessage, patternsWithoutMessage, ruleMessage } from '../../hub/field-errors';
import { auth, KEYS, newKey, testHub, validRequest, type TestHub } from '../helpers';

type Problem = { code: string; errors?: Array<{ pointer: string; detail: string; detailAr: string }> };

const DOC = join(__dirname, '..', '..', 'docs', 'errors.md');
const BEGIN = '<!-- field-messages:begin (test/hub/field-errors.test.ts renders this part) -->';
const END = '<!-- field-messages:end -->';

const defs = (orderSchema as unknown as { $defs: Record<string, unknown> }).$defs;
const own = (def: string): RuleMessage => ruleMessage(defs[def])!;

/** The generic texts docs/errors.md shows, each with an example of its limit. */
const GENERIC_EXAMPLES: Array<[string, string, Record<string, unknown>]> = [
  ['required', '', {}],
  ['additionalProperties', '', {}],
  ['type', '`string`', { type: 'string' }],
  ['type', '`integer`', { type: 'integer' }],
  ['enum', '`["ar", "en"]`', { allowedValues: ['ar', 'en'] }],
  ['const', '`"counter"`', { allowedValue: 'counter' }],
  ['minLength', '3', { limit: 3 }],
  ['maxLength', '100', { limit: 100 }],
  ['minimum', '1', { limit: 1 }],
  ['maximum', '10', { limit: 10 }],
  ['exclusiveMinimum', '0', { limit: 0 }],
  ['minItems', '1', { limit: 1 }],
  ['maxItems', '20', { limit: 20 }],
  ['maxProperties', '64', { limit: 64 }],
  ['uniqueItems', '', {}],
  ['format', '`date`', { format: 'date' }],
  ['format', '`date-time`', { format: 'date-time' }],
  ['format', '`email`', { format: 'email' }],
  ['format', '`uri`', { format: 'uri' }],
  ['pattern', '`^[0-9]{11}$`', { pattern: '^[0-9]{11}$' }],
  ['pattern', '`^[0-9]{4,8}$`', { pattern: '^[0-9]{4,8}$' }],
  ['pattern', 'any other, without `x-wasl-message`', { pattern: '^[A-Z]{2}-[0-9]+$' }],
  ['discriminator', '`method` missing or not text', { error: 'tag', tag: 'method' }],
  ['discriminator', '`method` unknown', { error: 'mapping', tag: 'method' }],
  ['oneOf', 'no alternative matches', {}],
  ['oneOf', 'several match', { passingSchemas: [0, 1] }],
];

/** The part of docs/errors.md between the markers: every rule of order.schema.json with its texts, then the generic ones. */
function renderFieldMessages(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const byText = new Map<string, { pointers: string[]; checks: Set<string>; message: RuleMessage }>();
  for (const r of formRules(orderSchema)) {
    const key = JSON.stringify(r.message);
    const row = byText.get(key) ?? { pointers: [], checks: new Set<string>(), message: r.message! };
    row.pointers.push(`\`${r.pointer}\``);
    for (const c of r.checks) row.checks.add(c);
    byText.set(key, row);
  }
  const lines = [
    BEGIN,
    '',
    '| where (`contracts/order.schema.json#…`) | checks | English | Arabic |',
    '|---|---|---|---|',
    ...[...byText.values()].map((r) => `| ${r.pointers.join(', ')} | ${[...r.checks].join(', ')} | ${cell(r.message.en)} | ${cell(r.message.ar)} |`),
    '',
    'Every other keyword, and a pattern, format or discriminator whose node has no `x-wasl-message`',
    "(a service's own fields), says what it expects with the schema's limit:",
    '',
    '| keyword | e.g. | English | Arabic |',
    '|---|---|---|---|',
    ...GENERIC_EXAMPLES.map(([keyword, example, params]) => {
      const m = genericMessage(keyword, params);
      return `| \`${keyword}\` | ${example} | ${cell(m.en)} | ${cell(m.ar)} |`;
    }),
    '',
    END,
  ];
  return lines.join('\n');
}

describe('field errors: a message per rule, in English and Arabic', () => {
  describe('POST /v1/orders', () => {
    let hub: TestHub;
    before(async () => {
      hub = await testHub();
    });
    after(() => hub.close());

    const errorsFor = async (body: unknown) => {
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey(), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      assert.equal(res.statusCode, 400, res.body);
      const p = res.json<Problem>();
      assert.equal(p.code, 'validation-failed');
      return p.errors ?? [];
    };
    const only = (errors: Array<{ pointer: string; detail: string; detailAr: string }>, pointer: string) => {
      const at = errors.filter((e) => e.pointer === pointer);
      assert.equal(at.length, 1, JSON.stringify(errors));
      return at[0]!;
    };

    it('a national number of 10 digits, or with a letter: exactly 11 digits', async () => {
      const base = validRequest();
      for (const nationalNumber of ['0311098765', '0311098765a']) {
        const e = only(await errorsFor({ ...base, applicant: { ...base.applicant, nationalNumber } }), '/applicant/nationalNumber');
        assert.deepEqual({ en: e.detail, ar: e.detailAr }, own('NationalNumber'));
        assert.match(e.detail, /exactly 11 digits/);
        assert.match(e.detailAr, /11 رقماً بالضبط/);
      }
    });

    it('Latin letters in an Arabic name: Arabic letters only', async () => {
      const base = validRequest();
      const errors = await errorsFor({ ...base, applicant: { ...base.applicant, fullName: { ar: 'Hiba Nizar', latin: 'Hiba' }, fatherName: 'نزار Nizar' } });
      for (const pointer of ['/applicant/fullName/ar', '/applicant/fatherName']) {
        const e = only(errors, pointer);
        assert.deepEqual({ en: e.detail, ar: e.detailAr }, own('ArabicName'));
        assert.match(e.detail, /Arabic letters only/);
        assert.match(e.detailAr, /بالحروف العربية فقط/);
      }
    });

    it('a phone number not in international form: says the form, with an example', async () => {
      const base = validRequest();
      const e = only(await errorsFor({ ...base, applicant: { ...base.applicant, phone: '0944 123 456' } }), '/applicant/phone');
      assert.deepEqual({ en: e.detail, ar: e.detailAr }, own('Phone'));
      assert.match(e.detail, /international form.*\+963944123456/);
      assert.match(e.detailAr, /بالصيغة الدولية.*\+963944123456/);
    });

    it('other keywords say their limit or their values, in both languages; no text echoes what was sent', async () => {
      const base = validRequest();
      const errors = await errorsFor({ ...base, service: 'ab', language: 'fr', applicant: { ...base.applicant, motherName: 'و', birthDate: '12/04/1990' } });
      assert.deepEqual(only(errors, '/service'), { pointer: '/service', detail: 'must be at least 3 characters long', detailAr: 'يجب أن يكون طوله 3 محارف على الأقل' });
      assert.deepEqual(only(errors, '/language'), { pointer: '/language', detail: 'must be one of: ar, en', detailAr: 'يجب أن يكون واحداً من: ar، en' });
      assert.deepEqual(only(errors, '/applicant/motherName'), { pointer: '/applicant/motherName', detail: 'must be at least 2 characters long', detailAr: 'يجب أن يكون طوله محرفين على الأقل' });
      assert.match(only(errors, '/applicant/birthDate').detail, /YYYY-MM-DD/);
      for (const e of errors) assert.doesNotMatch(`${e.detail} ${e.detailAr}`, /12\/04\/1990|fr\b/);
    });
  });

  it("a service's fields: its own x-wasl-message, else the generic text (digits in words)", () => {
    const validate = createAjv().compile({
      type: 'object',
      additionalProperties: false,
      properties: {
        plate: { type: 'string', pattern: '^[0-9]{1,7}$', 'x-wasl-message': { en: 'must be a plate number: 1 to 7 digits', ar: 'يجب أن يكون رقم لوحة: من 1 إلى 7 أرقام' } },
        deceased: { type: 'string', pattern: '^[0-9]{11}$' },
        code: { type: 'string', pattern: '^[A-Z]{2}-[0-9]+$' },
      },
    });
    assert.equal(validate({ plate: 'A1', deceased: '123', code: 'x' }), false);
    assert.deepEqual(fieldErrors(validate.errors, '/fields'), [
      { pointer: '/fields/plate', detail: 'must be a plate number: 1 to 7 digits', detailAr: 'يجب أن يكون رقم لوحة: من 1 إلى 7 أرقام' },
      { pointer: '/fields/deceased', detail: 'must be exactly 11 digits (0–9)', detailAr: 'يجب أن يتكون من 11 رقماً بالضبط (0–9)' },
      { pointer: '/fields/code', detail: 'does not have the form this field expects', detailAr: 'ليس بالصيغة التي يتطلبها هذا الحقل' },
    ]);
  });

  it('an x-wasl-message must have both texts: a schema with a half one does not compile', () => {
    assert.throws(() => createAjv().compile({ type: 'string', pattern: '^a$', 'x-wasl-message': { en: 'must be a' } }), /x-wasl-message/);
  });

  it('every pattern and discriminator of order.schema.json has its own message', () => {
    assert.deepEqual(patternsWithoutMessage(orderSchema), []);
    const missing = formRules(orderSchema).filter((r) => !r.message || !/[\u0600-\u06FF]/.test(r.message.ar) || !r.message.en.startsWith('must'));
    assert.deepEqual(missing.map((r) => r.pointer), [], 'each with an English text saying what it must be, and an Arabic one');
  });

  it('docs/errors.md lists every rule and its two messages, as the schema has them', () => {
    const doc = readFileSync(DOC, 'utf8');
    const begin = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    assert.ok(begin >= 0 && end > begin, `docs/errors.md has no part between ${BEGIN} and ${END}`);
    const expected = renderFieldMessages();
    assert.equal(doc.slice(begin, end + END.length), expected, `docs/errors.md is out of step with the schema: replace its part between the markers by\n\n${expected}\n`);
  });
});
