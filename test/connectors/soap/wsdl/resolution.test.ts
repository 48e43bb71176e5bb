import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAjv } from '../../../../contracts';
import { serviceSchemas } from '../../../../connectors/soap/json-schema';
import { resolveType, type ComplexTypeModel, type ElementModel } from '../../../../connectors/soap/model';
import { compileWsdl, compileWsdlFile } from '../../../../connectors/soap/wsdl/compile';
import { isWsdlError, type WsdlError } from '../../../../connectors/soap/wsdl/errors';

import { CORPUS } from '../../../corpus';
const DHL = path.join(CORPUS, 'estonia-dhl', 'dhl.wsdl');

/** A one-operation document/literal WSDL around the given schema content. */
function wsdl(schema: string, opts: { imports?: string; use?: string; message?: string; service?: boolean; part?: string } = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:t" xmlns:o="urn:other" targetNamespace="urn:t">
  <types>
    <xs:schema targetNamespace="urn:t" elementFormDefault="qualified">
      ${opts.imports ?? ''}
      ${schema}
    </xs:schema>
  </types>
  <message name="In"><part name="p" element="${opts.part ?? 'tns:Op'}"/></message>
  <message name="Out"><part name="p" element="tns:OpResponse"/></message>
  <portType name="PT"><operation name="Op"><input message="${opts.message ?? 'tns:In'}"/><output message="tns:Out"/></operation></portType>
  <binding name="B" type="tns:PT">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Op"><soap:operation soapAction="urn:t:Op"/>
      <input><soap:body use="${opts.use ?? 'literal'}"/></input><output><soap:body use="literal"/></output></operation>
  </binding>
  ${opts.service === false ? '' : '<service name="S"><port name="P" binding="tns:B"><soap:address location="http://127.0.0.1:1/s"/></port></service>'}
</definitions>`;
}

const OP = `<xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="OpResponse"><xs:complexType><xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence></xs:complexType></xs:element>`;

const DHL_STUBS: Record<string, string> = {
  'dhl.xsd': `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.riik.ee/schemas/dhl"/>`,
  'dhl-meta-automatic.xsd': `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.riik.ee/schemas/dhl-meta-automatic">
    <xs:simpleType name="dhlDokTaisnimiType"><xs:restriction base="xs:string"><xs:maxLength value="100"/></xs:restriction></xs:simpleType>
    <xs:simpleType name="dhlDokIDType"><xs:restriction base="xs:int"/></xs:simpleType></xs:schema>`,
  'Dvk_kapsel_vers_2_1_eng_est.xsd': `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.riik.ee/schemas/deccontainer/vers_2_1/">
    <xs:element name="DecContainer" type="xs:anyType"/></xs:schema>`,
};

function catchErr(fn: () => unknown): WsdlError {
  try {
    fn();
  } catch (e) {
    assert.ok(isWsdlError(e), `expected a WsdlError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('WSDL schema resolution and refusals', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'wasl-wsdl-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves http(s) schemaLocations from copies beside the WSDL, named by the last segment (percent-decoded)', () => {
    copyFileSync(DHL, path.join(dir, 'dhl.wsdl'));
    for (const [name, xsd] of Object.entries(DHL_STUBS)) writeFileSync(path.join(dir, name), xsd);
    const { model, documents, warnings } = compileWsdlFile(path.join(dir, 'dhl.wsdl'));
    assert.deepEqual(documents.map((d) => [path.basename(d.location), d.origin]), [
      ['dhl.wsdl', 'contract'],
      ['swaref.xsd', 'builtin'],
      ['dhl.xsd', 'beside'],
      ['dhl-meta-automatic.xsd', 'beside'],
      ['xroad.xsd', 'builtin'],
      ['Dvk_kapsel_vers_2_1_eng_est.xsd', 'beside'],
      ['identifiers.xsd', 'builtin'],
    ]);
    const req = model.types['{http://producers.dhl.xrd.riik.ee/producer/dhl}sendDocumentsV4RequestType'] as ComplexTypeModel;
    const kaust = (req.particle as { items: ElementModel[] }).items.find((e) => e.name === 'kaust') as ElementModel;
    assert.equal(kaust.type, '{http://www.riik.ee/schemas/dhl-meta-automatic}dhlDokTaisnimiType');
    assert.ok(!warnings.some((w) => /not available/.test(w)));
  });

  it('resolves them from --schemas folders, by file name or else by target namespace', () => {
    const cat = path.join(dir, 'catalogue');
    mkdirSync(path.join(cat, 'nested'), { recursive: true });
    writeFileSync(path.join(cat, 'dhl.xsd'), DHL_STUBS['dhl.xsd'] as string);
    writeFileSync(path.join(cat, 'meta-renamed.xsd'), DHL_STUBS['dhl-meta-automatic.xsd'] as string);
    writeFileSync(path.join(cat, 'nested', 'kapsel.xsd'), DHL_STUBS['Dvk_kapsel_vers_2_1_eng_est.xsd'] as string);
    const { documents } = compileWsdlFile(DHL, { schemas: [cat] });
    assert.deepEqual(
      documents.filter((d) => d.origin === 'catalogue').map((d) => path.basename(d.location)),
      ['dhl.xsd', 'meta-renamed.xsd', 'kapsel.xsd'],
    );
    const err = catchErr(() => compileWsdlFile(DHL, { schemas: [path.join(dir, 'nope')] }));
    assert.match(err.message, /is not a folder/);
  });

  it('names a missing relative include/import and a component no schema defines; --allow-unresolved makes them raw XML', () => {
    writeFileSync(path.join(dir, 'a.wsdl'), wsdl(OP.replace('type="xs:string"/></xs:sequence></xs:complexType></xs:element>\n', 'type="o:Thing"/></xs:sequence></xs:complexType></xs:element>\n'), { imports: '<xs:import namespace="urn:other" schemaLocation="sub/other.xsd"/>' }));
    const missing = catchErr(() => compileWsdlFile(path.join(dir, 'a.wsdl')));
    assert.equal(missing.code, 'wsdl-unresolved');
    assert.deepEqual(missing.missing, [{ namespace: 'urn:other', location: 'sub/other.xsd', from: 'a.wsdl' }]);

    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'other.xsd'), `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:other"><xs:simpleType name="Thinq"><xs:restriction base="xs:string"/></xs:simpleType></xs:schema>`);
    const typo = catchErr(() => compileWsdlFile(path.join(dir, 'a.wsdl')));
    assert.equal(typo.code, 'wsdl-unresolved');
    assert.match(typo.message, /type \{urn:other\}Thing \(used by element a/);

    const lenient = compileWsdlFile(path.join(dir, 'a.wsdl'), { allowUnresolved: true });
    const op = lenient.model.operations.Op;
    const content = resolveType(lenient.model, op?.input.parts[0]?.element.type as string) as ComplexTypeModel;
    assert.deepEqual((content.particle as { items: ElementModel[] }).items[0]?.type, { kind: 'any', unresolved: '{urn:other}Thing' });
    assert.ok(lenient.warnings.some((w) => /\{urn:other\}Thing.*raw XML/.test(w)));
    const schema = serviceSchemas(lenient.model).operations.Op?.input as Record<string, unknown>;
    assert.ok(createAjv().compile(schema)({ a: '<x xmlns="urn:other">1</x>' }));
  });

  it('refuses a DOCTYPE (entity expansion, external entities) in the WSDL or in a schema it imports', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><definitions xmlns="http://schemas.xmlsoap.org/wsdl/">&lol2;</definitions>`;
    writeFileSync(path.join(dir, 'bomb.wsdl'), laughs);
    const bomb = catchErr(() => compileWsdlFile(path.join(dir, 'bomb.wsdl')));
    assert.equal(bomb.code, 'wsdl-invalid');
    assert.match(bomb.message, /bomb\.wsdl is not acceptable XML/);
    assert.match(bomb.message, /dtd/i);

    writeFileSync(path.join(dir, 'xxe.xsd'), `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:other">&e;</xs:schema>`);
    writeFileSync(path.join(dir, 'b.wsdl'), wsdl(OP, { imports: '<xs:import namespace="urn:other" schemaLocation="xxe.xsd"/>' }));
    const xxe = catchErr(() => compileWsdlFile(path.join(dir, 'b.wsdl')));
    assert.match(xxe.message, /xxe\.xsd is not acceptable XML/);
    assert.doesNotMatch(xxe.message, /root:/);
  });

  it('refuses SOAP encoding, undefined messages and documents that are not WSDL', () => {
    writeFileSync(path.join(dir, 'enc.wsdl'), wsdl(OP, { use: 'encoded' }));
    const enc = catchErr(() => compileWsdlFile(path.join(dir, 'enc.wsdl')));
    assert.equal(enc.code, 'wsdl-unsupported');
    assert.match(enc.message, /operation Op uses SOAP encoding/);

    writeFileSync(path.join(dir, 'msg.wsdl'), wsdl(OP, { message: 'tns:Nope' }));
    assert.match(catchErr(() => compileWsdlFile(path.join(dir, 'msg.wsdl'))).message, /wsdl:message "tns:Nope" is not defined/);

    writeFileSync(path.join(dir, 'x.xml'), '<html/>');
    assert.match(catchErr(() => compileWsdlFile(path.join(dir, 'x.xml'))).message, /neither a WSDL 1\.1 document nor an XML Schema/);
    assert.match(catchErr(() => compileWsdlFile(path.join(dir, 'missing.wsdl'))).message, /cannot read the contract/);
  });

  it('follows wsdl:import: abstract definitions in one file, binding and service in another', () => {
    const full = wsdl(OP);
    const abstract = full.replace(/<binding[\s\S]*<\/service>/, '');
    mkdirSync(path.join(dir, 'parts'));
    writeFileSync(path.join(dir, 'parts', 'abstract.wsdl'), abstract);
    const concrete = full.replace(/<types>[\s\S]*<\/portType>/, '<import namespace="urn:t" location="parts/abstract.wsdl"/>');
    writeFileSync(path.join(dir, 'concrete.wsdl'), concrete);
    const { model, documents } = compileWsdlFile(path.join(dir, 'concrete.wsdl'));
    assert.deepEqual(documents.map((d) => [path.relative(dir, d.location), d.kind]), [['concrete.wsdl', 'wsdl'], [path.join('parts', 'abstract.wsdl'), 'wsdl']]);
    assert.equal(model.operations.Op?.soapAction, 'urn:t:Op');
    assert.equal(model.operations.Op?.input.parts[0]?.element.ns, 'urn:t');
  });

  it('compiles recursive types and an abstract WSDL without a service (first SOAP binding, no endpoint)', () => {
    const recursive = `${OP.replace('<xs:element name="a" type="xs:string"/>', '<xs:element name="a" type="tns:Node"/><xs:element ref="tns:Tree" minOccurs="0"/><xs:element name="base" type="tns:Base" minOccurs="0"/>')}
      <xs:complexType name="Base"><xs:sequence><xs:element name="child" type="tns:Derived" minOccurs="0"/></xs:sequence></xs:complexType>
      <xs:complexType name="Derived"><xs:complexContent><xs:extension base="tns:Base"><xs:sequence><xs:element name="extra" type="xs:string"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>
      <xs:complexType name="Node"><xs:sequence><xs:element name="v" type="xs:int"/><xs:element name="next" type="tns:Node" minOccurs="0"/></xs:sequence></xs:complexType>
      <xs:element name="Tree"><xs:complexType><xs:sequence><xs:element ref="tns:Tree" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>`;
    writeFileSync(path.join(dir, 'r.wsdl'), wsdl(recursive, { service: false }));
    const { model, warnings } = compileWsdlFile(path.join(dir, 'r.wsdl'));
    assert.equal(model.endpoint, undefined);
    assert.equal(model.port, 'B');
    assert.ok(warnings.some((w) => /no wsdl:service/.test(w)));
    assert.ok(model.types['{urn:t}Node']);
    assert.ok(model.types['{urn:t}Tree@element'], 'a self-containing global element gets a type key of its own');
    JSON.stringify(model); // no cycles
    const schema = serviceSchemas(model).operations.Op?.input as Record<string, unknown>;
    const v = createAjv().compile(schema);
    assert.ok(v({ a: { v: 1, next: { v: 2 } }, Tree: { Tree: [{ Tree: [{}] }] } }), JSON.stringify(v.errors));
    assert.ok(!v({ a: { v: 1, next: { v: 'x' } } }));
    assert.ok(v({ a: { v: 1 }, base: { child: { child: { extra: 'x' }, extra: 'y' } } }), 'a type containing a type derived from it');
    assert.ok(!v({ a: { v: 1 }, base: { child: {} } }), 'the extension\'s element is required');

    const circular = `${OP}<xs:complexType name="A"><xs:complexContent><xs:extension base="tns:B"/></xs:complexContent></xs:complexType>
      <xs:complexType name="B"><xs:complexContent><xs:extension base="tns:A"/></xs:complexContent></xs:complexType>
      <xs:element name="Uses" type="tns:A"/>`;
    writeFileSync(path.join(dir, 'c.wsdl'), wsdl(circular.replace('<xs:element name="a" type="xs:string"/>', '<xs:element ref="tns:Uses"/>')));
    assert.match(catchErr(() => compileWsdlFile(path.join(dir, 'c.wsdl'))).message, /type \{urn:t\}[AB] derives from itself/);
  });

  describe('a WSDL given by URL', () => {
    let server: http.Server;
    let base: string;
    const hits: string[] = [];
    before(async () => {
      server = http.createServer((req, res) => {
        hits.push(req.url ?? '');
        const routes: Record<string, string> = {
          '/svc/service.wsdl': wsdl(OP.replace('type="xs:string"/></xs:sequence></xs:complexType></xs:element>\n', 'type="o:Thing"/></xs:sequence></xs:complexType></xs:element>\n'), { imports: '<xs:import namespace="urn:other" schemaLocation="xsd/other.xsd"/>' }),
          '/svc/xsd/other.xsd': `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:other"><xs:simpleType name="Thing"><xs:restriction base="xs:string"/></xs:simpleType></xs:schema>`,
          '/svc/abs.wsdl': wsdl(OP, { imports: '<xs:import namespace="urn:other" schemaLocation="http://schemas.example.invalid/other.xsd"/>' }),
          '/svc/broken.wsdl': wsdl(OP, { imports: '<xs:import namespace="urn:other" schemaLocation="gone.xsd"/>' }),
        };
        const body = routes[req.url ?? ''];
        res.writeHead(body ? 200 : 404, { 'content-type': 'text/xml' }).end(body ?? 'not found');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => new Promise<void>((r) => server.close(() => r())));

    it('fetches the WSDL and the imports relative to it, and nothing else', async () => {
      hits.length = 0;
      const { model, documents } = await compileWsdl(`${base}/svc/service.wsdl`);
      assert.deepEqual(documents.map((d) => [d.location.slice(base.length), d.origin]), [
        ['/svc/service.wsdl', 'remote'],
        ['/svc/xsd/other.xsd', 'remote'],
      ]);
      assert.deepEqual(hits, ['/svc/service.wsdl', '/svc/xsd/other.xsd']);
      assert.equal(model.types['{urn:other}Thing']?.kind, 'simple');

      hits.length = 0;
      const abs = await compileWsdl(`${base}/svc/abs.wsdl`).catch((e: unknown) => e as WsdlError);
      assert.ok(isWsdlError(abs));
      assert.deepEqual(abs.missing.map((m) => m.location), ['http://schemas.example.invalid/other.xsd']);
      assert.deepEqual(hits, ['/svc/abs.wsdl'], 'an absolute location elsewhere is never fetched');
    });

    it('says clearly when the WSDL or an import is unreachable', async () => {
      const notFound = await compileWsdl(`${base}/svc/nope.wsdl`).catch((e: unknown) => e as WsdlError);
      assert.ok(isWsdlError(notFound));
      assert.equal(notFound.code, 'wsdl-unreachable');
      assert.match(notFound.message, /cannot fetch http:\/\/127\.0\.0\.1:\d+\/svc\/nope\.wsdl: HTTP 404/);

      const broken = await compileWsdl(`${base}/svc/broken.wsdl`).catch((e: unknown) => e as WsdlError);
      assert.ok(isWsdlError(broken));
      assert.deepEqual(broken.missing.map((m) => m.location), ['gone.xsd']);

      const refused = await compileWsdl('http://127.0.0.1:1/service.wsdl').catch((e: unknown) => e as WsdlError);
      assert.ok(isWsdlError(refused));
      assert.match(refused.message, /cannot fetch http:\/\/127\.0\.0\.1:1\/service\.wsdl: transport failure: ECONNREFUSED/);
    });
  });
});
