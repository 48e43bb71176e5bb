/**
 * Round trips of every corpus WSDL through the SOAP connector against the soap package's own
 * server (soap.listen), with the X-Road headers checked as an X-Road security server would see
 * them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SoapConnector } from '../../../connectors/soap/connector';
import { compileWsdlFile } from '../../../connectors/soap/wsdl/compile';
import { CORPUS, shape } from './codec-helpers';
import { startSoapServer, testProvider, XROAD_CONFIG, type SoapTestServer } from './servers';

const ADAPTER = `${CORPUS}/xroad-example-adapter/example-adapter.wsdl`;
const TEST_SERVICE = `${CORPUS}/xroad-test-service/test-service.wsdl`;
const DHL = `${CORPUS}/estonia-dhl/dhl.wsdl`;
const XRO = 'http://x-road.eu/xsd/xroad.xsd';
const IDEN = 'http://x-road.eu/xsd/identifiers';
const ARABIC = 'ريم خالد الأحمد';

type Handler = (args: any, cb: unknown, headers: any) => unknown;  

/** X-Road services answer with the request's headers: take them from the raw request, declaring the prefixes it used on the Envelope. */
function echoHeaders(srv: () => SoapTestServer): () => string {
  return () => {
    const last = srv().received.at(-1)?.body ?? '';
    const inner = /<soapenv:Header>([\s\S]*)<\/soapenv:Header>/.exec(last)?.[1] ?? '';
    return inner.replace(/<xro:(\w+)/g, `<xro:$1 xmlns:xro="${XRO}" xmlns:iden="${IDEN}"`);
  };
}

describe('soap/connector: corpus WSDLs against soap.listen', function () {
  describe('xroad-example-adapter (every operation)', () => {
    let srv: SoapTestServer;
    let conn: SoapConnector;
    const calls: Array<{ op: string; args: any; headers: any }> = [];  
    const handler = (op: string, fn: Handler): Handler => (args, cb, headers) => {
      calls.push({ op, args, headers });
      return fn(args, cb, headers);
    };
    const person = (ssn: string) => ({
      ssn,
      firstName: 'ريم',
      lastName: 'الأحمد',
      dateOfBirth: '1990-04-12',
      contactAddress: 'دمشق، المزة — بناء ٧ & <ملحق>',
      contacts: { contact: [{ type: 'phone', name: 'المنزل', value: '+963 11 1234567' }, { type: 'email', name: 'بريد', value: 'reem@example.org' }] },
    });

    before(async () => {
      srv = await startSoapServer({
        wsdlFile: ADAPTER,
        services: {
          testService: {
            testServicePort: {
              getRandom: handler('getRandom', () => ({ data: '95' })),
              helloService: handler('helloService', (a) => ({ message: `Hello ${a.name}! Greetings from adapter server!` })),
              listPeople: handler('listPeople', () => ({ people: { person: [{ ssn: '1230', firstName: 'John', lastName: 'Smith' }, { ssn: '1231', firstName: 'هبة', lastName: 'القاسم' }] } })),
              personDetails: handler('personDetails', (a) => ({ person: person(a.ssn) })),
              storeAttachments: handler('storeAttachments', () => ({ attachment: [{ name: 'attachment-1', size: '21' }] })),
              getAttachments: handler('getAttachments', (a) => ({ attachment: [].concat(a.size).map((s: string, i: number) => ({ name: `attachment-${i + 1}`, size: s })) })),
            },
          },
        },
        responseHeaders: echoHeaders(() => srv),
      });
      conn = new SoapConnector(testProvider(compileWsdlFile(ADAPTER).model, srv.url, { xroad: XROAD_CONFIG }));
    });
    after(() => srv.close());
    beforeEach(() => (calls.length = 0));

    it('getRandom: an empty request element, a string back', async () => {
      const r = await conn.call('getRandom', {});
      assert.deepEqual(r.output, { data: '95' });
      assert.equal(r.status, 200);
      assert.equal(r.attempts, 1);
      assert.match(srv.received.at(-1)!.body, /<soapenv:Body><ns1:getRandom><\/ns1:getRandom><\/soapenv:Body>/);
    });

    it('helloService: Arabic and markup characters arrive and return byte for byte', async () => {
      const name = `${ARABIC} & <"x">`;
      const r = await conn.call('helloService', { name }, { userId: 'centre-dam-01' });
      assert.equal(calls[0]!.args.name, name);
      assert.deepEqual(r.output, { message: `Hello ${name}! Greetings from adapter server!` });
      assert.ok(srv.received.at(-1)!.body.includes(Buffer.from(ARABIC, 'utf8').toString('utf8')));
    });

    it('listPeople: an unbounded array', async () => {
      const r = await conn.call('listPeople', {});
      assert.deepEqual(r.output, { people: { person: [{ ssn: '1230', firstName: 'John', lastName: 'Smith' }, { ssn: '1231', firstName: 'هبة', lastName: 'القاسم' }] } });
    });

    it('personDetails: complexContent extension, enumerations, nested arrays', async () => {
      const r = await conn.call('personDetails', { ssn: '1235' });
      assert.deepEqual(r.output, { person: person('1235') });
    });

    it('storeAttachments and getAttachments: arrays of positiveInteger (strings out, numbers accepted in)', async () => {
      assert.deepEqual((await conn.call('storeAttachments', {})).output, { attachment: [{ name: 'attachment-1', size: '21' }] });
      const r = await conn.call('getAttachments', { size: [21, '13'] });
      assert.deepEqual(calls.at(-1)!.args.size.map(String), ['21', '13']);
      assert.deepEqual(r.output, { attachment: [{ name: 'attachment-1', size: '21' }, { name: 'attachment-2', size: '13' }] });
    });

    it('sends the X-Road headers exactly as X-Road\'s example request: same elements, namespaces, attributes and order', async () => {
      await conn.call('helloService', { name: 'Test' }, { idempotencyKey: 'ID11234', userId: 'EE1234567890' });
      const ours = shape(srv.received.at(-1)!.body);
      const theirs = shape(readFileSync(`${CORPUS}/xroad-example-adapter/examples/helloServiceRequest.xml`));
      assert.deepEqual(ours, theirs);
      const req = srv.received.at(-1)!.headers;
      assert.equal(req['content-type'], 'text/xml; charset=utf-8');
      assert.equal(req.soapaction, '""');
      // …and as the server parsed them.
      const h = calls[0]!.headers;
      assert.equal(h.client.attributes['iden:objectType'], 'SUBSYSTEM');
      assert.equal(h.service.serviceCode, 'helloService');
      assert.equal(h.service.serviceVersion, 'v1');
      assert.equal(h.protocolVersion, '4.0');
    });

    it('every example request of the adapter, structurally: X-Road\'s canonical header order where the example uses it, the same header set elsewhere', async () => {
      const playground = {
        protocolVersion: '4.0',
        client: { xRoadInstance: 'PLAYGROUND', memberClass: 'COM', memberCode: '1234567-8', subsystemCode: 'TestClient' },
        service: { xRoadInstance: 'PLAYGROUND', memberClass: 'GOV', memberCode: '8765432-1', subsystemCode: 'TestService' },
      };
      const cases: Array<[string, unknown, typeof XROAD_CONFIG, Record<string, string>]> = [
        ['getRandom', {}, XROAD_CONFIG, { idempotencyKey: 'ID11234', userId: 'EE1234567890' }],
        ['helloService', { name: 'Test' }, XROAD_CONFIG, { idempotencyKey: 'ID11234', userId: 'EE1234567890' }],
        ['getAttachments', { size: ['100', 50] }, XROAD_CONFIG, { idempotencyKey: 'ID11234', userId: 'EE1234567890' }],
        ['listPeople', {}, playground, { idempotencyKey: '72f354776ea1c4eeb5f8b591425302747598fc22', userId: 'GBmisp', orderId: '' }],
        ['personDetails', { ssn: '1235' }, playground, { idempotencyKey: 'ccddc3c00618d5e1ce85f74fe1280d5cadb09876', userId: 'GBmisp', orderId: '' }],
      ];
      for (const [op, input, xroad, ctx] of cases) {
        const c = new SoapConnector(testProvider(compileWsdlFile(ADAPTER).model, srv.url, { xroad }));
        await c.call(op, input, ctx);
        const ours = shape(srv.received.at(-1)!.body);
        const theirs = shape(readFileSync(`${CORPUS}/xroad-example-adapter/examples/${op}Request.xml`));
        if (xroad === XROAD_CONFIG) assert.deepEqual(ours, theirs, op);
        else {
          // These two examples list the headers in reverse; X-Road does not fix an order.
          const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
          ours.children[0]!.children.sort(byName);
          theirs.children[0]!.children.sort(byName);
          assert.deepEqual(ours, theirs, op);
        }
      }
    });

    it('issue carries the order id; id is a fresh UUID without an idempotency key; the response headers are decoded', async () => {
      const r = await conn.call('helloService', { name: 'x' }, { orderId: 'ORD-2024-000123', userId: 'centre-dam-01' });
      const h = calls[0]!.headers;
      assert.equal(h.issue, 'ORD-2024-000123');
      assert.equal(h.userId, 'centre-dam-01');
      assert.match(h.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const order = shape(srv.received.at(-1)!.body).children[0]!.children.map((c) => c.name.replace(/^\{[^}]*\}/, ''));
      assert.deepEqual(order, ['client', 'service', 'id', 'userId', 'issue', 'protocolVersion']);
      assert.equal(r.soapHeaders?.issue, 'ORD-2024-000123');
      assert.deepEqual(r.soapHeaders?.client, { '@objectType': 'SUBSYSTEM', ...XROAD_CONFIG.client });
      const second = await conn.call('helloService', { name: 'x' });
      assert.notEqual(calls[1]!.headers.id, h.id);
      assert.equal(second.soapHeaders?.issue, undefined);
    });

    it('refuses input that does not match the operation\'s schema, sending nothing', async () => {
      const before = srv.received.length;
      await assert.rejects(conn.call('helloService', { name: 42 }), (e: any) => e.code === 'contract-violation' && e.direction === 'request' && e.violations[0].pointer === '/name');  
      await assert.rejects(conn.call('personDetails', { ssn: '1', extra: true }), /contract/);
      await assert.rejects(conn.call('noSuchOperation', {}), /contract/);
      assert.equal(srv.received.length, before);
    });

    it('lists its operations with schemas and bindings', () => {
      const ops = conn.operations();
      assert.deepEqual(ops.map((o) => o.name).sort(), ['getAttachments', 'getRandom', 'helloService', 'listPeople', 'personDetails', 'storeAttachments']);
      const hello = ops.find((o) => o.name === 'helloService')!;
      assert.equal(hello.idempotent, false);
      assert.deepEqual(hello.binding, { soapAction: '', style: 'document', soapVersion: '1.1', wrapped: true });
    });
  });

  describe('xroad-test-service (a schema without elementFormDefault: unqualified children)', () => {
    let srv: SoapTestServer;
    let seen: any;  
    before(async () => {
      srv = await startSoapServer({
        wsdlFile: TEST_SERVICE,
        services: { testService: { testServicePort: { testService: (a: unknown) => ((seen = a), { data: 'بيانات الاختبار', processingTime: '12' }) } } },
      });
    });
    after(() => srv.close());

    it('writes the children unqualified and reads them back', async () => {
      const conn = new SoapConnector(testProvider(compileWsdlFile(TEST_SERVICE).model, srv.url, { xroad: XROAD_CONFIG }));
      const r = await conn.call('testService', { responseBodySize: '10', responseAttachmentSize: '0' }, { userId: 'operator-1' });
      assert.deepEqual(r.output, { data: 'بيانات الاختبار', processingTime: '12' });
      assert.deepEqual(seen, { responseBodySize: '10', responseAttachmentSize: '0' });
      assert.match(srv.received.at(-1)!.body, /<ns1:testService><responseBodySize>10<\/responseBodySize><responseAttachmentSize>0<\/responseAttachmentSize><\/ns1:testService>/);
    });
  });

  describe('estonia-dhl (imported leniently: unreachable schemas become raw XML)', () => {
    let srv: SoapTestServer;
    let conn: SoapConnector;
    let seen: any;  
    before(async () => {
      srv = await startSoapServer({
        wsdlFile: DHL,
        services: {
          dhlService: {
            dhlHttpSoapPort: {
              getSendingOptions: (a: unknown) => (
                (seen = a),
                {
                  keha: {
                    asutus: [
                      { regnr: '70006317', nimi: 'Riigi Infosüsteemi Amet', saatmine: { saatmisviis: ['dhl', 'dhl_otse'] } },
                      { regnr: '70000001', nimi: 'وزارة الداخلية', saatmine: { saatmisviis: ['dhl'] }, ks_asutuse_regnr: '70006317' },
                    ],
                  },
                }
              ),
              markDocumentsReceived: (a: unknown) => ((seen = a), { keha: 'OK' }),
              receiveDocuments: (a: unknown) => ((seen = a), { keha: { attributes: { href: 'cid:doc-1' } } }),
            },
          },
        },
      });
      const { model } = compileWsdlFile(DHL, { allowUnresolved: true });
      conn = new SoapConnector(testProvider(model, srv.url, { xroad: XROAD_CONFIG }));
    });
    after(() => srv.close());

    it('getSendingOptions: optional elements, booleans, integers, arrays of arrays', async () => {
      const r = await conn.call('getSendingOptions', { keha: { asutused: { asutus: ['70006317', '70000001'] }, vastuvotmata_dokumente_ootel: true, vahetatud_dokumente_vahemalt: 5 } });
      assert.deepEqual(seen.keha.asutused.asutus, ['70006317', '70000001']);
      assert.deepEqual(r.output, {
        keha: {
          asutus: [
            { regnr: '70006317', nimi: 'Riigi Infosüsteemi Amet', saatmine: { saatmisviis: ['dhl', 'dhl_otse'] } },
            { regnr: '70000001', nimi: 'وزارة الداخلية', saatmine: { saatmisviis: ['dhl'] }, ks_asutuse_regnr: '70006317' },
          ],
        },
      });
    });

    it('receiveDocuments and markDocumentsReceived: a type from an unreachable schema travels as raw XML', async () => {
      const r = await conn.call('receiveDocuments', { keha: { arv: '10', kaust: '/'.concat('sissetulevad') } });
      assert.equal(String(seen.keha.arv), '10'); // the soap package's server reads xsd:integer as a number
      assert.deepEqual(r.output, { keha: { '@href': 'cid:doc-1' } });
      const m = await conn.call('markDocumentsReceived', { keha: { kaust: 'a &amp; b' } });
      assert.equal(seen.keha.kaust, 'a & b');
      assert.deepEqual(m.output, { keha: 'OK' });
    });
  });
});
