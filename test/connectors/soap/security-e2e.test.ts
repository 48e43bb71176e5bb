/**
 * Security end to end: WS-Security X.509 signatures verified by a real verifier on the server
 * side of soap.listen, UsernameToken checked by the soap package's server authenticate hook,
 * HTTP basic, and mutual TLS — secrets read from environment variables (PEMs via file:).
 */
import assert from 'node:assert/strict';
import { passwordDigest } from 'soap/lib/utils';
import type { CallRecord } from '../../../connectors/connector';
import { ProviderFault, TransportError } from '../../../connectors/errors';
import { captureBodies, observeCalls } from '../../../connectors/observe';
import { SoapConnector } from '../../../connectors/soap/connector';
import { compileWsdlFile } from '../../../connectors/soap/wsdl/compile';
import type { Security } from '../../../contracts/types';
import { CORPUS } from './codec-helpers';
import { makePki, type Pki } from './pki';
import { startBareServer, startSoapServer, testProvider, XROAD_CONFIG, type SoapTestServer } from './servers';
import { verifySignedEnvelope } from './verify';

const ADAPTER = `${CORPUS}/xroad-example-adapter/example-adapter.wsdl`;
const ARABIC = 'ريم خالد الأحمد';
const model = compileWsdlFile(ADAPTER).model;
const ENV_NAMES = ['T_SOAP_SIGN_KEY', 'T_SOAP_SIGN_CERT', 'T_SOAP_USER', 'T_SOAP_PASS', 'T_SOAP_CA', 'T_SOAP_CLIENT_CERT', 'T_SOAP_CLIENT_KEY', 'T_SOAP_STRANGER_CERT', 'T_SOAP_STRANGER_KEY'];

function connector(url: string, security: Security): SoapConnector {
  return new SoapConnector(testProvider(model, url, { xroad: XROAD_CONFIG, security }));
}

describe('soap/connector: security end to end', function () {
  let pki: Pki;
  before(() => {
    pki = makePki();
    const f = (n: string) => `file:${pki.dir}/${n}`;
    Object.assign(process.env, {
      T_SOAP_SIGN_KEY: f('sign.key'),
      T_SOAP_SIGN_CERT: f('sign.crt'),
      T_SOAP_USER: 'wasl-centre',
      T_SOAP_PASS: 'كلمة سر & <p>',
      T_SOAP_CA: f('ca.crt'),
      T_SOAP_CLIENT_CERT: f('client.crt'),
      T_SOAP_CLIENT_KEY: f('client.key'),
      T_SOAP_STRANGER_CERT: f('stranger.crt'),
      T_SOAP_STRANGER_KEY: f('stranger.key'),
    });
  });
  after(() => {
    for (const n of ENV_NAMES) delete process.env[n];
    pki.cleanup();
  });

  describe('WS-Security X.509 signature, verified by the server', () => {
    let srv: SoapTestServer;
    const verdicts: Array<{ ok: boolean; reason?: string }> = [];
    before(async () => {
      srv = await startSoapServer({
        wsdlFile: ADAPTER,
        services: {
          testService: {
            testServicePort: {
              helloService: (a: { name: string }) => {
                // What the soap server received, verified as a receiving X-Road member would.
                const v = verifySignedEnvelope(srv.received.at(-1)!.body, pki.signCert);
                verdicts.push(v);
                if (!v.ok) throw { Fault: { faultcode: 'soap:Client', faultstring: 'signature invalid', statusCode: 500 } };
                return { message: `Hello ${a.name}` };
              },
            },
          },
        },
      });
    });
    after(() => srv.close());

    it('signs Body and Timestamp with RSA-SHA256 and exclusive C14N; the server verifies it and answers', async () => {
      const conn = connector(srv.url, { wsSecurity: { x509: { privateKeyEnv: 'T_SOAP_SIGN_KEY', certificateEnv: 'T_SOAP_SIGN_CERT', timestampTtlSeconds: 60 } } });
      const r = await conn.call('helloService', { name: ARABIC }, { userId: 'u1' });
      assert.deepEqual(verdicts.at(-1), { ok: true });
      assert.deepEqual(r.output, { message: `Hello ${ARABIC}` });
      const body = srv.received.at(-1)!.body;
      assert.match(body, /<soapenv:Header><wsse:Security [^>]*soapenv:mustUnderstand="1"><wsse:BinarySecurityToken/);
      assert.match(body, /<\/wsse:Security><xro:client/, 'Security first, then the X-Road headers');
    });

    it('the same request with its body altered in transit fails verification', async () => {
      const conn = connector(srv.url, { wsSecurity: { x509: { privateKeyEnv: 'T_SOAP_SIGN_KEY', certificateEnv: 'T_SOAP_SIGN_CERT' } } });
      await conn.call('helloService', { name: 'original' });
      const signed = srv.received.at(-1)!.body;
      assert.deepEqual(verifySignedEnvelope(signed, pki.signCert), { ok: true });
      const tampered = signed.replace('<ns1:name>original</ns1:name>', '<ns1:name>altered</ns1:name>');
      assert.notEqual(tampered, signed);
      assert.equal(verifySignedEnvelope(tampered, pki.signCert).ok, false);
      assert.equal(verifySignedEnvelope(signed, pki.otherSignCert).ok, false);
    });

    it('each attempt is signed afresh (new Timestamp), so a retried call is not a replay', async () => {
      let n = 0;
      const bare = await startBareServer((_req, body, res) => {
        n++;
        assert.deepEqual(verifySignedEnvelope(body, pki.signCert), { ok: true });
        if (n === 1) {
          res.writeHead(503).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end('<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><p:helloServiceResponse xmlns:p="http://test.x-road.global/producer"><p:message>ok</p:message></p:helloServiceResponse></e:Body></e:Envelope>');
      });
      try {
        const conn = connector(bare.url, { wsSecurity: { x509: { privateKeyEnv: 'T_SOAP_SIGN_KEY', certificateEnv: 'T_SOAP_SIGN_CERT' } } });
        const r = await conn.call('helloService', { name: 'x' }, { idempotencyKey: 'idem-1' });
        assert.equal(r.attempts, 2);
        const ts = bare.received.map((q) => /<wsu:Timestamp wsu:Id="([^"]+)"/.exec(q.body)![1]);
        assert.notEqual(ts[0], ts[1]);
        // …but the X-Road message id stays the call's idempotency key.
        assert.ok(bare.received.every((q) => q.body.includes('<xro:id>idem-1</xro:id>')));
      } finally {
        await bare.close();
      }
    });
  });

  describe('WS-Security UsernameToken, checked by the soap package\'s server', () => {
    let srv: SoapTestServer;
    let seen: any;  
    before(async () => {
      srv = await startSoapServer({
        wsdlFile: ADAPTER,
        services: { testService: { testServicePort: { helloService: (a: { name: string }) => ({ message: `Hello ${a.name}` }) } } },
        authenticate: (security: any, cb) => {  
          seen = security;
          const t = security?.UsernameToken;
          if (!t || t.Username !== process.env.T_SOAP_USER) return cb(false);
          const pw = t.Password?.$value ?? t.Password;
          const type = String(t.Password?.attributes?.Type ?? '');
          if (type.endsWith('#PasswordText')) return cb(pw === process.env.T_SOAP_PASS);
          cb(pw === passwordDigest(t.Nonce?.$value ?? t.Nonce, t.Created, process.env.T_SOAP_PASS!));
        },
      });
    });
    after(() => srv.close());

    for (const passwordType of ['PasswordDigest', 'PasswordText'] as const) {
      it(`${passwordType}: accepted by the server`, async () => {
        const conn = connector(srv.url, { wsSecurity: { usernameToken: { usernameEnv: 'T_SOAP_USER', passwordEnv: 'T_SOAP_PASS', passwordType } } });
        const r = await conn.call('helloService', { name: 'x' });
        assert.deepEqual(r.output, { message: 'Hello x' });
        assert.ok(seen.Timestamp?.Created, 'a wsu:Timestamp is sent');
        if (passwordType === 'PasswordDigest') assert.ok(!srv.received.at(-1)!.body.includes('كلمة'), 'the password is not sent');
      });
    }

    it('bodies captured for the audit trail are the envelope before WS-Security: the request and the answer, never the password', async () => {
      const conn = connector(srv.url, { wsSecurity: { usernameToken: { usernameEnv: 'T_SOAP_USER', passwordEnv: 'T_SOAP_PASS', passwordType: 'PasswordText' } } });
      const records: CallRecord[] = [];
      const stopObserving = observeCalls((r) => records.push(r));
      try {
        await conn.call('helloService', { name: ARABIC });
        const stopCapturing = captureBodies([conn.provider]);
        try {
          await conn.call('helloService', { name: ARABIC });
        } finally {
          stopCapturing();
        }
        await conn.call('helloService', { name: 'after' });
      } finally {
        stopObserving();
      }
      assert.deepEqual(records.map((r) => !!r.bodies), [false, true, false], 'only while asked, only for the named provider');
      const b = records[1]!.bodies!;
      assert.ok(b.request?.includes(ARABIC) && b.response?.includes(`Hello ${ARABIC}`));
      assert.ok(srv.received.at(-2)!.body.includes('UsernameToken'), 'the wire carried the token');
      assert.ok(!b.request!.includes('UsernameToken') && !b.request!.includes('كلمة سر'), 'the captured request did not');
    });

    it('a wrong password is refused by the server: a ProviderFault, not retried', async () => {
      process.env.T_SOAP_PASS_WRONG = 'wrong';
      try {
        const conn = connector(srv.url, { wsSecurity: { usernameToken: { usernameEnv: 'T_SOAP_USER', passwordEnv: 'T_SOAP_PASS_WRONG' } } });
        await assert.rejects(conn.call('helloService', { name: 'x' }, { idempotencyKey: 'k' }), (e: unknown) => e instanceof ProviderFault && e.status === 401 && e.faultCode === 'Client' && e.attempt === 1);
      } finally {
        delete process.env.T_SOAP_PASS_WRONG;
      }
    });
  });

  describe('HTTP basic', () => {
    it('sends Authorization; a 401 is a ProviderFault that is not transient', async () => {
      const expected = `Basic ${Buffer.from(`wasl-centre:${process.env.T_SOAP_PASS}`).toString('base64')}`;
      const bare = await startBareServer((req, _body, res) => {
        if (req.headers.authorization !== expected) {
          res.writeHead(401, { 'www-authenticate': 'Basic' }).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end('<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><p:getRandomResponse xmlns:p="http://test.x-road.global/producer"><p:data>7</p:data></p:getRandomResponse></e:Body></e:Envelope>');
      });
      try {
        const ok = connector(bare.url, { basic: { usernameEnv: 'T_SOAP_USER', passwordEnv: 'T_SOAP_PASS' } });
        assert.deepEqual((await ok.call('getRandom', {})).output, { data: '7' });
        const bad = connector(bare.url, { basic: { usernameEnv: 'T_SOAP_USER', passwordEnv: 'T_SOAP_SIGN_CERT' } });
        await assert.rejects(bad.call('getRandom', {}), (e: unknown) => e instanceof ProviderFault && e.status === 401 && !e.transient && !e.message.includes('wasl-centre'));
      } finally {
        await bare.close();
      }
    });

    it('the sandbox environment\'s security replaces the provider\'s', async () => {
      const bare = await startBareServer((req, _b, res) => {
        res.writeHead(req.headers.authorization ? 400 : 200, { 'content-type': 'text/xml' });
        res.end('<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><p:getRandomResponse xmlns:p="http://test.x-road.global/producer"><p:data>1</p:data></p:getRandomResponse></e:Body></e:Envelope>');
      });
      try {
        const p = testProvider(model, bare.url, { xroad: XROAD_CONFIG, security: { basic: { usernameEnv: 'T_SOAP_USER', passwordEnv: 'T_SOAP_PASS' } } });
        p.definition.environments.sandbox.security = {};
        assert.deepEqual((await new SoapConnector(p, 'sandbox').call('getRandom', {})).output, { data: '1' });
      } finally {
        await bare.close();
      }
    });
  });

  describe('mutual TLS', () => {
    let srv: SoapTestServer;
    before(async () => {
      srv = await startSoapServer({
        wsdlFile: ADAPTER,
        https: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true },
        services: { testService: { testServicePort: { helloService: (a: { name: string }) => ({ message: `Hello ${a.name}` }) } } },
      });
    });
    after(() => srv.close());

    it('a client certificate signed by the CA the server trusts gets through', async () => {
      const conn = connector(srv.url, { tls: { caEnv: 'T_SOAP_CA', certEnv: 'T_SOAP_CLIENT_CERT', keyEnv: 'T_SOAP_CLIENT_KEY' } });
      assert.deepEqual((await conn.call('helloService', { name: ARABIC })).output, { message: `Hello ${ARABIC}` });
    });

    it('no client certificate, or one the server does not trust: a TransportError', async () => {
      const none = connector(srv.url, { tls: { caEnv: 'T_SOAP_CA' } });
      await assert.rejects(none.call('helloService', { name: 'x' }), (e: unknown) => e instanceof TransportError);
      const stranger = connector(srv.url, { tls: { caEnv: 'T_SOAP_CA', certEnv: 'T_SOAP_STRANGER_CERT', keyEnv: 'T_SOAP_STRANGER_KEY' } });
      await assert.rejects(stranger.call('helloService', { name: 'x' }), (e: unknown) => e instanceof TransportError);
    });

    it('a server certificate from an untrusted CA is refused', async () => {
      const conn = connector(srv.url, { tls: { caEnv: 'T_SOAP_SIGN_CERT', certEnv: 'T_SOAP_CLIENT_CERT', keyEnv: 'T_SOAP_CLIENT_KEY' } });
      await assert.rejects(conn.call('helloService', { name: 'x' }), (e: unknown) => e instanceof TransportError);
    });
  });
});
