/**
 * Hostile input, contracts: a pattern in a WSDL or an OpenAPI document (or a service definition)
 * that a backtracking engine takes exponential time on. `(a+)+b` against 30 'a's and a '!' is
 * about 2^30 steps for V8's engine — seconds with the event loop stopped, so every order, call and
 * health check of the process waits. Through the real connector paths (the SOAP connector's input
 * validation, its response decoding and validation, an XSD union told apart by its members'
 * patterns, the REST connector's input and output validation) each check must finish within a
 * budget that linear work meets with room to spare on a loaded machine, and that backtracking
 * misses by orders of magnitude: the first test measures that, in a child process it can stop.
 * Patterns that cannot be matched in linear time are refused when the contract is imported or the
 * definition loaded, naming the pattern and where it is.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ContractViolation } from '../../connectors/errors';
import { importOpenApi } from '../../connectors/import/openapi';
import { RestConnector } from '../../connectors/rest/connector';
import { SoapConnector } from '../../connectors/soap/connector';
import { compileWsdlFile } from '../../connectors/soap/wsdl/compile';
import { Catalogue } from '../../hub/catalogue';
import { startBareServer, testProvider, type BareServer } from '../connectors/soap/servers';
import { provider } from '../connectors/rest/helpers';
import { FLOWS_DIR } from '../helpers';

const EVIL = `${'a'.repeat(30)}!`;
/** For work that is linear in a 30-character string: microseconds, so 100 ms is slack for GC and a busy CPU. */
const LOCAL_BUDGET_MS = 100;
/** For a whole call over loopback HTTP. */
const CALL_BUDGET_MS = 1_000;

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = performance.now();
  try {
    const value = await f();
    return { ms: performance.now() - t0, value };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}

function assertViolation(r: { ms: number; error?: unknown }, direction: 'request' | 'response', budget: number): void {
  assert.ok(r.ms < budget, `took ${r.ms.toFixed(0)} ms (budget ${budget} ms): the pattern backtracked`);
  assert.ok(r.error instanceof ContractViolation, `expected a ContractViolation, got ${String(r.error)}`);
  assert.equal(r.error.direction, direction);
}

const NS = 'urn:wasl:test:patterns';
const WSDL = `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="${NS}" targetNamespace="${NS}">
  <wsdl:types>
    <xsd:schema targetNamespace="${NS}" elementFormDefault="qualified">
      <xsd:simpleType name="Code">
        <xsd:restriction base="xsd:string"><xsd:pattern value="(a+)+b"/></xsd:restriction>
      </xsd:simpleType>
      <xsd:simpleType name="CodeOrNumber"><xsd:union memberTypes="tns:Code xsd:int"/></xsd:simpleType>
      <xsd:element name="Check"><xsd:complexType><xsd:sequence>
        <xsd:element name="code" type="tns:Code"/>
      </xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="CheckResponse"><xsd:complexType><xsd:sequence>
        <xsd:element name="code" type="tns:Code" minOccurs="0"/>
        <xsd:element name="either" type="tns:CodeOrNumber" minOccurs="0"/>
      </xsd:sequence></xsd:complexType></xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="CheckIn"><wsdl:part name="p" element="tns:Check"/></wsdl:message>
  <wsdl:message name="CheckOut"><wsdl:part name="p" element="tns:CheckResponse"/></wsdl:message>
  <wsdl:portType name="Port"><wsdl:operation name="Check"><wsdl:input message="tns:CheckIn"/><wsdl:output message="tns:CheckOut"/></wsdl:operation></wsdl:portType>
  <wsdl:binding name="Binding" type="tns:Port">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Check"><soap:operation soapAction="${NS}/Check"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="Service"><wsdl:port name="Port" binding="tns:Binding"><soap:address location="http://127.0.0.1:1/soap"/></wsdl:port></wsdl:service>
</wsdl:definitions>`;

function soapReply(inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><CheckResponse xmlns="${NS}">${inner}</CheckResponse></S:Body></S:Envelope>`;
}

function openApi(pattern: string): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: { title: 'patterns', version: '1' },
    servers: [{ url: 'https://patterns.test/v1' }],
    paths: {
      '/codes/{code}': {
        get: {
          operationId: 'getCode',
          parameters: [{ name: 'code', in: 'path', required: true, schema: { $ref: '#/components/schemas/Code' } }],
          responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Answer' } } } } },
        },
      },
    },
    components: {
      schemas: {
        Code: { type: 'string', pattern },
        Answer: { type: 'object', properties: { code: { $ref: '#/components/schemas/Code' } } },
      },
    },
  };
}

describe('hostile contracts: patterns that backtrack', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'wasl-patterns-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('baseline: V8 takes longer than the call budget on this pattern and input (in a child process, stopped at the budget)', () => {
    const code = `/^(?:(a+)+b)$/u.test(${JSON.stringify(EVIL)})`;
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['-e', code], { timeout: CALL_BUDGET_MS, killSignal: 'SIGKILL' });
    const ms = performance.now() - t0;
    assert.ok(r.signal === 'SIGKILL' || ms > CALL_BUDGET_MS, `the backtracking engine finished in ${ms.toFixed(0)} ms: the budgets below prove nothing`);
  });

  describe('SOAP: an XSD pattern', () => {
    let srv: BareServer;
    let reply = '';
    let conn: SoapConnector;
    before(async () => {
      const file = path.join(dir, 'patterns.wsdl');
      writeFileSync(file, WSDL);
      srv = await startBareServer((_req, _body, res) => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(reply);
      });
      conn = new SoapConnector(testProvider(compileWsdlFile(file).model, srv.url));
    });
    after(() => srv.close());

    it('checks the input in linear time: nothing is sent', async () => {
      const hits = srv.hits;
      assertViolation(await timed(() => conn.call('Check', { code: EVIL })), 'request', LOCAL_BUDGET_MS);
      assert.equal(srv.hits, hits);
    });

    it('still applies the pattern to what matches and what does not', async () => {
      reply = soapReply('<code>aab</code><either>12</either>');
      assert.deepEqual((await conn.call('Check', { code: 'aaab' })).output, { code: 'aab', either: 12 }, 'the union member is the one whose pattern matches');
      reply = soapReply('<either>ab</either>');
      assert.deepEqual((await conn.call('Check', { code: 'aaab' })).output, { either: 'ab' });
      await assert.rejects(conn.call('Check', { code: 'ba' }), ContractViolation);
    });

    it('checks the response in linear time', async () => {
      reply = soapReply(`<code>${EVIL}</code>`);
      assertViolation(await timed(() => conn.call('Check', { code: 'ab' })), 'response', CALL_BUDGET_MS);
    });

    it('tells a union apart by its members’ patterns in linear time', async () => {
      reply = soapReply(`<either>${EVIL}</either>`);
      const r = await timed(() => conn.call('Check', { code: 'ab' }));
      assert.ok(r.ms < CALL_BUDGET_MS, `took ${r.ms.toFixed(0)} ms`);
      assert.ok(r.error instanceof ContractViolation, String(r.error));
    });
  });

  describe('REST: an OpenAPI pattern', () => {
    let conn: RestConnector;
    let answer = '';
    let def: ReturnType<typeof provider>;
    before(async () => {
      const file = path.join(dir, 'patterns.openapi.json');
      writeFileSync(file, JSON.stringify(openApi('^(a+)+b$')));
      const imported = await importOpenApi('patterns', file);
      def = provider();
      const client = {
        request: async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(answer), bytesSent: 0, bytesReceived: answer.length }),
      };
      conn = new RestConnector({ definition: def, operations: Object.fromEntries(imported.operations.map((o) => [o.name, o])), client: client as never });
    });

    it('checks the input in linear time: nothing is sent', async () => {
      assertViolation(await timed(() => conn.call('getCode', { path: { code: EVIL } })), 'request', LOCAL_BUDGET_MS);
    });

    it('checks the response in linear time', async () => {
      answer = JSON.stringify({ code: EVIL });
      assertViolation(await timed(() => conn.call('getCode', { path: { code: 'ab' } })), 'response', CALL_BUDGET_MS);
      answer = JSON.stringify({ code: 'aab' });
      assert.deepEqual((await conn.call('getCode', { path: { code: 'ab' } })).output, { code: 'aab' });
    });
  });

  describe('patterns that cannot be matched in linear time are refused, naming the pattern and where it is', () => {
    for (const [what, pattern] of [
      ['a backreference', '^(a+)\\1$'],
      ['a lookahead', '^(?=a)[a-z]+$'],
      ['a lookbehind', '^[a-z]+(?<!x)$'],
    ] as const) {
      it(`an OpenAPI schema with ${what}, at import`, async () => {
        const file = path.join(dir, `refused-${what.replace(/ /g, '-')}.json`);
        writeFileSync(file, JSON.stringify(openApi(pattern)));
        await assert.rejects(importOpenApi('patterns', file), (err: Error) => {
          assert.ok(err.message.includes(JSON.stringify(pattern)), err.message);
          assert.match(err.message, /linear time/);
          assert.match(err.message, /Code/, 'names the schema');
          return true;
        });
      });
    }

    it('a service definition whose field has a backreference, at load', () => {
      const def = JSON.parse(readFileSync(path.join(FLOWS_DIR, 'no-criminal-record-certificate', 'service.json'), 'utf8'));
      const fields = structuredClone(def.fields);
      const name = Object.keys(fields.properties)[0] as string;
      fields.properties[name] = { type: 'string', pattern: '^(a)\\1$' };
      assert.throws(() => new Catalogue([{ ...def, fields }]), (err: Error) => {
        assert.ok(err.message.includes('"^(a)\\\\1$"'), err.message);
        assert.match(err.message, /no-criminal-record-certificate/);
        assert.ok(err.message.includes(`/properties/${name}/pattern`), err.message);
        return true;
      });
    });

    it('an operation schema handed to a connector directly, when the connector is built', () => {
      const schema = { type: 'object', properties: { code: { type: 'string', pattern: '^(a)\\1$' } } };
      assert.throws(
        () => new RestConnector({ definition: provider(), operations: { op: { inputSchema: schema, outputSchema: {}, binding: { method: 'GET', path: '/x', parameters: [] } } } }),
        /"\^\(a\)\\\\1\$".*linear time/,
      );
    });
  });
});
