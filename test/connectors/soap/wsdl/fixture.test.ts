import assert from 'node:assert/strict';
import path from 'node:path';
import { createAjv } from '../../../../contracts';
import { serviceSchemas } from '../../../../connectors/soap/json-schema';
import {
  resolveType,
  type ComplexTypeModel,
  type ElementModel,
  type GroupModel,
  type ParticleModel,
  type ServiceModel,
  type SimpleTypeModel,
} from '../../../../connectors/soap/model';
import { compileWsdlFile } from '../../../../connectors/soap/wsdl/compile';
import { isWsdlError } from '../../../../connectors/soap/wsdl/errors';

const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'wsdl', 'civil-registry.wsdl');
const CIVIL = 'urn:wasl:test:civil';
const COMMON = 'urn:wasl:test:common';
const XML = 'http://www.w3.org/XML/1998/namespace';

function elements(p: ParticleModel | undefined): ElementModel[] {
  if (!p || p.kind === 'wildcard') return [];
  if (p.kind === 'element') return [p];
  return p.items.flatMap(elements);
}

function complex(model: ServiceModel, key: string): ComplexTypeModel {
  const t = model.types[key];
  assert.ok(t && t.kind === 'complex', key);
  return t;
}

describe('WSDL compiler on its own fixture (test/fixtures/wsdl/civil-registry.wsdl)', () => {
  let model: ServiceModel;
  let soap12: ServiceModel;
  before(() => {
    model = compileWsdlFile(FIXTURE).model;
    soap12 = compileWsdlFile(FIXTURE, { port: 'CivilRegistrySoap12Port' }).model;
  });

  it('prefers the first SOAP 1.1 port; --port picks the SOAP 1.2 one; unknown names are refused with the choices', () => {
    assert.deepEqual([model.port, model.binding, model.soapVersion, model.endpoint], ['CivilRegistrySoap11Port', 'CivilRegistrySoap11', '1.1', 'http://127.0.0.1:8099/civil/soap11']);
    assert.deepEqual([soap12.port, soap12.soapVersion, soap12.endpoint], ['CivilRegistrySoap12Port', '1.2', 'http://127.0.0.1:8099/civil/soap12']);
    assert.equal(soap12.operations.GetCitizen?.soapAction, 'urn:wasl:test:civil:GetCitizen');
    assert.equal(model.documentation, 'سجل الأحوال المدنية — خدمة اختبار');
    assert.throws(() => compileWsdlFile(FIXTURE, { port: 'Nope' }), (e: unknown) => isWsdlError(e) && e.code === 'wsdl-select' && /CivilRegistrySoap11Port/.test(e.message) && /SOAP 1\.2/.test(e.message));
    assert.throws(() => compileWsdlFile(FIXTURE, { service: 'Other' }), (e: unknown) => isWsdlError(e) && /CivilRegistryService/.test(e.message));
  });

  it('document/literal wrapped: JSON is the wrapper content; faults by name with their detail element', () => {
    const op = model.operations.GetCitizen;
    assert.ok(op);
    assert.deepEqual([op.style, op.wrapped, op.input.unwrapped, op.output.unwrapped], ['document', true, true, true]);
    assert.equal(op.documentation, 'استعلام عن مواطن بالرقم الوطني');
    assert.deepEqual(Object.keys(op.faults), ['RegistryFault']);
    assert.deepEqual([op.faults.RegistryFault?.name, op.faults.RegistryFault?.ns], ['RegistryFault', CIVIL]);
  });

  it('document/literal bare with two body parts (soap:body parts=) and a third part bound as a header', () => {
    const op = model.operations.RegisterBirth;
    assert.ok(op);
    assert.equal(op.wrapped, false);
    assert.equal(op.input.unwrapped, false);
    assert.deepEqual(op.input.parts.map((p) => [p.part, p.element.name, p.element.jsonName, p.element.ns]), [
      ['child', 'Child', 'Child', CIVIL],
      ['mother', 'Mother', 'Mother', CIVIL],
    ]);
    assert.deepEqual(op.inputHeaders.map((h) => [h.part, h.element.name, h.required]), [['auth', 'AuthHeader', false]]);
    // SOAP 1.2 binding: no wsdl:required, so required.
    assert.deepEqual(soap12.operations.RegisterBirth?.inputHeaders.map((h) => h.required), [true]);
    // A single part of simple type: M2, keyed by the element name.
    assert.equal(op.output.unwrapped, false);
    assert.deepEqual(op.output.parts.map((p) => [p.element.jsonName, p.element.type]), [['Receipt', '{http://www.w3.org/2001/XMLSchema}string']]);
  });

  it('rpc/literal: wrapper named after the operation in the soap:body namespace, unqualified typed parts', () => {
    const op = model.operations.GetCertificateStatus;
    assert.ok(op);
    assert.equal(op.style, 'rpc');
    assert.deepEqual(op.input.rpc, { name: 'GetCertificateStatus', ns: 'urn:wasl:test:civil:rpc' });
    assert.deepEqual(op.output.rpc, { name: 'GetCertificateStatusResponse', ns: 'urn:wasl:test:civil:rpc' });
    assert.deepEqual(op.input.parts.map((p) => [p.element.name, p.element.ns, p.element.type]), [
      ['certificateId', '', '{http://www.w3.org/2001/XMLSchema}long'],
      ['lang', '', '{http://www.w3.org/2001/XMLSchema}language'],
    ]);
    assert.equal(op.output.parts[0]?.element.type, `{${CIVIL}}StatusCode`);
  });

  it('one-way operation: an output with no parts', () => {
    const op = model.operations.NotifyDeath;
    assert.ok(op);
    assert.equal(op.oneWay, true);
    assert.deepEqual(op.output, { message: '', parts: [], unwrapped: false });
    assert.equal(op.input.unwrapped, true);
    assert.equal(op.wrapped, false, 'its element is not named after the operation');
  });

  it('complexContent extension with a group ref, an attribute group, a choice, nillable, arrays and a chameleon-included type', () => {
    const citizen = complex(model, `{${CIVIL}}Citizen`);
    const els = elements(citizen.particle);
    assert.deepEqual(
      els.map((e) => [e.jsonName, e.ns, e.optional, e.array]),
      [
        ['nationalNumber', CIVIL, false, false],
        ['firstName', '', false, false], // from c:PersonNames: declared in the unqualified schema
        ['lastName', '', false, false],
        ['birthDate', CIVIL, false, false],
        ['gender', CIVIL, false, false],
        ['nickname', CIVIL, false, false],
        ['phone', CIVIL, true, true],
        ['address', CIVIL, true, false],
        ['passportNo', CIVIL, true, false],
        ['nationalCardNo', CIVIL, true, false],
        ['fee', CIVIL, false, false],
        ['remark', CIVIL, true, false],
        ['recordId', CIVIL, false, false],
      ],
    );
    assert.equal(els.find((e) => e.name === 'nickname')?.nillable, true);
    const ext = (citizen.particle as GroupModel).items[1] as GroupModel;
    assert.equal((ext.items[0] as GroupModel).kind, 'choice');
    assert.deepEqual(citizen.attributes.map((a) => [a.jsonName, a.ns, a.required]), [
      ['@createdBy', '', false],
      ['@version', '', true],
      ['@status', '', true],
    ]);
    assert.deepEqual((citizen.attributes[2]?.type as SimpleTypeModel).enumeration, ['alive', 'deceased']);
    assert.equal(els.find((e) => e.name === 'remark')?.type, `{${CIVIL}}Remark`);
    assert.deepEqual(elements(complex(model, `{${CIVIL}}Remark`).particle).map((e) => [e.name, e.ns]), [['text', CIVIL]]);
  });

  it('simpleContent with attributes (xml:lang built in), list and union types, pattern facets, an element-name clash across namespaces', () => {
    const money = complex(model, `{${COMMON}}Money`);
    assert.deepEqual(money.simpleContent, { kind: 'simple', base: 'decimal' });
    assert.deepEqual(money.attributes.map((a) => [a.jsonName, a.required, a.type]), [['@currency', true, `{${COMMON}}CurrencyCode`]]);
    const text = complex(model, `{${COMMON}}LocalizedText`);
    assert.deepEqual(text.attributes.map((a) => [a.name, a.ns, a.jsonName, a.default]), [['lang', XML, '@lang', 'ar']]);
    assert.deepEqual((model.types[`{${COMMON}}CodeList`] as SimpleTypeModel).list, { kind: 'simple', base: 'int' });
    const union = model.types[`{${COMMON}}DateOrUnknown`] as SimpleTypeModel;
    assert.deepEqual(union.union?.map((m) => [m.base, m.enumeration]), [['date', undefined], ['string', ['UNKNOWN']]]);
    assert.deepEqual((model.types[`{${COMMON}}NationalNumber`] as SimpleTypeModel).pattern, ['\\d{11}']);
    const response = resolveType(model, model.operations.GetCitizen?.output.parts[0]?.element.type as string) as ComplexTypeModel;
    assert.deepEqual(
      elements(response.particle).map((e) => [e.jsonName, e.ns]),
      [['citizen', CIVIL], ['code', CIVIL], ['c:code', COMMON], ['count', CIVIL], ['ratio', CIVIL], ['active', CIVIL]],
    );
  });

  describe('its JSON Schemas', () => {
    const ajv = createAjv();
    let schemas: ReturnType<typeof serviceSchemas>['operations'];
    before(() => {
      schemas = serviceSchemas(model).operations;
    });
    const valid = (op: string, dir: 'input' | 'output' | 'inputHeaders', v: unknown) => ajv.compile((schemas[op] as (typeof schemas)[string])[dir])(v);
    const person = {
      '@version': 1,
      nationalNumber: '01020304050',
      firstName: 'ريم',
      lastName: 'الأحمد',
      birthDate: '1990-04-12',
      gender: 'F',
      nickname: null,
    };
    const citizen = { ...person, '@status': 'alive', passportNo: 'N123', fee: { '@currency': 'SYP', $value: '2500.50' }, recordId: '9007199254740993' };

    it('accept what the mapping says and refuse what it does not', () => {
      assert.equal(valid('GetCitizen', 'input', { nationalNumber: '01020304050' }), true);
      assert.equal(valid('GetCitizen', 'input', { nationalNumber: '٠١٠٢٠٣٠٤٠٥٠' }), true, 'XSD \\d is any Unicode digit');
      assert.equal(valid('GetCitizen', 'input', { nationalNumber: '0102030405' }), false);
      assert.equal(valid('GetCitizen', 'input', { nationalNumber: 'x01020304050' }), false, 'XSD patterns are anchored');
      assert.equal(valid('GetCitizen', 'input', { nationalNumber: '01020304050', codes: [1, 2] }), true);
      assert.equal(valid('GetCitizen', 'input', { nationalNumber: '01020304050', codes: [1, 2.5] }), false);
      assert.equal(valid('GetCitizen', 'input', { nationalNumber: '01020304050', codes: [2147483648] }), false);
      const out = { citizen, code: 'a', 'c:code': 'b', count: 3, active: true };
      assert.equal(valid('GetCitizen', 'output', out), true);
      assert.equal(valid('GetCitizen', 'output', { ...out, ratio: 'INF' }), true);
      assert.equal(valid('GetCitizen', 'output', { ...out, citizen: { ...citizen, nationalCardNo: '7' } }), false, 'choice: not both');
      const { passportNo: _p, ...neither } = citizen;
      assert.equal(valid('GetCitizen', 'output', { ...out, citizen: neither }), false, 'choice: exactly one');
      assert.equal(valid('GetCitizen', 'output', { ...out, citizen: { ...citizen, recordId: 9 } }), false, 'xsd:long output is a string');
      assert.equal(valid('GetCitizen', 'output', { ...out, citizen: { ...citizen, fee: { $value: '1' } } }), false, 'simpleContent attribute required');
      assert.equal(valid('GetCitizen', 'output', { ...out, citizen: { ...citizen, fee: { '@currency': 'GBP', $value: '1' } } }), false);
      assert.equal(valid('GetCitizen', 'output', { ...out, citizen: { ...citizen, birthDate: 'UNKNOWN' } }), true, 'union');
      assert.equal(valid('GetCitizen', 'output', { ...out, citizen: { ...citizen, '@status': undefined } }), false);
      assert.equal(valid('RegisterBirth', 'input', { Child: person, Mother: person }), true);
      assert.equal(valid('RegisterBirth', 'input', { Child: person }), false);
      assert.equal(valid('RegisterBirth', 'input', { Child: { ...person, nickname: undefined }, Mother: person }), false, 'nillable is still required');
      assert.equal(valid('RegisterBirth', 'input', { Child: { ...person, phone: '1' }, Mother: person }), false, 'arrays stay arrays');
      assert.equal(valid('RegisterBirth', 'inputHeaders', { auth: { token: 't' } }), true);
      assert.equal(valid('RegisterBirth', 'inputHeaders', {}), true, 'wsdl:required="false"');
      assert.equal(valid('GetCertificateStatus', 'input', { certificateId: 12, lang: 'ar' }), true, 'a JSON number is accepted for xsd:long on input');
      assert.equal(valid('GetCertificateStatus', 'input', { certificateId: '12', lang: 'ar' }), true);
      assert.equal(valid('GetCertificateStatus', 'input', { certificateId: 1.5, lang: 'ar' }), false);
      assert.equal(valid('GetCertificateStatus', 'output', { status: 'valid', issuedAt: '2024-01-01T10:00:00' }), true, 'dateTime without zone');
      assert.equal(valid('GetCertificateStatus', 'output', { status: 'valid', issuedAt: '2024-01-01 10:00' }), false);
      assert.equal(valid('NotifyDeath', 'input', { nationalNumber: '01020304050' }), true);
    });

    it('use a separate input definition only for named types whose shape differs by direction', () => {
      const out = schemas.GetCitizen?.output.$defs as Record<string, unknown>;
      assert.ok(out.Citizen && out.Money && out.Address);
      const input = schemas.RegisterBirth?.input.$defs as Record<string, unknown>;
      assert.ok(input.Person, 'Person has no decimal: one definition');
      assert.ok(!('PersonIn' in input));
      const gen = serviceSchemas(model);
      assert.deepEqual(gen.warnings, []);
    });
  });
});
