/**
 * The REST connector against real servers (no nock): an OpenAPI contract imported and written as
 * `wasl provider import` does, loaded back, and called over node:http with OAuth2 and JSON; and
 * mutual TLS against an https server with certificates made by openssl.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import nock from 'nock';
import { TransportError } from '../../../connectors/errors';
import { importOpenApi } from '../../../connectors/import/openapi';
import { writeProvider } from '../../../connectors/import/write';
import { createRestConnector, RestConnector } from '../../../connectors/rest/connector';
import { ARABIC, FIXTURES, provider, withEnv } from './helpers';

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok((server.address() as AddressInfo).port)));
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

describe('REST connector against real servers', () => {
  before(() => nock.enableNetConnect());

  describe('OAuth2 + JSON round trip over node:http, from an imported contract', () => {
    let server: http.Server;
    let root: string;
    let restore: () => void;
    const log: string[] = [];
    const ownership = { plate: '123456', owner: { name: ARABIC, kind: 'person' }, since: null, liens: [] };

    before(async () => {
      let issued = 0;
      server = http.createServer(async (req, res) => {
        const body = await readBody(req);
        if (req.method === 'POST' && req.url === '/oauth/token') {
          const form = new URLSearchParams(body.toString('utf8'));
          const ok = req.headers.authorization === `Basic ${Buffer.from('wasl-client:top-secret').toString('base64')}` && form.get('grant_type') === 'client_credentials';
          log.push(`token ${ok ? 'granted' : 'refused'} scope=${form.get('scope')}`);
          res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
          res.end(JSON.stringify(ok ? { access_token: `tok-${++issued}`, token_type: 'bearer', expires_in: 600 } : { error: 'invalid_client' }));
          return;
        }
        const m = /^\/v2\/vehicles\/(\d{6})\/ownership$/.exec(req.url ?? '');
        if (req.method === 'GET' && m) {
          log.push(`ownership ${req.headers.authorization}`);
          if (req.headers.authorization !== 'Bearer tok-1') {
            res.writeHead(401).end();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
          res.end(Buffer.from(JSON.stringify({ ...ownership, plate: m[1] }), 'utf8'));
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'NOT_FOUND' }));
      });
      const port = await listen(server);

      // What `wasl provider import mot-vehicles --openapi vehicle-registry.json` does, then the
      // engineer points the sandbox at the local server and names the client credentials.
      root = mkdtempSync(join(tmpdir(), 'wasl-providers-'));
      const imported = await importOpenApi('mot-vehicles', resolve(FIXTURES, 'vehicle-registry.json'));
      const written = await writeProvider(root, 'mot-vehicles', imported);
      assert.equal(written.status, 'created');
      const file = join(root, 'mot-vehicles', 'provider.json');
      const def = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(def.security.oauth2.clientIdEnv, 'MOT_VEHICLES_CLIENT_ID');
      def.environments.sandbox.endpoint = `http://127.0.0.1:${port}/v2`;
      def.security.oauth2.tokenUrl = `http://127.0.0.1:${port}/oauth/token`;
      writeFileSync(file, JSON.stringify(def, null, 2));
      restore = withEnv({ MOT_VEHICLES_CLIENT_ID: 'wasl-client', MOT_VEHICLES_CLIENT_SECRET: 'top-secret' });
    });

    after(async () => {
      restore();
      await new Promise((ok) => server.close(ok));
      rmSync(root, { recursive: true, force: true });
    });

    it('fetches a token once, calls twice, and returns the JSON output with Arabic byte for byte', async () => {
      const c = createRestConnector('mot-vehicles', 'sandbox', { providersRoot: root });
      assert.deepEqual(c.operations().map((o) => o.name).sort(), ['getOwnership', 'issueStatement']);
      const first = await c.call('getOwnership', { path: { plate: '123456' } });
      const second = await c.call('getOwnership', { path: { plate: '654321' } });
      assert.deepEqual(first.output, ownership);
      assert.equal((second.output as { plate: string }).plate, '654321');
      assert.equal(Buffer.from(JSON.stringify(first.output), 'utf8').toString('hex'), Buffer.from(JSON.stringify(ownership), 'utf8').toString('hex'));
      assert.deepEqual(log, ['token granted scope=ownership:read statements:write', 'ownership Bearer tok-1', 'ownership Bearer tok-1']);
      await c.close();
    });
  });

  describe('mutual TLS', () => {
    let dir: string;
    let server: https.Server;
    let port: number;
    let restore: () => void;
    const pem: Record<string, string> = {};

    before(function () {
      this.timeout(20000);
      dir = mkdtempSync(join(tmpdir(), 'wasl-mtls-'));
      const p = (f: string) => join(dir, f);
      const ssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      const key = (name: string) => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p(`${name}.key`));
      const sign = (name: string, subject: string, ext: string) => {
        key(name);
        ssl('req', '-new', '-key', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', subject);
        writeFileSync(p(`${name}.ext`), ext);
        ssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p(`${name}.pem`), '-days', '2', '-extfile', p(`${name}.ext`));
      };
      key('ca');
      ssl('req', '-x509', '-new', '-key', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=wasl test ministry CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
      sign('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
      sign('client', '/CN=wasl-hub', 'extendedKeyUsage=clientAuth\n');
      for (const f of ['ca.pem', 'server.pem', 'server.key', 'client.pem', 'client.key']) pem[f] = readFileSync(p(f), 'utf8');
    });

    before(async () => {
      server = https.createServer({ key: pem['server.key'], cert: pem['server.pem'], ca: pem['ca.pem'], requestCert: true, rejectUnauthorized: true }, (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ client: peer.subject?.CN, authorized: (req.socket as TLSSocket).authorized, name: ARABIC }));
      });
      port = await listen(server);
      // The CA from a file (file: prefix), the client identity inline.
      restore = withEnv({ T_MTLS_CA: `file:${join(dir, 'ca.pem')}`, T_MTLS_CERT: pem['client.pem']!, T_MTLS_KEY: pem['client.key']! });
    });

    after(async () => {
      restore();
      await new Promise((ok) => server.close(ok));
      rmSync(dir, { recursive: true, force: true });
    });

    const whoami = (tls: NonNullable<NonNullable<ReturnType<typeof provider>['security']>['tls']>) => {
      const def = provider({
        contract: { type: 'manual' },
        security: { tls },
        resilience: { retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 50 } },
        operations: { whoami: { method: 'GET', path: '/whoami', response: { schema: { type: 'object', required: ['client'] } } } },
      });
      def.environments.sandbox.endpoint = `https://127.0.0.1:${port}`;
      return new RestConnector({ definition: def });
    };

    it('presents the client certificate from the environment and trusts the private CA', async () => {
      const res = await whoami({ caEnv: 'T_MTLS_CA', certEnv: 'T_MTLS_CERT', keyEnv: 'T_MTLS_KEY' }).call('whoami', {});
      assert.deepEqual(res.output, { client: 'wasl-hub', authorized: true, name: ARABIC });
    });

    it('without a client certificate the handshake is refused: TransportError', async () => {
      await assert.rejects(whoami({ caEnv: 'T_MTLS_CA' }).call('whoami', {}), (e: TransportError) => e instanceof TransportError && !/BEGIN|PRIVATE/.test(e.message));
    });

    it('without the private CA the server is not trusted: TransportError', async () => {
      await assert.rejects(whoami({ certEnv: 'T_MTLS_CERT', keyEnv: 'T_MTLS_KEY' }).call('whoami', {}), (e: TransportError) => e instanceof TransportError && /CERT|SIGNATURE|ISSUER/.test(e.errno));
    });
  });
});
