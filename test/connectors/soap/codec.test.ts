/** Encoding and decoding driven by the model, without HTTP: every mapping rule the runtime implements. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ContractViolation } from '../../../connectors/errors';
import { codec, CORPUS, env, FIXTURES, model, shape } from './codec-helpers';

const FEATURES = `${FIXTURES}/soap/features.wsdl`;
const CIVIL = `${FIXTURES}/wsdl/civil-registry.wsdl`;
const ARABIC = 'ريم خالد الأحمد — دمشق، المزة ٣';
const TRICKY = `a & b < c > d "q" 'a' \r\n\tend ]]> ${ARABIC}`;

function violation(fn: () => unknown, direction: 'request' | 'response', pointer: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ContractViolation, String(e));
    assert.equal(e.direction, direction);
    assert.equal(e.violations[0]?.pointer, pointer, JSON.stringify(e.violations));
    return true;
  });
}

/** The request body turned into the response element, so the echo can be decoded. */
function echoed(envelope: string): string {
  return envelope.replace(/<(\/?)(ns\d+):Echo([ >])/g, '<$1$2:EchoResponse$3');
}

describe('soap/codec', function () {
  describe('features fixture: document/literal wrapped', () => {
    const m = model(FEATURES);
    const c = codec(m, 'Echo');

    it('writes a repeating sequence interleaved by index and a repeating choice option by option', () => {
      const xml = c.envelope({ title: 't', key: ['k1', 'k2', 'k3'], value: ['v1', null, 'v3'], phone: ['p1', 'p2'], email: ['e1'] });
      const body = /<soapenv:Body>(.*)<\/soapenv:Body>/.exec(xml)![1]!;
      assert.equal(
        body,
        '<ns1:Echo><ns1:title>t</ns1:title>' +
          '<ns1:key>k1</ns1:key><ns1:value>v1</ns1:value><ns1:key>k2</ns1:key><ns1:value xsi:nil="true"/><ns1:key>k3</ns1:key><ns1:value>v3</ns1:value>' +
          '<ns1:phone>p1</ns1:phone><ns1:phone>p2</ns1:phone><ns1:email>e1</ns1:email></ns1:Echo>',
      );
      assert.match(xml, /xmlns:xsi="http:\/\/www.w3.org\/2001\/XMLSchema-instance"/);
    });

    it('round-trips every scalar kind, lists, QName, nil, unqualified children, anyType and wildcards', () => {
      const input = {
        title: TRICKY,
        amount: 12.5,
        big: '18446744073709551615',
        count: -7,
        ratio: 'INF',
        flag: true,
        tags: ['a', 'b', 'c'],
        kind: '{urn:other:kinds}special',
        note: null,
        plain: { '@lang': 'ar', label: ARABIC, when: '2024-05-01T10:00:00' },
        blob: '<x:raw xmlns:x="urn:raw">1 &amp; 2</x:raw>tail',
        $any: ['<o:extra xmlns:o="urn:other" o:a="1">ok</o:extra>'],
      };
      const xml = c.envelope(input);
      assert.match(xml, /<ns1:amount>12.5<\/ns1:amount><ns1:big>18446744073709551615<\/ns1:big><ns1:count>-7<\/ns1:count><ns1:ratio>INF<\/ns1:ratio><ns1:flag>true<\/ns1:flag><ns1:tags>a b c<\/ns1:tags>/);
      assert.match(xml, /<ns1:kind xmlns:qn="urn:other:kinds">qn:special<\/ns1:kind>/);
      assert.match(xml, /<ns1:note xsi:nil="true"\/>/);
      // Plain is declared in a schema without elementFormDefault: its children are unqualified.
      assert.match(xml, /<ns1:plain lang="ar"><label>/);
      assert.match(xml, /<ns1:blob><x:raw xmlns:x="urn:raw">1 &amp; 2<\/x:raw>tail<\/ns1:blob><o:extra xmlns:o="urn:other" o:a="1">ok<\/o:extra><\/ns1:Echo>/);
      assert.ok(xml.includes('a &amp; b &lt; c &gt; d "q" \'a\' &#13;\n\tend ]]&gt; '), 'escaped, \\r as a reference');
      const { output } = c.decode(echoed(xml));
      assert.deepEqual(output, { ...input, amount: '12.5' });
    });

    it('any text XML 1.0 can carry round-trips exactly, in elements and attributes (property)', () => {
      // Any Unicode text (astral characters included), minus what XML 1.0 cannot carry at all.
      const xmlChar = fc.string({ unit: 'grapheme', maxLength: 40 }).map((x) => x.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g, ''));
      const arabic = fc.string({ unit: fc.integer({ min: 0x0600, max: 0x06ff }).map((c) => String.fromCharCode(c)), maxLength: 30 });
      fc.assert(
        fc.property(fc.oneof(xmlChar, arabic), fc.oneof(xmlChar, arabic), (text, attr) => {
          const input = { title: text, plain: { '@remark': attr, label: `${attr} ${text}` } };
          assert.deepEqual(c.decode(echoed(c.envelope(input))).output, input);
        }),
        { numRuns: 300 },
      );
      violation(() => c.envelope({ title: 'a\uD800b' }), 'request', '/title');
    });

    it('decodes numbers per kind: int as a number, decimals and unsignedLong as strings, trimmed; strings keep their whitespace', () => {
      const ns = 'urn:wasl:test:features';
      const { output } = c.decode(
        env(`<f:EchoResponse xmlns:f="${ns}"><f:title>  spaced ${ARABIC}  </f:title><f:amount> 0.10 </f:amount><f:big>
          9223372036854775808</f:big><f:count> 42 </f:count><f:ratio>-1.5E3</f:ratio><f:flag>0</f:flag><f:tags>  x   y </f:tags><f:kind xmlns:k="urn:k">k:v</f:kind></f:EchoResponse>`),
      );
      assert.deepEqual(output, { title: `  spaced ${ARABIC}  `, amount: '0.10', big: '9223372036854775808', count: 42, ratio: -1500, flag: false, tags: ['x', 'y'], kind: '{urn:k}v' });
    });

    it('refuses values the type cannot carry, with a JSON pointer and no value in the message', () => {
      violation(() => c.envelope({ title: 't', big: 1.5 }), 'request', '/big');
      violation(() => c.envelope({ title: 't', amount: 1e21 }), 'request', '/amount');
      violation(() => c.envelope({ title: null }), 'request', '/title');
      violation(() => c.envelope({ title: 't', $any: ['<a>unclosed'] }), 'request', '/$any/0');
      violation(() => c.envelope({ title: 't', $any: ['<a/><b/>'] }), 'request', '/$any/0');
      violation(() => c.envelope({ title: 't', blob: '</ns1:blob><ns1:title>injected</ns1:title><ns1:blob>' }), 'request', '/blob');
      violation(() => c.envelope({ title: 't', key: 'not-an-array' }), 'request', '/key');
      violation(() => c.envelope({ title: 't', plain: { label: 'x\u0001' } }), 'request', '/plain/label');
    });

    it('rejects qualified/unqualified mismatches and undeclared elements in a response', () => {
      const ns = 'urn:wasl:test:features';
      violation(() => c.decode(env(`<f:EchoResponse xmlns:f="${ns}"><title>t</title></f:EchoResponse>`)), 'response', '');
      violation(() => c.decode(env(`<f:EchoResponse xmlns:f="${ns}"><f:title>t</f:title><f:plain><f:label>x</f:label></f:plain></f:EchoResponse>`)), 'response', '/plain');
      violation(() => c.decode(env(`<f:Other xmlns:f="${ns}"/>`)), 'response', '');
      // An element of another namespace is the wildcard's.
      const { output } = c.decode(env(`<f:EchoResponse xmlns:f="${ns}"><f:title>t</f:title><z:x xmlns:z="urn:z" z:q="1"><z:y>2</z:y></z:x></f:EchoResponse>`));
      assert.deepEqual(output, { title: 't', $any: ['<z:x xmlns:z="urn:z" z:q="1"><z:y>2</z:y></z:x>'] });
    });
  });

  describe('features fixture: rpc/literal', () => {
    const c = codec(model(FEATURES), 'Sum');
    it('wraps the parts, unqualified, in the operation element of the soap:body namespace; long accepts a number', () => {
      const xml = c.envelope({ a: 40, b: '9007199254740993', label: ARABIC });
      assert.match(xml, /xmlns:ns1="urn:wasl:test:features:rpc"/);
      assert.match(xml, new RegExp(`<soapenv:Body><ns1:Sum><a>40</a><b>9007199254740993</b><label>${ARABIC}</label></ns1:Sum></soapenv:Body>`));
      const { output } = c.decode(env(`<r:SumResponse xmlns:r="urn:wasl:test:features:rpc"><total>9007199254741033</total><label>${ARABIC}</label></r:SumResponse>`));
      assert.deepEqual(output, { total: '9007199254741033', label: ARABIC });
      violation(() => c.envelope({ a: 2 ** 60, b: 1, label: '' }), 'request', '/a');
    });
  });

  describe('civil-registry fixture (WSDL engineer\'s)', () => {
    const m = model(CIVIL, 'CivilRegistrySoap11Port');

    it('complexContent extension: base elements first, then the extension; attributes, simpleContent, xml:lang, union, E1 names', () => {
      const c = codec(m, 'GetCitizen');
      const xml = c.envelope({ nationalNumber: '01020304050', codes: [1, 2, 3] });
      assert.match(xml, /<ns1:GetCitizen><ns1:nationalNumber>01020304050<\/ns1:nationalNumber><ns1:codes>1 2 3<\/ns1:codes><\/ns1:GetCitizen>/);
      const body = `<t:GetCitizenResponse xmlns:t="urn:wasl:test:civil" xmlns:c="urn:wasl:test:common">
        <t:citizen version="3" status="alive" createdBy="${ARABIC}">
          <t:nationalNumber>01020304050</t:nationalNumber><firstName>ريم</firstName><lastName>الأحمد</lastName>
          <t:birthDate>UNKNOWN</t:birthDate><t:gender>F</t:gender><t:nickname xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>
          <t:phone>1</t:phone><t:phone>2</t:phone>
          <t:address><street>شارع بغداد</street><city>دمشق</city><note xml:lang="ar">${ARABIC}</note></t:address>
          <t:nationalCardNo>X1</t:nationalCardNo><t:fee currency="SYP">1500.00</t:fee><t:remark><t:text>—</t:text></t:remark><t:recordId>9223372036854775807</t:recordId>
        </t:citizen><t:code>A</t:code><c:code>B</c:code><t:count>2</t:count><t:active>true</t:active></t:GetCitizenResponse>`;
      const { output } = c.decode(env(body));
      assert.deepEqual(output, {
        citizen: {
          '@version': 3,
          '@status': 'alive',
          '@createdBy': ARABIC,
          nationalNumber: '01020304050',
          firstName: 'ريم',
          lastName: 'الأحمد',
          birthDate: 'UNKNOWN',
          gender: 'F',
          nickname: null,
          phone: ['1', '2'],
          address: { street: 'شارع بغداد', city: 'دمشق', note: { '@lang': 'ar', $value: ARABIC } },
          nationalCardNo: 'X1',
          fee: { '@currency': 'SYP', $value: '1500.00' },
          remark: { text: '—' },
          recordId: '9223372036854775807',
        },
        code: 'A',
        'c:code': 'B',
        count: 2,
        active: true,
      });
    });

    it('document/literal bare with two parts, and a SOAP header part', () => {
      const c = codec(m, 'RegisterBirth');
      const person = { '@version': 1, nationalNumber: '01020304050', firstName: 'a', lastName: 'b', birthDate: '2024-01-02', gender: 'M', nickname: null };
      const xml = c.envelope({ Child: person, Mother: { ...person, gender: 'F' } }, { auth: { token: 'tok' } });
      assert.match(xml, /<soapenv:Header><ns1:AuthHeader><ns1:token>tok<\/ns1:token><\/ns1:AuthHeader><\/soapenv:Header>/);
      assert.match(xml, /<soapenv:Body><ns1:Child version="1"><ns1:nationalNumber>01020304050<\/ns1:nationalNumber><firstName>a<\/firstName>/);
      assert.match(xml, /<\/ns1:Child><ns1:Mother version="1">/);
      assert.deepEqual(c.decode(env('<t:Receipt xmlns:t="urn:wasl:test:civil">R-1</t:Receipt>')).output, { Receipt: 'R-1' });
    });

    it('SOAP 1.2 port: the same body in a 1.2 envelope', () => {
      const m12 = model(CIVIL, 'CivilRegistrySoap12Port');
      assert.equal(m12.soapVersion, '1.2');
      const xml = codec(m12, 'GetCitizen').envelope({ nationalNumber: '01020304050' });
      assert.match(xml, /^<\?xml version="1.0" encoding="utf-8"\?><soap:Envelope xmlns:soap="http:\/\/www.w3.org\/2003\/05\/soap-envelope"/);
    });
  });

  describe('X-Road example adapter', () => {
    const m = model(`${CORPUS}/xroad-example-adapter/example-adapter.wsdl`);
    const headers = {
      client: { '@objectType': 'SUBSYSTEM', xRoadInstance: 'FI_TEST', memberClass: 'GOV', memberCode: '1234567-8', subsystemCode: 'TestClient' },
      service: { '@objectType': 'SERVICE', xRoadInstance: 'FI_TEST', memberClass: 'GOV', memberCode: '9876543-1', subsystemCode: 'DemoService', serviceCode: 'helloService', serviceVersion: 'v1' },
      id: 'ID11234',
      userId: 'EE1234567890',
      protocolVersion: '4.0',
    };

    it('writes helloService exactly as X-Road\'s own example request, structurally (elements, namespaces, attributes, header order, values)', () => {
      const ours = codec(m, 'helloService').envelope({ name: 'Test' }, headers);
      const theirs = readFileSync(`${CORPUS}/xroad-example-adapter/examples/helloServiceRequest.xml`);
      assert.deepEqual(shape(ours), shape(theirs));
    });

    it('decodes every example response of the adapter, headers included', () => {
      for (const op of ['getRandom', 'helloService', 'listPeople', 'personDetails', 'storeAttachments']) {
        const r = codec(m, op).decode(readFileSync(`${CORPUS}/xroad-example-adapter/examples/${op}Response.xml`));
        assert.ok(r.output && typeof r.output === 'object', op);
        assert.equal((r.headers?.service as Record<string, unknown>).serviceCode, op);
      }
      const people = codec(m, 'listPeople').decode(readFileSync(`${CORPUS}/xroad-example-adapter/examples/listPeopleResponse.xml`)).output as { people: { person: unknown[] } };
      assert.equal(people.people.person.length, 6);
    });

    it('a required header missing is a request violation; X-Road\'s optional ones may be left out', () => {
      violation(() => codec(m, 'helloService').envelope({ name: 'x' }, { ...headers, client: undefined }), 'request', '/soapHeaders/client');
      assert.doesNotThrow(() => codec(m, 'helloService').envelope({ name: 'x' }, { ...headers, userId: undefined }));
    });
  });
});
