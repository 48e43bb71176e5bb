/**
 * `wasl provider import`, `describe` and `call` as a new user runs them: a real SOAP server
 * (soap.listen on a corpus WSDL) and a real REST server, the CLI as a subprocess.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSoapServer, type SoapTestServer } from '../../connectors/soap/servers';

const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'wasl.js');
import { CORPUS } from '../../corpus';
const ADAPTER = path.join(CORPUS, 'xroad-example-adapter', 'example-adapter.wsdl');

function wasl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

function setEndpoint(root: string, code: string, endpoint: string, extra: Record<string, unknown> = {}): void {
  const file = path.join(root, code, 'provider.json');
  const def = JSON.parse(readFileSync(file, 'utf8'));
  def.environments.sandbox.endpoint = endpoint;
  writeFileSync(file, JSON.stringify({ ...def, ...extra }, null, 2));
}

describe('wasl provider call', function () {
  this.timeout(60_000);
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'wasl-providers-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  describe('against a real SOAP server', () => {
    let server: SoapTestServer;
    before(async () => {
      server = await startSoapServer({
        wsdlFile: ADAPTER,
        services: {
          testService: {
            testServicePort: {
              helloService: (args: { name: string }) => ({ message: `Hello ${args.name}! Greetings from adapter server!` }),
              getRandom: () => {
                throw { Fault: { faultcode: 'soap:Server.RandomUnavailable', faultstring: 'no randomness today' } };
              },
            },
          },
        },
      });
      const imported = await wasl(['provider', 'import', 'xroad-example', '--wsdl', ADAPTER, '--root', root]);
      assert.equal(imported.status, 0, imported.stderr);
      setEndpoint(root, 'xroad-example', server.url, {
        xroad: {
          client: { xRoadInstance: 'SY', memberClass: 'GOV', memberCode: 'WASL', subsystemCode: 'hub' },
          service: { xRoadInstance: 'SY', memberClass: 'GOV', memberCode: 'MOI', subsystemCode: 'civil-registry' },
        },
      });
    });
    after(() => server.close());

    it('describes the operations with their shapes and headers', async () => {
      const r = await wasl(['provider', 'describe', 'xroad-example', '--root', root]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /helloService/);
      assert.match(r.stdout, /SOAP headers/);
    });

    it('calls an operation and prints its output, Arabic intact, with X-Road headers sent', async () => {
      const r = await wasl(['provider', 'call', 'xroad-example', 'helloService', '--input', '{"name":"ريم"}', '--order', 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAV', '--user', 'centre-dam-01', '--new-key', '--root', root]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { message: 'Hello ريم! Greetings from adapter server!' });
      const sent = server.received.at(-1)?.body ?? '';
      assert.match(sent, /<[a-z]+:issue>ord_01ARZ3NDEKTSV4RRFFQ69G5FAV<\/[a-z]+:issue>/);
      assert.match(sent, /<[a-z]+:userId>centre-dam-01<\/[a-z]+:userId>/);
      assert.match(sent, /memberCode>MOI</);
    });

    it('exits 1 with the fault code and text on a SOAP fault', async () => {
      const r = await wasl(['provider', 'call', 'xroad-example', 'getRandom', '--root', root]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /provider-fault/);
      assert.match(r.stderr, /fault code: .*RandomUnavailable/);
      assert.match(r.stderr, /fault text: no randomness today/);
      assert.match(r.stderr, /the provider has no errors\.rules/);
    });

    it('names the errors.rules entry that mapped a fault, or says that none did', async () => {
      setEndpoint(root, 'xroad-example', server.url, { errors: { rules: [{ faultStringPattern: '^no randomness', kind: 'transient' }] } });
      const matched = await wasl(['provider', 'call', 'xroad-example', 'getRandom', '--root', root]);
      assert.equal(matched.status, 1);
      assert.match(matched.stderr, /provider-fault/);
      assert.match(matched.stderr, /matched errors\.rules\[0\] \(transient\): faultStringPattern "\^no randomness"/);
      setEndpoint(root, 'xroad-example', server.url, { errors: { rules: [{ faultString: 'INVALID_INPUT', reason: 'invalid-input' }] } });
      const unmatched = await wasl(['provider', 'call', 'xroad-example', 'getRandom', '--root', root]);
      assert.equal(unmatched.status, 1);
      assert.match(unmatched.stderr, /no errors\.rules entry matched \(1 tried\): not transient/);
      setEndpoint(root, 'xroad-example', server.url, { errors: undefined });
    });

    it('refuses input that does not match the contract, before sending anything', async () => {
      const before = server.received.length;
      const r = await wasl(['provider', 'call', 'xroad-example', 'helloService', '--input', '{"name":42}', '--root', root]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /contract-violation/);
      assert.equal(server.received.length, before);
    });

    it('names the operations when asked for one that does not exist', async () => {
      const r = await wasl(['provider', 'call', 'xroad-example', 'launchRocket', '--root', root]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /has no operation launchRocket; it has: .*helloService/);
    });
  });

  describe('against a real REST server', () => {
    let server: http.Server;
    let url: string;
    before(async () => {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          const m = /^\/vehicles\/([^/?]+)\/ownership/.exec(req.url ?? '');
          if (m && m[1] === '123456') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ plate: '123456', owner: 'سامر الحلبي', liens: [] }));
          } else {
            res.writeHead(404, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ code: 'VEHICLE_NOT_FOUND', message: 'no such vehicle' }));
          }
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const spec = {
        openapi: '3.1.0',
        info: { title: 'Vehicle registry', version: '1' },
        servers: [{ url }],
        paths: {
          '/vehicles/{plate}/ownership': {
            get: {
              operationId: 'getOwnership',
              parameters: [{ name: 'plate', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]{1,7}$' } }],
              responses: {
                '200': {
                  description: 'ok',
                  content: { 'application/json': { schema: { type: 'object', required: ['plate', 'owner'], properties: { plate: { type: 'string' }, owner: { type: 'string' }, liens: { type: 'array', items: { type: 'string' } } } } } },
                },
                '404': { description: 'not found' },
              },
            },
          },
        },
      };
      const file = path.join(root, 'vehicles.openapi.json');
      writeFileSync(file, JSON.stringify(spec));
      const imported = await wasl(['provider', 'import', 'vehicles', '--openapi', file, '--root', root]);
      assert.equal(imported.status, 0, imported.stderr);
      setEndpoint(root, 'vehicles', url, { errors: { rules: [{ status: 404, faultCode: 'VEHICLE_NOT_FOUND', reason: 'vehicle-not-found' }] } });
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('calls an operation and prints its output', async () => {
      const r = await wasl(['provider', 'call', 'vehicles', 'getOwnership', '--input', '{"path":{"plate":"123456"}}', '--root', root]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { plate: '123456', owner: 'سامر الحلبي', liens: [] });
    });

    it('exits 1 with the mapped refusal on an error status', async () => {
      const r = await wasl(['provider', 'call', 'vehicles', 'getOwnership', '--input', '{"path":{"plate":"999"}}', '--root', root]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /business-refusal/);
      assert.match(r.stderr, /reason: vehicle-not-found/);
      assert.match(r.stderr, /matched errors\.rules\[0\] \(refusal\): faultCode "VEHICLE_NOT_FOUND", status 404/);
    });
  });
});
