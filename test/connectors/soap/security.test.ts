import assert from 'node:assert/strict';
import { passwordDigest as soapPackageDigest } from 'soap/lib/utils';
import { envelopeTemplate } from '../../../connectors/soap/envelope';
import { basicAuthorization, passwordDigest, resolveSecurity, secureEnvelope, WSSE_NS, WSU_NS } from '../../../connectors/soap/security';
import { makePki, type Pki } from './pki';
import { verifySignedEnvelope } from './verify';

const BODY = '<m:getPerson xmlns:m="urn:example"><m:name>ريم خالد الأحمد</m:name><m:note>a &amp; b &lt; c</m:note></m:getPerson>';

describe('soap/security', function () {
  let pki: Pki;
  before(() => (pki = makePki()));
  after(() => pki.cleanup());

  describe('UsernameToken', () => {
    it('PasswordDigest is Base64(SHA-1(nonce + created + password)), as the soap package computes it', () => {
      const nonce = Buffer.from('0123456789abcdef');
      const created = '2024-05-01T10:00:00.000Z';
      assert.equal(passwordDigest(nonce, created, 'كلمة-سر'), soapPackageDigest(nonce.toString('base64'), created, 'كلمة-سر'));
    });

    it('writes Username, digest Password, Nonce, Created and a Timestamp in a mustUnderstand Security header', () => {
      const xml = secureEnvelope({ usernameToken: { username: 'wasl', password: 's3cret', passwordType: 'PasswordDigest' } }, envelopeTemplate('1.1'), '', BODY, new Date('2024-05-01T10:00:00Z'));
      assert.match(xml, new RegExp(`<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}" soapenv:mustUnderstand="1">`));
      assert.match(xml, /<wsse:Username>wasl<\/wsse:Username>/);
      const nonce = /<wsse:Nonce EncodingType="[^"]+#Base64Binary">([^<]+)</.exec(xml)![1]!;
      const created = /<wsse:UsernameToken[\s\S]*<wsu:Created>([^<]+)</.exec(xml)![1]!;
      const pw = /<wsse:Password Type="[^"]+#PasswordDigest">([^<]+)</.exec(xml)![1]!;
      assert.equal(pw, soapPackageDigest(nonce, created, 's3cret'));
      assert.doesNotMatch(xml, /s3cret/);
      assert.match(xml, /<wsu:Timestamp wsu:Id="TS-[^"]+"><wsu:Created>2024-05-01T10:00:00.000Z<\/wsu:Created><wsu:Expires>2024-05-01T10:05:00.000Z<\/wsu:Expires>/);
    });

    it('PasswordText sends the password escaped; a fresh nonce every call', () => {
      const ws = { usernameToken: { username: 'u<1>', password: 'p&"q', passwordType: 'PasswordText' as const } };
      const a = secureEnvelope(ws, envelopeTemplate('1.2'), '', BODY);
      const b = secureEnvelope(ws, envelopeTemplate('1.2'), '', BODY);
      assert.match(a, /#PasswordText">p&amp;&quot;q</);
      assert.match(a, /<wsse:Username>u&lt;1&gt;</);
      assert.match(a, /soap:mustUnderstand="true"/);
      const nonce = (s: string) => /<wsse:Nonce[^>]*>([^<]+)</.exec(s)![1];
      assert.notEqual(nonce(a), nonce(b));
    });
  });

  describe('X.509 signature', () => {
    for (const version of ['1.1', '1.2'] as const) {
      it(`signs Body and Timestamp (SOAP ${version}); a real verifier accepts it`, () => {
        const xml = secureEnvelope({ x509: { privateKey: pki.signKey, certificate: pki.signCert, timestampTtlSeconds: 60 } }, envelopeTemplate(version), '<h:x xmlns:h="urn:h">1</h:x>', BODY);
        assert.deepEqual(verifySignedEnvelope(xml, pki.signCert), { ok: true });
        assert.match(xml, /<wsse:BinarySecurityToken [^>]*ValueType="[^"]+#X509v3"/);
        assert.ok(xml.includes('ريم خالد الأحمد'), 'Arabic text kept as is');
      });
    }

    it('a tampered body, a tampered timestamp or a foreign certificate fail verification', () => {
      const xml = secureEnvelope({ x509: { privateKey: pki.signKey, certificate: pki.signCert, timestampTtlSeconds: 60 } }, envelopeTemplate('1.1'), '', BODY);
      assert.equal(verifySignedEnvelope(xml.replace('ريم', 'ريما'), pki.signCert).ok, false);
      assert.equal(verifySignedEnvelope(xml.replace(/<wsu:Expires>[^<]+/, '<wsu:Expires>2099-01-01T00:00:00.000Z'), pki.signCert).ok, false);
      assert.equal(verifySignedEnvelope(xml, pki.otherSignCert).ok, false);
    });

    it('signs together with a UsernameToken', () => {
      const xml = secureEnvelope(
        { usernameToken: { username: 'u', password: 'p', passwordType: 'PasswordDigest' }, x509: { privateKey: pki.signKey, certificate: pki.signCert, timestampTtlSeconds: 60 } },
        envelopeTemplate('1.1'),
        '',
        BODY,
      );
      assert.deepEqual(verifySignedEnvelope(xml, pki.signCert), { ok: true });
      assert.match(xml, /<wsse:UsernameToken/);
    });
  });

  describe('resolveSecurity', () => {
    it('reads every secret by its variable name, basic auth as an Authorization header, TLS material for the client', () => {
      const env: Record<string, string> = { U: 'user', P: 'pässword', CA: 'ca-pem', CERT: 'cert-pem', KEY: 'key-pem' };
      const r = resolveSecurity(
        { basic: { usernameEnv: 'U', passwordEnv: 'P' }, tls: { caEnv: 'CA', certEnv: 'CERT', keyEnv: 'KEY' }, wsSecurity: { usernameToken: { usernameEnv: 'U', passwordEnv: 'P' } } },
        (n) => env[n]!,
      );
      assert.equal(r.httpHeaders.Authorization, basicAuthorization('user', 'pässword'));
      assert.equal(Buffer.from(r.httpHeaders.Authorization!.slice(6), 'base64').toString('utf8'), 'user:pässword');
      assert.deepEqual(r.tls, { ca: 'ca-pem', cert: 'cert-pem', key: 'key-pem' });
      assert.equal(r.wsSecurity?.usernameToken?.passwordType, 'PasswordDigest');
    });

    it('a missing secret fails with the variable name and never a value', () => {
      delete process.env.WASL_TEST_MISSING_SOAP_PW;
      assert.throws(() => resolveSecurity({ basic: { usernameEnv: 'WASL_TEST_MISSING_SOAP_PW', passwordEnv: 'WASL_TEST_MISSING_SOAP_PW' } }), /WASL_TEST_MISSING_SOAP_PW/);
    });
  });
});
