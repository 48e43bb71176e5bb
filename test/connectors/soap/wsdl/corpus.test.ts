import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
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
import { compileWsdl, compileWsdlFile } from '../../../../connectors/soap/wsdl/compile';
import { isWsdlError } from '../../../../connectors/soap/wsdl/errors';
import { decodeBody, decodeHeaders, envelopeOf } from './xml-to-json';

import { CORPUS } from '../../../corpus';
const ADAPTER = path.join(CORPUS, 'xroad-example-adapter', 'example-adapter.wsdl');
const TEST_SERVICE = path.join(CORPUS, 'xroad-test-service', 'test-service.wsdl');
const DHL = path.join(CORPUS, 'estonia-dhl', 'dhl.wsdl');
const XRD = 'http://x-road.eu/xsd/xroad.xsd';
const ID = 'http://x-road.eu/xsd/identifiers';
const PROD = 'http://test.x-road.global/producer';
const XROAD_HEADERS = ['client', 'service', 'userId', 'id', 'issue', 'protocolVersion'];

function complex(model: ServiceModel, key: string): ComplexTypeModel {
  const t = model.types[key];
  assert.ok(t && t.kind === 'complex', `${key} is a complex type`);
  return t;
}

function elements(p: ParticleModel | undefined): ElementModel[] {
  if (!p || p.kind === 'wildcard') return [];
  if (p.kind === 'element') return [p];
  return p.items.flatMap(elements);
}

function wsdlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? wsdlFiles(path.join(dir, d.name)) : d.name.endsWith('.wsdl') ? [path.join(dir, d.name)] : [],
  );
}

describe('WSDL compiler on the corpus', () => {
  it('compiles every WSDL in the corpus (leniently where schemas are missing), with JSON Schemas Ajv accepts', async () => {
    const files = wsdlFiles(CORPUS);
    assert.ok(files.length >= 3);
    const ajv = createAjv();
    for (const f of files) {
      const { model } = await compileWsdl(f, { allowUnresolved: true });
      assert.ok(Object.keys(model.operations).length > 0, f);
      const { operations } = serviceSchemas(model);
      for (const s of Object.values(operations)) for (const schema of [s.input, s.output, s.inputHeaders, s.outputHeaders]) ajv.compile(schema);
    }
  });

  describe('xroad-example-adapter', () => {
    let model: ServiceModel;
    let documents: string[];
    let warnings: string[];
    before(() => {
      const c = compileWsdlFile(ADAPTER);
      model = c.model;
      documents = c.documents.map((d) => `${path.basename(d.location)}:${d.origin}`);
      warnings = c.warnings;
    });

    it('resolves xroad.xsd beside the WSDL (its schemaLocation is a public URL) and identifiers.xsd through it', () => {
      assert.deepEqual(documents, ['example-adapter.wsdl:contract', 'xroad.xsd:beside', 'identifiers.xsd:beside']);
    });

    it('picks the only port, SOAP 1.1, document/literal wrapped operations', () => {
      assert.equal(model.name, 'testService');
      assert.equal(model.port, 'testServicePort');
      assert.equal(model.soapVersion, '1.1');
      assert.deepEqual(Object.keys(model.operations), ['getRandom', 'helloService', 'listPeople', 'personDetails', 'storeAttachments', 'getAttachments']);
      for (const op of Object.values(model.operations)) {
        assert.equal(op.style, 'document');
        assert.equal(op.wrapped, true, op.name);
        assert.equal(op.soapAction, '');
        assert.equal(op.version, 'v1');
        assert.equal(op.input.unwrapped, true);
        assert.equal(op.input.parts[0]?.element.name, op.name);
        assert.equal(op.input.parts[0]?.element.ns, PROD);
      }
      assert.equal(model.operations.getRandom?.title, 'Get random number service');
      assert.equal(model.operations.getRandom?.documentation, 'This service returns a random number every time.');
    });

    it('finds the X-Road headers as soap:header parts in input and output (tolerating requestHeader vs requestheader)', () => {
      for (const op of Object.values(model.operations)) {
        for (const headers of [op.inputHeaders, op.outputHeaders]) {
          assert.deepEqual(headers.map((h) => h.part).sort(), [...XROAD_HEADERS].sort(), op.name);
          for (const h of headers) {
            assert.equal(h.element.ns, XRD);
            assert.equal(h.element.name, h.part);
            assert.equal(h.required, !['userId', 'issue'].includes(h.part), `${op.name} ${h.part}`);
          }
        }
      }
      const client = model.operations.getRandom?.inputHeaders.find((h) => h.part === 'client');
      assert.equal(client?.element.type, `{${ID}}XRoadClientIdentifierType`);
      assert.ok(warnings.some((w) => /requestHeader.*requestheader/.test(w)));
    });

    it('X-Road identifiers: ref= elements qualified in their namespace, a required qualified attribute with a fixed value', () => {
      const service = complex(model, `{${ID}}XRoadServiceIdentifierType`);
      assert.deepEqual(
        elements(service.particle).map((e) => [e.name, e.ns, e.optional]),
        [
          ['xRoadInstance', ID, false],
          ['memberClass', ID, false],
          ['memberCode', ID, false],
          ['subsystemCode', ID, true],
          ['serviceCode', ID, false],
          ['serviceVersion', ID, true],
        ],
      );
      assert.equal(elements(service.particle)[0]?.ref, `{${ID}}xRoadInstance`);
      assert.deepEqual(service.attributes.map((a) => [a.jsonName, a.ns, a.required, a.fixed]), [['@objectType', ID, true, 'SERVICE']]);
      assert.equal(service.base, `{${ID}}XRoadIdentifierType`);
    });

    it('flattens complexContent extension in order: base content, then the extension', () => {
      const person = complex(model, `{${PROD}}person`);
      assert.deepEqual(
        elements(person.particle).map((e) => e.jsonName),
        ['ssn', 'firstName', 'lastName', 'dateOfBirth', 'contactAddress', 'contacts'],
      );
      assert.equal(person.base, `{${PROD}}personShort`);
      assert.equal((person.particle as GroupModel).kind, 'sequence');
    });

    it('enumerations, unbounded arrays, empty request elements, nillable, qualified children', () => {
      const contactType = model.types[`{${PROD}}contactType`] as SimpleTypeModel;
      assert.deepEqual(contactType.enumeration, ['phone', 'mobile', 'email']);
      assert.equal(contactType.base, 'string');
      assert.equal(contactType.title, 'Contact type');

      const people = elements(complex(model, `{${PROD}}personShort`).particle);
      assert.ok(people.every((e) => e.ns === PROD), 'elementFormDefault="qualified"');

      const list = model.operations.listPeople?.output.parts[0]?.element;
      const listType = resolveType(model, list?.type as ElementModel['type']) as ComplexTypeModel;
      const peopleEl = elements(listType.particle)[0] as ElementModel;
      const person = elements((resolveType(model, peopleEl.type) as ComplexTypeModel).particle)[0] as ElementModel;
      assert.deepEqual([person.jsonName, person.array, person.optional, person.maxOccurs], ['person', true, true, 'unbounded']);

      const sizes = elements((resolveType(model, model.operations.getAttachments?.input.parts[0]?.element.type as string) as ComplexTypeModel).particle);
      assert.deepEqual(sizes.map((e) => [e.jsonName, e.array, e.optional, e.type]), [['size', true, false, '{http://www.w3.org/2001/XMLSchema}positiveInteger']]);

      const getRandom = model.operations.getRandom?.input.parts[0]?.element as ElementModel;
      assert.equal(getRandom.nillable, true);
      assert.deepEqual(resolveType(model, getRandom.type), { kind: 'complex', attributes: [] });
    });
  });

  it('xroad-test-service: several inline schemas; xrd:issue, missing from its reduced X-Road schema, comes from the built-in catalogue', () => {
    const { model, documents, warnings } = compileWsdlFile(TEST_SERVICE);
    assert.deepEqual(
      documents.map((d) => [path.basename(d.location), d.origin, !!d.supplementary]),
      [
        ['test-service.wsdl', 'contract', false],
        ['xroad.xsd', 'builtin', true],
        ['identifiers.xsd', 'builtin', true],
      ],
    );
    assert.ok(warnings.some((w) => w.includes(`{${XRD}}issue`) && w.includes('xroad.xsd')));
    const op = model.operations.testService;
    assert.ok(op);
    assert.deepEqual(op.inputHeaders.map((h) => h.part), XROAD_HEADERS);
    assert.deepEqual(op.outputHeaders.map((h) => h.part), XROAD_HEADERS);
    // The contract's own (reduced) identifiers win over the catalogue's.
    const client = complex(model, `{${ID}}XRoadClientIdentifierType`);
    assert.equal(client.base, undefined);
    assert.deepEqual(client.attributes.map((a) => [a.jsonName, a.required]), [['@objectType', true]]);
    assert.deepEqual(
      (model.types[`{${ID}}XRoadObjectType`] as SimpleTypeModel).enumeration,
      ['MEMBER', 'SUBSYSTEM', 'SERVICE'],
    );
    // The request schema has no elementFormDefault: its local elements are unqualified.
    const body = resolveType(model, op.input.parts[0]?.element.type as string) as ComplexTypeModel;
    assert.deepEqual(elements(body.particle).map((e) => [e.name, e.ns]), [['responseBodySize', ''], ['responseAttachmentSize', '']]);
    assert.equal(op.input.parts[0]?.element.ns, PROD);
  });

  describe('estonia-dhl', () => {
    it('without --allow-unresolved fails naming each missing schema and how to provide it (swaref and xroad come from the catalogue)', () => {
      let err: unknown;
      try {
        compileWsdlFile(DHL);
      } catch (e) {
        err = e;
      }
      assert.ok(isWsdlError(err), String(err));
      assert.equal(err.code, 'wsdl-unresolved');
      assert.deepEqual(
        err.missing.map((m) => m.location.split('/').pop()),
        ['dhl.xsd', 'dhl-meta-automatic.xsd', 'Dvk_kapsel_vers_2_1_eng_est.xsd'],
      );
      assert.deepEqual(
        err.missing.map((m) => m.namespace),
        ['http://www.riik.ee/schemas/dhl', 'http://www.riik.ee/schemas/dhl-meta-automatic', 'http://www.riik.ee/schemas/deccontainer/vers_2_1/'],
      );
      assert.match(err.message, /dhl\.xsd/);
      assert.match(err.message, /dhl-meta-automatic\.xsd/);
      assert.match(err.message, /Dvk_kapsel_vers_2_1_eng_est\.xsd/);
      assert.match(err.message, /beside the WSDL/);
      assert.match(err.message, /--schemas <dir>/);
      assert.match(err.message, /--allow-unresolved/);
      assert.doesNotMatch(err.message, /swaref|xroad\.xsd/);
    });

    it('with --allow-unresolved imports every operation, unresolved types as raw XML, with warnings', () => {
      const { model, warnings, documents } = compileWsdlFile(DHL, { allowUnresolved: true });
      // The contract's portType and binding declare 4 operations (8 messages).
      assert.deepEqual(Object.keys(model.operations), ['getSendingOptions', 'markDocumentsReceived', 'sendDocuments', 'receiveDocuments']);
      assert.deepEqual(documents.map((d) => [path.basename(d.location), d.origin]), [
        ['dhl.wsdl', 'contract'],
        ['swaref.xsd', 'builtin'],
        ['xroad.xsd', 'builtin'],
        ['identifiers.xsd', 'builtin'],
      ]);
      for (const name of ['dhl.xsd', 'dhl-meta-automatic.xsd', 'Dvk_kapsel_vers_2_1_eng_est.xsd']) assert.ok(warnings.some((w) => w.includes(name)), name);
      assert.ok(warnings.some((w) => /MIME attachments/.test(w) && w.includes('sendDocuments')));
      assert.equal(model.operations.sendDocuments?.attachments, true);
      assert.equal(model.operations.getSendingOptions?.attachments, undefined);
      for (const op of Object.values(model.operations)) assert.deepEqual(op.inputHeaders.map((h) => h.part), ['client', 'service', 'id', 'userId', 'issue', 'protocolVersion']);

      const req = complex(model, '{http://producers.dhl.xrd.riik.ee/producer/dhl}sendDocumentsV4RequestType');
      const kaust = elements(req.particle).find((e) => e.name === 'kaust') as ElementModel;
      assert.deepEqual(kaust.type, { kind: 'any', unresolved: '{http://www.riik.ee/schemas/dhl-meta-automatic}dhlDokTaisnimiType' });
      // swaRef (from the built-in swaref.xsd) is an anyURI string.
      const b64 = complex(model, '{http://producers.dhl.xrd.riik.ee/producer/dhl}base64BinaryType');
      assert.equal(b64.attributes[0]?.type, '{http://ws-i.org/profiles/basic/1.1/xsd}swaRef');
      assert.deepEqual(model.types['{http://ws-i.org/profiles/basic/1.1/xsd}swaRef'], { kind: 'simple', base: 'anyURI', name: '{http://ws-i.org/profiles/basic/1.1/xsd}swaRef' });
      // Unqualified local elements (no elementFormDefault), qualified part elements.
      assert.equal(elements(req.particle)[0]?.ns, '');
      assert.equal(model.operations.sendDocuments?.input.parts[0]?.element.ns, 'http://producers.dhl.xrd.riik.ee/producer/dhl');
    });
  });
});

describe('JSON Schemas against the corpus example messages', () => {
  const EXAMPLES = path.join(CORPUS, 'xroad-example-adapter', 'examples');
  let model: ServiceModel;
  let schemas: ReturnType<typeof serviceSchemas>['operations'];
  const ajv = createAjv();
  before(() => {
    model = compileWsdlFile(ADAPTER).model;
    schemas = serviceSchemas(model).operations;
  });

  const cases: Array<[string, string, 'input' | 'output']> = [];
  for (const f of readdirSync(path.join(CORPUS, 'xroad-example-adapter', 'examples')).sort()) {
    const m = /^(\w+?)(Request|Response)\.(xml|txt)$/.exec(f);
    if (m) cases.push([f, m[1] as string, m[2] === 'Request' ? 'input' : 'output']);
  }

  it('has an example request and response for every operation', () => {
    assert.equal(cases.length, 12);
  });

  for (const [file, opName, dir] of cases) {
    it(`${file}: body and headers decode to JSON the ${opName} ${dir} schemas accept`, () => {
      const env = envelopeOf(readFileSync(path.join(EXAMPLES, file), 'utf8'));
      const op = model.operations[opName];
      assert.ok(op);
      const body = decodeBody(model, op, dir, env);
      const headers = decodeHeaders(model, op, dir, env);
      const s = schemas[opName] as (typeof schemas)[string];
      const vBody = ajv.compile(s[dir]);
      assert.ok(vBody(body), `${JSON.stringify(vBody.errors)} for ${JSON.stringify(body)}`);
      const vHead = ajv.compile(dir === 'input' ? s.inputHeaders : s.outputHeaders);
      assert.ok(vHead(headers), `${JSON.stringify(vHead.errors)} for ${JSON.stringify(headers)}`);
      assert.ok(['client', 'service', 'id', 'protocolVersion'].every((h) => h in headers));
    });
  }

  it('decodes the example bodies to the JSON the mapping documents', () => {
    const read = (f: string) => envelopeOf(readFileSync(path.join(EXAMPLES, f), 'utf8'));
    const ops = model.operations;
    assert.deepEqual(decodeBody(model, ops.getRandom!, 'input', read('getRandomRequest.xml')), {});
    assert.deepEqual(decodeBody(model, ops.getAttachments!, 'input', read('getAttachmentsRequest.xml')), { size: ['100', '50'] });
    const details = decodeBody(model, ops.personDetails!, 'output', read('personDetailsResponse.xml')) as { person: { contacts: { contact: unknown[] }; dateOfBirth: string } };
    assert.equal(details.person.dateOfBirth, '1966-06-30');
    assert.deepEqual(details.person.contacts.contact[1], { type: 'email', name: 'Personal e-mail', value: 'other@email.nil' });
    const headers = decodeHeaders(model, ops.getRandom!, 'input', read('getRandomRequest.xml'));
    assert.deepEqual(headers.client, { '@objectType': 'SUBSYSTEM', xRoadInstance: 'FI_TEST', memberClass: 'GOV', memberCode: '1234567-8', subsystemCode: 'TestClient' });
  });

  it('refuses JSON that breaks the contract: missing, wrong type, unknown property, enum, single value for an array, non-numeric positiveInteger', () => {
    const s = schemas;
    const check = (op: string, dir: 'input' | 'output', value: unknown) => ajv.compile((s[op] as (typeof s)[string])[dir])(value);
    assert.equal(check('helloService', 'input', {}), false);
    assert.equal(check('helloService', 'input', { name: 5 }), false);
    assert.equal(check('helloService', 'input', { name: 'x', extra: 1 }), false);
    assert.equal(check('getRandom', 'input', { anything: 1 }), false);
    assert.equal(check('getAttachments', 'input', { size: '100' }), false);
    assert.equal(check('getAttachments', 'input', { size: [] }), false);
    assert.equal(check('getAttachments', 'input', { size: ['0'] }), false);
    assert.equal(check('getAttachments', 'input', { size: ['1x'] }), false);
    // Input accepts a JSON number for xsd:positiveInteger; output keeps strings (exactness).
    assert.equal(check('getAttachments', 'input', { size: [100, '50'] }), true);
    assert.equal(check('getAttachments', 'input', { size: [0] }), false);
    assert.equal(check('getAttachments', 'output', { attachment: [{ name: 'a', size: 5 }] }), false);
    assert.equal(check('getAttachments', 'output', { attachment: [{ name: 'a', size: '5' }] }), true);
    const contact = { type: 'fax', name: 'n', value: 'v' };
    const person = { ssn: '1', firstName: 'a', lastName: 'b', dateOfBirth: '1966-06-30', contacts: { contact: [contact] } };
    assert.equal(check('personDetails', 'output', { person }), false);
    assert.equal(check('personDetails', 'output', { person: { ...person, contacts: { contact: [{ ...contact, type: 'phone' }] } } }), true);
    assert.equal(check('personDetails', 'output', { person: { ...person, dateOfBirth: '30.06.1966', contacts: {} } }), false);
    // xsd:date allows a time zone; a dateTime without one is valid XSD.
    assert.equal(check('personDetails', 'output', { person: { ...person, dateOfBirth: '1966-06-30+02:00', contacts: {} } }), true);
  });
});
