/**
 * Both SOAP versions end to end (the civil-registry fixture has a 1.1 and a 1.2 port), and SOAP
 * faults of both versions turned into ProviderFault or, through the provider's error mapping,
 * BusinessRefusal.
 */
import assert from 'node:assert/strict';
import type { ErrorMapping } from '../../../contracts/types';
import { SoapConnector } from '../../../connectors/soap/connector';
import { BusinessRefusal, ProviderFault } from '../../../connectors/errors';
import { observeCalls } from '../../../connectors/observe';
import type { CallRecord } from '../../../connectors/connector';
import { compileWsdlFile } from '../../../connectors/soap/wsdl/compile';
import { env, FIXTURES } from './codec-helpers';
import { startBareServer, startSoapServer, testProvider, type BareServer, type SoapTestServer } from './servers';

const CIVIL = `${FIXTURES}/wsdl/civil-registry.wsdl`;
const ARABIC = 'ريم خالد الأحمد';
const ERRORS: ErrorMapping = {
  rules: [
    { faultCode: 'PERSON_NOT_FOUND', reason: 'person-not-found', message: { ar: 'الشخص غير موجود', en: 'Person not found' } },
    { faultCodePattern: '^RECORD_SEALED', reason: 'record-sealed' },
    { faultCode: 'BadArguments', reason: 'invalid-request' },
  ],
};

const citizen = {
  '@version': 3,
  '@status': 'alive',
  nationalNumber: '01020304050',
  firstName: 'ريم',
  lastName: 'الأحمد',
  birthDate: '1990-04-12',
  gender: 'F',
  nickname: null,
  phone: ['+963944123456'],
  address: { street: 'شارع بغداد، بناء ٧', city: 'دمشق', note: { '@lang': 'ar', $value: ARABIC } },
  nationalCardNo: 'A-123',
  fee: { '@currency': 'SYP', $value: '1500.50' },
  recordId: '9223372036854775807',
};

/**
 * The GetCitizen response children as the contract wants them. The soap package's server would
 * write the unqualified children (firstName, street…) in the target namespace and xsi:nil without
 * declaring xsi — both refused by a strict reader — so the handler hands it this XML ($xml).
 */
const CITIZEN_XML =
  `<citizen version="3" status="alive"><nationalNumber>01020304050</nationalNumber><firstName xmlns="">ريم</firstName><lastName xmlns="">الأحمد</lastName>` +
  `<birthDate>1990-04-12</birthDate><gender>F</gender><nickname xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/><phone>+963944123456</phone>` +
  `<address><street xmlns="">شارع بغداد، بناء ٧</street><city xmlns="">دمشق</city><note xmlns="" xml:lang="ar">${ARABIC}</note></address>` +
  `<nationalCardNo>A-123</nationalCardNo><fee currency="SYP">1500.50</fee><recordId>9223372036854775807</recordId></citizen>` +
  `<code>OK</code><c:code xmlns:c="urn:wasl:test:common">C1</c:code><count>1</count><active>true</active>`;

function faultOf(kind: string, version: '1.1' | '1.2'): unknown {
  const detail = { RegistryFault: { code: kind, message: { attributes: { 'xml:lang': 'ar' }, $value: 'سجل مختوم' } } };
  if (version === '1.1') return { Fault: { faultcode: kind === 'SERVER' ? 'soap:Server' : 'soap:Client', faultstring: `الرقم الوطني غير موجود: ${kind}`, detail, statusCode: 500 } };
  return { Fault: { Code: { Value: kind === 'SERVER' ? 'soap:Receiver' : 'soap:Sender', Subcode: { Value: 'rpc:BadArguments' } }, Reason: { Text: `سبب: ${kind}` }, Detail: detail, statusCode: kind === 'SERVER' ? 503 : 400 } };
}

for (const version of ['1.1', '1.2'] as const) {
  describe(`soap/connector: SOAP ${version} end to end (civil-registry fixture, soap.listen)`, function () {
    let srv: SoapTestServer;
    let conn: SoapConnector;
    let lastArgs: any;  
    let lastHeaders: any;  
    const port = version === '1.1' ? 'CivilRegistrySoap11Port' : 'CivilRegistrySoap12Port';

    before(async () => {
      const handlers = {
        GetCitizen: (a: any, _cb: unknown, h: unknown) => {  
          lastArgs = a;
          lastHeaders = h;
          if (a.nationalNumber !== '01020304050') throw faultOf(a.nationalNumber === '00000000000' ? 'PERSON_NOT_FOUND' : a.nationalNumber === '11111111111' ? 'RECORD_SEALED_BY_COURT' : 'SERVER', version);
          return { $xml: CITIZEN_XML };
        },
        // The soap package would wrap a bare simple part twice (<Receipt><Receipt>…): $xml writes the text alone.
        RegisterBirth: (a: unknown, _cb: unknown, h: unknown) => ((lastArgs = a), (lastHeaders = h), { $xml: 'R-٢٠٢٤-1' }),
        GetCertificateStatus: (a: unknown) => ((lastArgs = a), { status: 'valid', issuedAt: '2024-05-01T10:00:00Z' }),
        NotifyDeath: (a: unknown) => ((lastArgs = a), undefined),
      };
      // The soap package's server picks the binding by the port's address path.
      srv = await startSoapServer({ wsdlFile: CIVIL, path: version === '1.1' ? '/civil/soap11' : '/civil/soap12', soap12: version === '1.2', services: { CivilRegistryService: { [port]: handlers } } });
      const { model } = compileWsdlFile(CIVIL, { port });
      assert.equal(model.soapVersion, version);
      conn = new SoapConnector(testProvider(model, srv.url, { errors: ERRORS }));
    });
    after(() => srv.close());

    it('document/literal wrapped: qualified and unqualified children, extension, attributes, simpleContent, Arabic', async () => {
      const r = await conn.call('GetCitizen', { nationalNumber: '01020304050', codes: [1, 2] });
      assert.equal(lastArgs.nationalNumber, '01020304050');
      assert.deepEqual(r.output, { citizen, code: 'OK', 'c:code': 'C1', count: 1, active: true });
      const h = srv.received.at(-1)!.headers;
      if (version === '1.1') {
        assert.equal(h['content-type'], 'text/xml; charset=utf-8');
        assert.equal(h.soapaction, '"urn:wasl:test:civil:GetCitizen"');
      } else {
        assert.equal(h['content-type'], 'application/soap+xml; charset=utf-8; action="urn:wasl:test:civil:GetCitizen"');
        assert.equal(h.soapaction, undefined);
        assert.match(srv.received.at(-1)!.body, /<soap:Envelope xmlns:soap="http:\/\/www.w3.org\/2003\/05\/soap-envelope"/);
      }
    });

    it('document/literal bare with two parts and a SOAP header from the call context', async () => {
      const person = { '@version': 1, nationalNumber: '01020304050', firstName: 'طفل', lastName: 'الأحمد', birthDate: '2024-05-01', gender: 'M', nickname: null };
      const r = await conn.call('RegisterBirth', { Child: person, Mother: { ...person, firstName: 'ريم', gender: 'F' } }, { soapHeaders: { auth: { token: 'tok-1' } } });
      assert.deepEqual(r.output, { Receipt: 'R-٢٠٢٤-1' });
      assert.equal(lastHeaders.AuthHeader.token, 'tok-1');
      assert.match(srv.received.at(-1)!.body, /<ns1:Child version="1"><ns1:nationalNumber>01020304050<\/ns1:nationalNumber><firstName>طفل<\/firstName>/);
    });

    it('rpc/literal: the server reads the request; its non-conformant answer is refused', async () => {
      // The soap package answers rpc/literal in the target namespace with qualified parts, where the
      // WSDL says namespace urn:wasl:test:civil:rpc and unqualified parts: a strict client refuses it.
      // (A conformant rpc response is decoded in the bare-server tests below.)
      await assert.rejects(conn.call('GetCertificateStatus', { certificateId: 12345678901234, lang: 'ar' }), (e: any) => e.code === 'contract-violation' && e.direction === 'response');  
      assert.deepEqual({ ...lastArgs, certificateId: String(lastArgs.certificateId) }, { certificateId: '12345678901234', lang: 'ar' });
      assert.match(srv.received.at(-1)!.body, /<ns\d:GetCertificateStatus><certificateId>12345678901234<\/certificateId><lang>ar<\/lang><\/ns\d:GetCertificateStatus>/);
    });

    it('a fault mapped by its detail code becomes a BusinessRefusal, with the provider\'s text kept apart', async () => {
      await assert.rejects(conn.call('GetCitizen', { nationalNumber: '00000000000' }, { orderId: 'ORD-1' }), (e: unknown) => {
        assert.ok(e instanceof BusinessRefusal, String(e));
        assert.equal(e.reason, version === '1.1' ? 'person-not-found' : 'invalid-request');
        assert.equal(e.transient, false);
        assert.equal(e.provider, 'test-provider');
        assert.equal(e.operation, 'GetCitizen');
        assert.equal(e.attempt, 1);
        assert.ok(!e.message.includes('الرقم'), 'the provider text is not in the message');
        assert.ok(e.providerMessage?.length);
        return true;
      });
      if (version === '1.1') {
        await assert.rejects(conn.call('GetCitizen', { nationalNumber: '11111111111' }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'record-sealed');
      }
    });

    it('an unmapped fault is a ProviderFault with the local name of the fault code', async () => {
      const plain = new SoapConnector(testProvider(compileWsdlFile(CIVIL, { port }).model, srv.url));
      await assert.rejects(plain.call('GetCitizen', { nationalNumber: '00000000000' }), (e: unknown) => {
        assert.ok(e instanceof ProviderFault, String(e));
        assert.equal(e.faultCode, version === '1.1' ? 'Client' : 'Sender');
        assert.equal(e.status, version === '1.1' ? 500 : 400);
        assert.equal(e.transient, false);
        assert.match(e.providerMessage ?? '', version === '1.1' ? /^الرقم الوطني غير موجود/ : /^سبب/);
        return true;
      });
      await assert.rejects(plain.call('GetCitizen', { nationalNumber: '22222222222' }), (e: unknown) => {
        assert.ok(e instanceof ProviderFault);
        assert.equal(e.faultCode, version === '1.1' ? 'Server' : 'Receiver');
        // 1.1: a Server fault on a plain 500 is not transient; 1.2: the server said 503.
        assert.equal(e.transient, version === '1.2');
        return true;
      });
    });
  });
}

describe('soap/connector: faults and statuses from a bare server', function () {
  let srv: BareServer;
  let reply: (hit: number) => { status: number; body: string; type?: string };
  const records: CallRecord[] = [];
  let stop: () => void;
  before(async () => {
    srv = await startBareServer((_req, _body, res, hit) => {
      const r = reply(hit);
      res.writeHead(r.status, { 'content-type': r.type ?? 'text/xml; charset=utf-8' });
      res.end(r.body);
    });
    stop = observeCalls((r) => records.push(r));
  });
  after(() => (stop(), srv.close()));
  beforeEach(() => (records.length = 0));

  const conn = () =>
    new SoapConnector(testProvider(compileWsdlFile(CIVIL, { port: 'CivilRegistrySoap11Port' }).model, srv.url, { errors: ERRORS, resilience: { retry: { maxAttempts: 3 } } }), 'sandbox', {
      transientFaultCodes: [/^Server\.Busy/],
    });
  const fault11 = (code: string, detail = '') => env(`<S:Fault><faultcode>S:${code}</faultcode><faultstring xml:lang="ar">${ARABIC}</faultstring>${detail}</S:Fault>`);

  it('a Server fault on a plain 500 is not transient and not retried, even with an idempotency key', async () => {
    reply = () => ({ status: 500, body: fault11('Server') });
    await assert.rejects(conn().call('GetCitizen', { nationalNumber: '01020304050' }, { idempotencyKey: 'k1' }), (e: unknown) => e instanceof ProviderFault && !e.transient && e.attempt === 1);
    assert.equal(records[0]?.outcome, 'provider-fault');
    assert.equal(records[0]?.status, 500);
  });

  it('a fault code listed as transient is retried when the call has an idempotency key; the record counts attempts', async () => {
    const base = srv.hits;
    reply = (hit) => (hit - base === 1 ? { status: 500, body: fault11('Server.Busy.Overloaded') } : okCitizen());
    const r = await conn().call('GetCitizen', { nationalNumber: '01020304050' }, { idempotencyKey: 'k2', orderId: 'ORD-9' });
    assert.equal(r.attempts, 2);
    assert.deepEqual(records.map((x) => [x.outcome, x.attempts, x.orderId, x.status]), [['success', 2, 'ORD-9', 200]]);
    assert.ok(records[0]!.requestBytes > 0 && records[0]!.responseBytes > 0);
  });

  it('a code element deep in the detail is matched by the error mapping', async () => {
    reply = () => ({ status: 500, body: fault11('Client', '<detail><e:err xmlns:e="urn:e"><e:info><e:errorCode>RECORD_SEALED_7</e:errorCode></e:info></e:err></detail>') });
    await assert.rejects(conn().call('GetCitizen', { nationalNumber: '01020304050' }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'record-sealed' && e.providerCode === 'RECORD_SEALED_7');
    assert.equal(records[0]?.outcome, 'business-refusal');
  });

  it('SOAP 1.2 fault: Code, Subcodes, Reason/Text, Detail', async () => {
    reply = () => ({
      status: 400,
      type: 'application/soap+xml',
      body: env(
        '<S:Fault><S:Code><S:Value>S:Sender</S:Value><S:Subcode><S:Value xmlns:a="urn:a">a:Invalid</S:Value><S:Subcode><S:Value>a:PERSON_NOT_FOUND</S:Value></S:Subcode></S:Subcode></S:Code><S:Reason><S:Text xml:lang="ar">غير موجود</S:Text><S:Text xml:lang="en">not found</S:Text></S:Reason><S:Detail><x>1</x></S:Detail></S:Fault>',
        '',
        '1.2',
      ),
    });
    await assert.rejects(conn().call('GetCitizen', { nationalNumber: '01020304050' }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'person-not-found' && e.providerMessage === 'غير موجود');
  });

  it('other statuses without a fault: ProviderFault with the status, transient per retry.statuses', async () => {
    reply = () => ({ status: 404, body: '<html>not here</html>', type: 'text/html' });
    await assert.rejects(conn().call('GetCitizen', { nationalNumber: '01020304050' }), (e: unknown) => e instanceof ProviderFault && e.status === 404 && !e.transient && e.faultCode === undefined);
    const before = srv.hits;
    reply = (hit) => (hit - before < 3 ? { status: 502, body: 'Bad gateway', type: 'text/plain' } : okCitizen());
    const r = await conn().call('GetCitizen', { nationalNumber: '01020304050' }, { idempotencyKey: 'k3' });
    assert.equal(r.attempts, 3);
    assert.equal(srv.hits - before, 3);
    reply = () => ({ status: 503, body: '' });
    await assert.rejects(conn().call('GetCitizen', { nationalNumber: '01020304050' }), (e: unknown) => e instanceof ProviderFault && e.status === 503 && e.transient && e.attempt === 1);
  });

  it('a 200 that is not a SOAP envelope, or does not match the output schema, is a ContractViolation', async () => {
    reply = () => ({ status: 200, body: '<a:b xmlns:a="urn:x"/>' });
    await assert.rejects(conn().call('GetCitizen', { nationalNumber: '01020304050' }), (e: any) => e.code === 'contract-violation' && e.direction === 'response');  
    reply = () => ({ status: 200, body: env('<t:GetCitizenResponse xmlns:t="urn:wasl:test:civil"><t:code>x</t:code></t:GetCitizenResponse>') });
    await assert.rejects(conn().call('GetCitizen', { nationalNumber: '01020304050' }), (e: any) => e.code === 'contract-violation' && e.violations.some((v: any) => v.pointer === '/count'));  
    reply = () => ({ status: 200, body: 'plain text, not XML' });
    await assert.rejects(conn().call('GetCitizen', { nationalNumber: '01020304050' }), (e: any) => e.code === 'unsafe-response' && e.limit === 'malformed');  
    assert.deepEqual(records.map((r) => r.outcome), ['contract-violation', 'contract-violation', 'unsafe-response']);
  });

  it('rpc/literal: a conformant response (wrapper in the soap:body namespace, unqualified parts)', async () => {
    reply = () => ({ status: 200, body: env('<r:GetCertificateStatusResponse xmlns:r="urn:wasl:test:civil:rpc"><status>revoked</status><issuedAt>2024-05-01T10:00:00+03:00</issuedAt></r:GetCertificateStatusResponse>') });
    const r = await conn().call('GetCertificateStatus', { certificateId: '9007199254740993', lang: 'ar' });
    assert.deepEqual(r.output, { status: 'revoked', issuedAt: '2024-05-01T10:00:00+03:00' });
    assert.match(srv.received.at(-1)!.body, /<ns\d:GetCertificateStatus><certificateId>9007199254740993<\/certificateId>/);
  });

  it('without X-Road headers the idempotency key travels as an Idempotency-Key HTTP header, with the call\'s extra headers', async () => {
    reply = () => okCitizen();
    await conn().call('GetCitizen', { nationalNumber: '01020304050' }, { idempotencyKey: 'order-7/step-2', headers: { 'X-Request-Id': 'r-1' } });
    const h = srv.received.at(-1)!.headers;
    assert.equal(h['idempotency-key'], 'order-7/step-2');
    assert.equal(h['x-request-id'], 'r-1');
    assert.equal(h.soapaction, '"urn:wasl:test:civil:GetCitizen"');
  });

  it('a one-way operation accepts an empty 202', async () => {
    reply = () => ({ status: 202, body: '' });
    const r = await conn().call('NotifyDeath', { nationalNumber: '01020304050' });
    assert.deepEqual(r.output, {});
    assert.equal(r.status, 202);
  });
});

function okCitizen() {
  return {
    status: 200,
    body: env('<t:GetCitizenResponse xmlns:t="urn:wasl:test:civil" xmlns:c="urn:wasl:test:common"><t:code>A</t:code><c:code>B</c:code><t:count>1</t:count><t:active>1</t:active></t:GetCitizenResponse>'),
  };
}
