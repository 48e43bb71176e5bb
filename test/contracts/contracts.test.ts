import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createAjv, pointErrors, ref } from '../../contracts';
import { generateTypes, TYPES_FILE } from '../../contracts/generate-types';
import { Catalogue } from '../../hub/catalogue';
import { buildOrder } from '../../hub/intake';
import { FLOWS_DIR, KEYS, validRequest } from '../helpers';

describe('contracts', () => {
  it('generated types are up to date with the schemas (npm run contracts:types)', async function () {
    this.timeout(30_000);
    assert.equal(readFileSync(TYPES_FILE, 'utf8'), await generateTypes(), 'contracts/types.ts is stale: run npm run contracts:types');
  });

  it('every order intake builds is valid against the order schema', () => {
    const ajv = createAjv();
    const validate = ajv.getSchema(ref('order'))!;
    const catalogue = Catalogue.load(FLOWS_DIR);
    const order = buildOrder(validRequest(), KEYS.centre, catalogue, 'sandbox');
    assert.ok(validate(order), JSON.stringify(validate.errors));
    const validateEvent = ajv.getSchema(ref('event'))!;
    assert.ok(validateEvent({ id: 'evt_01ARZ3NDEKTSV4RRFFQ69G5FAV', type: 'order.received', orderId: order.id, service: order.service.code, at: order.createdAt, seq: 1, status: 'received' }));
  });

  it('accepts Arabic and Latin names as people write them and refuses what no name holds', () => {
    const validate = createAjv().compile({ $ref: ref('order', 'PersonName') });
    for (const ok of [{ ar: 'محمد' }, { ar: 'عبد الله' }, { ar: 'آل-شيخ' }, { ar: 'مُحَمَّد' }, { ar: 'ريم', latin: "O'Neil-Ahmad" }, { ar: 'ريم', latin: 'Zoë Müller' }, { ar: 'ريم', latin: 'M. Ali' }]) {
      assert.ok(validate(ok), JSON.stringify(ok));
    }
    for (const bad of [{ ar: 'Reem' }, { ar: 'ريم  ريم' }, { ar: ' ريم' }, { ar: 'ريم ' }, { ar: 'ريم1' }, { ar: 'ريم', latin: 'Reem1' }, { ar: 'ريم', latin: 'Рим' }]) {
      assert.equal(validate(bad), false, JSON.stringify(bad));
    }
  });

  it('every service definition in flows/ is valid and its example fields pass its own schema', () => {
    const catalogue = Catalogue.load(FLOWS_DIR);
    assert.ok(catalogue.all().length >= 3);
  });

  it('refuses a broken service definition with the reason', () => {
    const def = JSON.parse(readFileSync(`${FLOWS_DIR}/no-criminal-record-certificate/service.json`, 'utf8'));
    assert.throws(() => new Catalogue([{ ...def, lifecycle: 'approved' }]), /lifecycle/);
    assert.throws(() => new Catalogue([{ ...def, fields: { ...def.fields, additionalProperties: true } }]), /additionalProperties/);
    assert.throws(() => new Catalogue([{ ...def, fields: { ...def.fields, examples: [{ purpose: 'fun' }] } }]), /example 0 is invalid/);
    assert.throws(() => new Catalogue([{ ...def, delivery: ['counter', 'drone'] }]), /delivery/);
    assert.throws(() => new Catalogue([def, def]), /defined twice/);
  });

  it('names an error for every invalid document, a oneOf that several alternatives match included', () => {
    const validate = createAjv().compile({ type: 'object', properties: { content: { type: 'string' }, reference: { type: 'string' } }, oneOf: [{ required: ['content'] }, { required: ['reference'] }] });
    assert.equal(validate({ content: 'a', reference: 'b' }), false);
    assert.deepEqual(pointErrors(validate.errors).map((e) => [e.pointer, e.message]), [['', 'matches more than one of its alternatives (exactly one is allowed)']]);
    assert.equal(validate({}), false);
    assert.ok(pointErrors(validate.errors).length > 0);
    assert.ok(pointErrors(validate.errors).every((e) => e.keyword !== 'oneOf'), 'the failing branches speak for themselves');
  });
});
