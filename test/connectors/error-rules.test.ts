/**
 * errors.rules that fit real providers (issue 23): criteria on the fault's text and detail, and
 * rule kinds (refusal, transient, permanent) — unit tests of connectors/error-mapping.ts, of
 * the SOAP fault reader, of the schema, and the SOAP connector against a stand-in VAT-number
 * check (SOAP 1.1 document/literal) that answers faultcode Server for both a refusal and an
 * outage, with the reason only in faultstring.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAjv } from '../../contracts/index';
import providerSchema from '../../contracts/provider.schema.json';
import type { ErrorMapping } from '../../contracts/types';
import { describeRule, elementsAt, mapFault, mapRefusal, matchRule, MAX_TEXT } from '../../connectors/error-mapping';
import { BusinessRefusal, ProviderFault } from '../../connectors/errors';
import { faultToError, readFault } from '../../connectors/soap/fault';
import { SoapConnector } from '../../connectors/soap/connector';
import { compileWsdlFile } from '../../connectors/soap/wsdl/compile';
import type { ProviderDefinition } from '../../contracts/types';
import { parseXml, type XmlElement } from '../../connectors/xml/parse';

const meta = { provider: 'vat-check', operation: 'checkVat', attempt: 1, durationMs: 5 };
const unmapped = (transient: boolean, status = 500) => ({ status, faultCode: 'Server', transient });

function detailOf(xml: string): XmlElement[] {
  return parseXml(`<detail>${xml}</detail>`).children.filter((c): c is XmlElement => typeof c !== 'string');
}

describe('connectors/error-mapping: rule criteria', () => {
  it('faultString matches the fault text exactly (trimmed), faultStringPattern in linear time', () => {
    const rules: ErrorMapping = { rules: [{ faultString: 'INVALID_INPUT', reason: 'invalid-vat-number' }, { faultStringPattern: '^MS_MAX_CONCURRENT_REQ\\b', reason: 'busy' }] };
    assert.equal(mapRefusal(rules, { faultCode: 'Server', faultString: '  INVALID_INPUT\n' })?.reason, 'invalid-vat-number');
    assert.equal(mapRefusal(rules, { faultCode: 'Server', faultString: 'INVALID_INPUT: more' }), undefined, 'exact, not a prefix');
    assert.equal(mapRefusal(rules, { faultCode: 'Server', faultString: 'MS_MAX_CONCURRENT_REQ: try later' })?.reason, 'busy');
    assert.equal(mapRefusal(rules, { faultCode: 'Server', faultString: 'XMS_MAX_CONCURRENT_REQ' }), undefined);
    assert.equal(mapRefusal(rules, { faultCode: 'Server' }), undefined, 'no text, no match');
  });

  it('tries text patterns on the first MAX_TEXT characters only, and stays fast on hostile text', () => {
    const rules: ErrorMapping = { rules: [{ faultStringPattern: '^INVALID_INPUT', reason: 'a' }, { faultStringPattern: 'TAIL$', reason: 'b' }, { faultStringPattern: '(a|aa)+$', reason: 'c' }] };
    const long = `INVALID_INPUT ${'x'.repeat(200_000)}`;
    assert.equal(mapRefusal(rules, { faultString: long })?.reason, 'a');
    assert.equal(mapRefusal({ rules: rules.rules!.slice(1, 2) }, { faultString: `${'x'.repeat(MAX_TEXT)}TAIL` }), undefined, 'past the bound');
    const t0 = performance.now();
    assert.equal(mapRefusal({ rules: rules.rules!.slice(2) }, { faultString: `${'a'.repeat(3000)}!` }), undefined);
    assert.ok(performance.now() - t0 < 1000, 'linear time');
    assert.throws(() => mapRefusal({ rules: [{ faultStringPattern: '(', reason: 'x' }] }, { faultString: 'a' }), /errors\.rules\[0\]\.faultStringPattern/);
    assert.throws(() => mapRefusal({ rules: [{ detailPath: 'a', detailPattern: '(?<=a)b', reason: 'x' }] }, { detail: detailOf('<a>b</a>') }), /errors\.rules\[0\]\.detailPattern/);
  });

  it('reads a REST fault text at messagePointer, else /message, else a text body', () => {
    const rules: ErrorMapping = { rules: [{ status: 400, messagePointer: '/error/description', faultStringPattern: '^Invalid IBAN', reason: 'invalid-iban' }, { faultString: 'Account closed', reason: 'account-closed' }] };
    assert.equal(mapRefusal(rules, { status: 400, body: { error: { description: 'Invalid IBAN checksum' } } })?.reason, 'invalid-iban');
    assert.equal(mapRefusal(rules, { status: 400, body: { message: 'Invalid IBAN checksum' } }), undefined, 'the pointer, not /message');
    assert.equal(mapRefusal(rules, { status: 409, body: { message: 'Account closed' } })?.reason, 'account-closed');
    assert.equal(mapRefusal(rules, { status: 409, body: 'Account closed' })?.reason, 'account-closed');
    assert.equal(mapRefusal(rules, { status: 409, body: { message: 42 } }), undefined);
  });

  it('detailPath finds any element of the detail by local names, with detailValue or detailPattern', () => {
    const detail = detailOf('<ns2:ValidationError xmlns:ns2="urn:x"><ns2:Field>vatNumber</ns2:Field><ns2:Code>E041</ns2:Code></ns2:ValidationError><ns2:ValidationError xmlns:ns2="urn:x"><ns2:Code> E042 </ns2:Code></ns2:ValidationError>');
    const r = (rule: NonNullable<ErrorMapping['rules']>[number]) => mapRefusal({ rules: [rule] }, { faultCode: 'Server', detail })?.reason;
    assert.equal(r({ detailPath: 'ValidationError/Code', reason: 'exists' }), 'exists');
    assert.equal(r({ detailPath: 'ValidationError/Code', detailValue: 'E042', reason: 'second' }), 'second', 'any of several, text trimmed');
    assert.equal(r({ detailPath: 'ns9:ValidationError/Code', detailPattern: '^E04[12]$', reason: 'pattern' }), 'pattern', 'prefixes ignored');
    assert.equal(r({ detailPath: '*/Field', detailValue: 'vatNumber', reason: 'wild' }), 'wild');
    assert.equal(r({ detailPath: 'ValidationError/Code', detailValue: 'E043', reason: 'x' }), undefined);
    assert.equal(r({ detailPath: 'ValidationError/Missing', reason: 'x' }), undefined);
    assert.equal(r({ detailPath: 'Code', reason: 'x' }), undefined, 'from the detail\'s children, not anywhere');
    assert.equal(mapRefusal({ rules: [{ detailPath: 'Code', reason: 'x' }] }, { faultCode: 'Server' }), undefined, 'no detail');
  });

  it('bounds a detailPath walk on a wide detail', () => {
    const wide = detailOf(`<a>${'<b><c>1</c></b>'.repeat(5000)}<b><c>LAST</c></b></a>`);
    assert.equal(elementsAt(wide, 'a/b/c').length, 0, 'over the bound: no match rather than a long walk');
    assert.equal(elementsAt(detailOf('<a><b><c>1</c></b></a>'), 'a/b/c').length, 1);
  });

  it('codePointer on its own needs a value there; status and code as before', () => {
    const rules: ErrorMapping = { rules: [{ status: 422, codePointer: '/errors/0/code', reason: 'validation' }] };
    assert.equal(mapRefusal(rules, { status: 422, body: { errors: [{ code: 'X' }] } })?.providerCode, 'X');
    assert.equal(mapRefusal(rules, { status: 422, body: { errors: [] } }), undefined);
    assert.equal(mapRefusal(rules, { status: 400, body: { errors: [{ code: 'X' }] } }), undefined);
  });

  it('needs every criterion given to hold (AND)', () => {
    const rules: ErrorMapping = { rules: [{ faultCode: 'Server', faultStringPattern: '^INVALID', detailPath: 'Err/Code', detailValue: 'V1', status: 500, reason: 'all' }] };
    const base = { faultCode: 'Server', faultString: 'INVALID_INPUT', detail: detailOf('<Err><Code>V1</Code></Err>'), status: 500 };
    assert.equal(mapRefusal(rules, base)?.reason, 'all');
    assert.equal(mapRefusal(rules, { ...base, faultCode: 'Client' }), undefined);
    assert.equal(mapRefusal(rules, { ...base, faultString: 'SERVICE_UNAVAILABLE' }), undefined);
    assert.equal(mapRefusal(rules, { ...base, detail: detailOf('<Err><Code>V2</Code></Err>') }), undefined);
    assert.equal(mapRefusal(rules, { ...base, status: 503 }), undefined);
  });
});

describe('connectors/error-mapping: rule kinds', () => {
  const rules: ErrorMapping = {
    rules: [
      { faultStringPattern: '^INVALID_INPUT\\b', reason: 'invalid-vat-number', message: { ar: 'رقم التعريف الضريبي غير صالح', en: 'The VAT number is not valid' } },
      { faultStringPattern: '^(SERVICE_UNAVAILABLE|MS_UNAVAILABLE)\\b', kind: 'transient' },
      { faultStringPattern: '^INVALID_REQUESTER_INFO\\b', kind: 'permanent' },
      { kind: 'refusal', faultString: 'REFUSED', reason: 'refused' },
    ],
  };

  it('refusal (the default): a BusinessRefusal with the rule\'s reason and text, naming the rule', () => {
    const e = mapFault(rules, { faultCode: 'Server', status: 500, faultString: 'INVALID_INPUT: the VAT number is not valid' }, { ...meta, providerMessage: 'INVALID_INPUT: the VAT number is not valid' }, unmapped(false));
    assert.ok(e instanceof BusinessRefusal);
    assert.equal(e.reason, 'invalid-vat-number');
    assert.equal(e.providerCode, 'Server');
    assert.deepEqual((e as BusinessRefusal & { text?: unknown }).text, { ar: 'رقم التعريف الضريبي غير صالح', en: 'The VAT number is not valid' });
    assert.deepEqual(e.rule, { index: 0, kind: 'refusal', criteria: { faultStringPattern: '^INVALID_INPUT\\b' } });
    assert.equal(mapFault(rules, { faultString: 'REFUSED' }, meta, unmapped(false)).code, 'business-refusal', 'kind refusal written out');
  });

  it('transient: a ProviderFault marked transient, even where the connector would not retry', () => {
    const e = mapFault(rules, { faultCode: 'Server', status: 500, faultString: 'SERVICE_UNAVAILABLE: try later' }, { ...meta, providerMessage: 'SERVICE_UNAVAILABLE: try later' }, unmapped(false));
    assert.ok(e instanceof ProviderFault);
    assert.equal(e.transient, true);
    assert.equal(e.faultCode, 'Server');
    assert.equal(e.status, 500);
    assert.equal(e.providerMessage, 'SERVICE_UNAVAILABLE: try later');
    assert.equal(e.provider, 'vat-check');
    assert.deepEqual(e.rule, { index: 1, kind: 'transient', criteria: { faultStringPattern: '^(SERVICE_UNAVAILABLE|MS_UNAVAILABLE)\\b' } });
    assert.equal(describeRule(e.rule!), 'errors.rules[1] (transient): faultStringPattern "^(SERVICE_UNAVAILABLE|MS_UNAVAILABLE)\\\\b"');
  });

  it('permanent: a ProviderFault not transient, even on a status the policy retries', () => {
    const e = mapFault(rules, { faultCode: 'Server', status: 503, faultString: 'INVALID_REQUESTER_INFO' }, meta, unmapped(true, 503));
    assert.ok(e instanceof ProviderFault);
    assert.equal(e.transient, false);
    assert.equal(e.rule?.kind, 'permanent');
  });

  it('no rule: the connector\'s own fault, without a rule; mapRefusal only answers refusals', () => {
    const e = mapFault(rules, { faultCode: 'Server', status: 503, faultString: 'NullPointerException' }, meta, unmapped(true, 503));
    assert.ok(e instanceof ProviderFault);
    assert.equal(e.transient, true);
    assert.equal(e.rule, undefined);
    assert.equal(mapRefusal(rules, { faultString: 'SERVICE_UNAVAILABLE' }), undefined, 'the first matching rule is transient');
    assert.equal(matchRule(rules, { faultString: 'SERVICE_UNAVAILABLE' })?.index, 1);
    assert.equal(describeRule({ index: 3, kind: 'refusal', criteria: {} }), 'errors.rules[3] (refusal): no criteria (catch-all)');
  });
});

describe('soap/fault: rules on faultstring, Reason/Text and detail', () => {
  const ctx = (errors: ErrorMapping, status = 500) => ({ status, errors, retryStatuses: [408, 429, 502, 503, 504], meta });
  const envelope11 = (fault: string) => parseXml(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>${fault}</s:Fault></s:Body></s:Envelope>`);
  const faultEl = (root: XmlElement) => (root.children[0] as XmlElement).children[0] as XmlElement;

  it('SOAP 1.1: faultcode Server with the reason only in faultstring', () => {
    const f = readFault(faultEl(envelope11('<faultcode>s:Server</faultcode><faultstring>INVALID_INPUT: the VAT number is not valid</faultstring>')), '1.1');
    const e = faultToError(f, ctx({ rules: [{ faultCode: 'Server', faultStringPattern: '^INVALID_INPUT', reason: 'invalid-vat-number' }] }));
    assert.ok(e instanceof BusinessRefusal);
    assert.equal(e.providerMessage, 'INVALID_INPUT: the VAT number is not valid');
    const t = faultToError(f, ctx({ rules: [{ faultStringPattern: '^SERVICE_UNAVAILABLE', kind: 'transient' }] }));
    assert.ok(t instanceof ProviderFault && !t.transient && t.rule === undefined, 'unmatched: a plain 500 Server fault stays not transient');
  });

  it('SOAP 1.2: Reason/Text, a subcode and a detail path', () => {
    const root = parseXml(
      '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><e:Fault><e:Code><e:Value>e:Receiver</e:Value><e:Subcode><e:Value>m:Busy</e:Value></e:Subcode></e:Code>' +
        '<e:Reason><e:Text xml:lang="en">Member state service unavailable</e:Text></e:Reason><e:Detail><m:Problem xmlns:m="urn:m"><m:Retry>PT5M</m:Retry></m:Problem></e:Detail></e:Fault></e:Body></e:Envelope>',
    );
    const f = readFault(faultEl(root), '1.2');
    const rules: ErrorMapping = { rules: [{ faultCode: 'Busy', faultString: 'Member state service unavailable', detailPath: 'Problem/Retry', kind: 'transient' }] };
    const e = faultToError(f, ctx(rules));
    assert.ok(e instanceof ProviderFault);
    assert.equal(e.transient, true);
    assert.equal(e.faultCode, 'Receiver');
    assert.equal(e.rule?.index, 0);
    const p = faultToError(f, ctx({ rules: [{ detailPath: 'Problem/Retry', detailPattern: '^PT', kind: 'permanent' }] }, 503));
    assert.ok(p instanceof ProviderFault && p.transient === false, 'a permanent rule over a 503 the policy would retry');
  });

  it('a fault without a code is still tried against rules on its text', () => {
    const f = readFault(faultEl(envelope11('<faultcode/><faultstring>INVALID_INPUT</faultstring>')), '1.1');
    assert.equal((faultToError(f, ctx({ rules: [{ faultString: 'INVALID_INPUT', reason: 'invalid-vat-number' }] })) as BusinessRefusal).reason, 'invalid-vat-number');
  });
});

describe('provider.schema.json: errors.rules', () => {
  const validate = createAjv().compile(providerSchema);
  const provider = (rules: unknown[]) => ({
    code: 'vat-check',
    names: { ar: 'التحقق من الرقم الضريبي', en: 'VAT number check' },
    kind: 'soap',
    contract: { type: 'wsdl', file: 'contract/service.wsdl' },
    environments: { sandbox: { endpoint: 'http://127.0.0.1:1/vat' } },
    errors: { rules },
  });

  it('takes every new criterion and kind; a reason only for refusals', () => {
    const ok = [
      { faultStringPattern: '^INVALID_INPUT', reason: 'invalid-vat-number', message: { ar: 'غير صالح', en: 'Not valid' } },
      { faultString: 'SERVICE_UNAVAILABLE', kind: 'transient' },
      { detailPath: 'ns2:ValidationError/Code', detailValue: 'E042', kind: 'permanent' },
      { status: 400, messagePointer: '/error/description', detailPath: 'error/code', detailPattern: '^E', kind: 'refusal', reason: 'x' },
    ];
    assert.ok(validate(provider(ok)), JSON.stringify(validate.errors));
    for (const bad of [
      { faultStringPattern: '^INVALID_INPUT' }, // refusal without reason
      { kind: 'refusal', faultString: 'X' },
      { kind: 'transient', faultString: 'X', reason: 'x' }, // a reason on a non-refusal
      { kind: 'retry', reason: 'x' },
      { detailValue: 'E042', reason: 'x' }, // detailValue without detailPath
      { detailPath: 'a//b', reason: 'x' },
      { detailPath: '/a', reason: 'x' },
    ]) assert.equal(validate(provider([bad])), false, JSON.stringify(bad));
  });
});

// ---------------------------------------------------------------------------------------------
// The SOAP connector as the hub uses it, against a stand-in VAT-number check.

const VAT_WSDL = `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:wasl:test:vat" xmlns:t="urn:wasl:test:vat:types" targetNamespace="urn:wasl:test:vat">
  <wsdl:types>
    <xsd:schema targetNamespace="urn:wasl:test:vat:types" elementFormDefault="qualified">
      <xsd:element name="checkVat">
        <xsd:complexType><xsd:sequence>
          <xsd:element name="countryCode" type="xsd:string"/>
          <xsd:element name="vatNumber" type="xsd:string"/>
        </xsd:sequence></xsd:complexType>
      </xsd:element>
      <xsd:element name="checkVatResponse">
        <xsd:complexType><xsd:sequence>
          <xsd:element name="countryCode" type="xsd:string"/>
          <xsd:element name="vatNumber" type="xsd:string"/>
          <xsd:element name="valid" type="xsd:boolean"/>
        </xsd:sequence></xsd:complexType>
      </xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="checkVatRequest"><wsdl:part name="parameters" element="t:checkVat"/></wsdl:message>
  <wsdl:message name="checkVatResponse"><wsdl:part name="parameters" element="t:checkVatResponse"/></wsdl:message>
  <wsdl:portType name="checkVatPortType">
    <wsdl:operation name="checkVat"><wsdl:input message="tns:checkVatRequest"/><wsdl:output message="tns:checkVatResponse"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="checkVatBinding" type="tns:checkVatPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="checkVat">
      <soap:operation soapAction=""/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="checkVatService">
    <wsdl:port name="checkVatPort" binding="tns:checkVatBinding"><soap:address location="http://127.0.0.1:1/vat"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`;

const FAULT = (text: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>' +
  `<faultcode>soap:Server</faultcode><faultstring>${text}</faultstring></soap:Fault></soap:Body></soap:Envelope>`;

/** A VIES-like checkVat: refusals and outages both as soap:Server, told apart only by faultstring. */
function startVatStandIn(): Promise<{ url: string; attempts: Map<string, number>; close(): Promise<void> }> {
  const attempts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const vat = /<(?:\w+:)?vatNumber>([^<]*)</.exec(body)?.[1] ?? '';
      attempts.set(vat, (attempts.get(vat) ?? 0) + 1);
      const send = (status: number, xml: string) => res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' }).end(xml);
      if (vat === 'NOTAVAT') return send(500, FAULT('INVALID_INPUT: the VAT number is not valid'));
      if (vat.startsWith('BUSY')) return send(500, FAULT('SERVICE_UNAVAILABLE: the member state service is unavailable, try again later'));
      if (vat === 'BROKEN') return send(503, FAULT('INVALID_REQUESTER_INFO: the requester is not known'));
      return send(
        200,
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><t:checkVatResponse xmlns:t="urn:wasl:test:vat:types">' +
          `<t:countryCode>DE</t:countryCode><t:vatNumber>${vat}</t:vatNumber><t:valid>true</t:valid></t:checkVatResponse></soap:Body></soap:Envelope>`,
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/vat`, attempts, close: () => new Promise<void>((r) => server.close(() => r())) }),
    ),
  );
}

describe('soap/connector: errors.rules against a VAT-number check stand-in (SOAP 1.1, faultcode Server)', function () {
  this.timeout(30_000);
  let dir: string;
  let standIn: Awaited<ReturnType<typeof startVatStandIn>>;
  let model: ReturnType<typeof compileWsdlFile>['model'];
  const VAT_RULES: ErrorMapping = {
    rules: [
      { faultCode: 'Server', faultStringPattern: '^INVALID_INPUT\\b', reason: 'invalid-vat-number', message: { ar: 'رقم التعريف الضريبي غير صالح', en: 'The VAT number is not valid' } },
      { faultCode: 'Server', faultStringPattern: '^(SERVICE_UNAVAILABLE|MS_UNAVAILABLE|MS_MAX_CONCURRENT_REQ|TIMEOUT)\\b', kind: 'transient' },
      { faultStringPattern: '^INVALID_REQUESTER_INFO\\b', kind: 'permanent' },
    ],
  };
  const connector = (errors?: ErrorMapping) => {
    const definition = {
      code: 'vat-check',
      names: { ar: 'التحقق من الرقم الضريبي', en: 'VAT number check' },
      kind: 'soap',
      contract: { type: 'wsdl', file: 'contract/service.wsdl' },
      environments: { sandbox: { endpoint: standIn.url } },
      ...(errors ? { errors } : {}),
      resilience: { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, circuitBreaker: { failureThreshold: 50 } },
    } as unknown as ProviderDefinition;
    return new SoapConnector({ definition, model });
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wasl-vat-'));
    writeFileSync(path.join(dir, 'vat.wsdl'), VAT_WSDL);
    model = compileWsdlFile(path.join(dir, 'vat.wsdl')).model;
    standIn = await startVatStandIn();
  });
  after(async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a valid number (the stand-in speaks the contract)', async () => {
    const r = await connector(VAT_RULES).call('checkVat', { countryCode: 'DE', vatNumber: '123456789' }, { idempotencyKey: 'ord-1:vat' });
    assert.deepEqual(r.output, { countryCode: 'DE', vatNumber: '123456789', valid: true });
  });

  it('maps the refusal in faultstring to a BusinessRefusal with the rule\'s bilingual text, sent once', async () => {
    await assert.rejects(connector(VAT_RULES).call('checkVat', { countryCode: 'DE', vatNumber: 'NOTAVAT' }, { idempotencyKey: 'ord-2:vat' }), (e: unknown) => {
      assert.ok(e instanceof BusinessRefusal, String(e));
      assert.equal(e.reason, 'invalid-vat-number');
      assert.equal(e.providerCode, 'Server');
      assert.deepEqual((e as BusinessRefusal & { text?: unknown }).text, { ar: 'رقم التعريف الضريبي غير صالح', en: 'The VAT number is not valid' });
      assert.equal(e.providerMessage, 'INVALID_INPUT: the VAT number is not valid');
      assert.equal(e.rule?.index, 0);
      assert.equal(e.attempt, 1);
      return true;
    });
    assert.equal(standIn.attempts.get('NOTAVAT'), 1);
  });

  it('retries the outage a transient rule names, as often as the policy allows', async () => {
    await assert.rejects(connector(VAT_RULES).call('checkVat', { countryCode: 'DE', vatNumber: 'BUSY1' }, { idempotencyKey: 'ord-3:vat' }), (e: unknown) => {
      assert.ok(e instanceof ProviderFault, String(e));
      assert.equal(e.transient, true);
      assert.equal(e.faultCode, 'Server');
      assert.equal(e.rule?.kind, 'transient');
      assert.equal(e.attempt, 3);
      return true;
    });
    assert.equal(standIn.attempts.get('BUSY1'), 3, 'the stand-in received three attempts');
  });

  it('without the transient rule, the same outage is a plain 500 Server fault, not retried', async () => {
    await assert.rejects(connector({ rules: [VAT_RULES.rules![0]!] }).call('checkVat', { countryCode: 'DE', vatNumber: 'BUSY2' }, { idempotencyKey: 'ord-4:vat' }), (e: unknown) => e instanceof ProviderFault && !e.transient && e.rule === undefined);
    assert.equal(standIn.attempts.get('BUSY2'), 1);
  });

  it('a permanent rule stops retries of a 503 fault the policy would otherwise retry', async () => {
    await assert.rejects(connector(VAT_RULES).call('checkVat', { countryCode: 'DE', vatNumber: 'BROKEN' }, { idempotencyKey: 'ord-5:vat' }), (e: unknown) => e instanceof ProviderFault && !e.transient && e.rule?.kind === 'permanent' && e.status === 503);
    assert.equal(standIn.attempts.get('BROKEN'), 1);
    await assert.rejects(connector().call('checkVat', { countryCode: 'DE', vatNumber: 'BROKEN' }, { idempotencyKey: 'ord-6:vat' }), (e: unknown) => e instanceof ProviderFault && e.transient);
    assert.equal(standIn.attempts.get('BROKEN'), 4, 'without rules: 1 + 3 attempts');
  });
});
