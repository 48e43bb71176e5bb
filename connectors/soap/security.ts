/**
 * Transport and message security for SOAP calls, from the provider file's `security` block:
 * HTTP basic, mutual TLS (client certificate via the shared HttpClient's tls options), and
 * WS-Security — UsernameToken (PasswordText, or PasswordDigest = Base64(SHA-1(nonce + created +
 * password))) with a wsu:Timestamp, and X.509 signing of the Body and the Timestamp (XML-DSig,
 * RSA-SHA256, exclusive C14N, the certificate as a BinarySecurityToken referenced from KeyInfo
 * by a SecurityTokenReference).
 *
 * Secrets are read once, when the connector is built, through connectors/secrets.ts: a missing
 * variable fails at construction with its name, not on the first citizen's call.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import type { Security } from '../../contracts/types';
import type { TlsOptions } from '../http/client';
import { secret } from '../secrets';
import { buildEnvelope, envelopeNamespace, type EnvelopeTemplate } from './envelope';

export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const UT_PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';
const BASE64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';
const X509V3 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

export interface UsernameTokenSettings {
  username: string;
  password: string;
  passwordType: 'PasswordText' | 'PasswordDigest';
}

export interface X509Settings {
  /** PEM private key. */
  privateKey: string;
  /** PEM certificate. */
  certificate: string;
  timestampTtlSeconds: number;
}

export interface WsSecuritySettings {
  usernameToken?: UsernameTokenSettings;
  x509?: X509Settings;
}

export interface ResolvedSecurity {
  /** HTTP headers added to every request (Authorization for basic). */
  httpHeaders: Record<string, string>;
  tls?: TlsOptions;
  wsSecurity?: WsSecuritySettings;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Reads the secrets named by a provider's security block. `read` is replaceable for tests. */
export function resolveSecurity(sec: Security | undefined, read: (envName: string) => string = secret): ResolvedSecurity {
  const out: ResolvedSecurity = { httpHeaders: {} };
  if (!sec) return out;
  if (sec.basic) out.httpHeaders.Authorization = basicAuthorization(read(sec.basic.usernameEnv), read(sec.basic.passwordEnv));
  if (sec.tls) {
    const t = sec.tls;
    const tls: TlsOptions = {};
    if (t.caEnv) tls.ca = read(t.caEnv);
    if (t.certEnv) tls.cert = read(t.certEnv);
    if (t.keyEnv) tls.key = read(t.keyEnv);
    if (t.passphraseEnv) tls.passphrase = read(t.passphraseEnv);
    if (t.rejectUnauthorized !== undefined) tls.rejectUnauthorized = t.rejectUnauthorized;
    out.tls = tls;
  }
  const ws = sec.wsSecurity;
  if (ws && (ws.usernameToken || ws.x509)) {
    const w: WsSecuritySettings = {};
    if (ws.usernameToken) {
      w.usernameToken = {
        username: read(ws.usernameToken.usernameEnv),
        password: read(ws.usernameToken.passwordEnv),
        passwordType: ws.usernameToken.passwordType ?? 'PasswordDigest',
      };
    }
    if (ws.x509) {
      w.x509 = {
        privateKey: read(ws.x509.privateKeyEnv),
        certificate: read(ws.x509.certificateEnv),
        timestampTtlSeconds: ws.x509.timestampTtlSeconds ?? 300,
      };
    }
    out.wsSecurity = w;
  }
  return out;
}

/** Base64(SHA-1(nonce + created + password)), the UsernameToken profile's PasswordDigest. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64');
}

export function usernameTokenXml(ut: UsernameTokenSettings, created: string, nonce: Buffer = randomBytes(16)): string {
  const pw = ut.passwordType === 'PasswordText' ? esc(ut.password) : passwordDigest(nonce, created, ut.password);
  return (
    `<wsse:UsernameToken wsu:Id="UsernameToken-${randomUUID()}">` +
    `<wsse:Username>${esc(ut.username)}</wsse:Username>` +
    `<wsse:Password Type="${UT_PROFILE}#${ut.passwordType}">${pw}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64}">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created>` +
    `</wsse:UsernameToken>`
  );
}

export function timestampXml(id: string, created: Date, ttlSeconds: number): string {
  const expires = new Date(created.getTime() + ttlSeconds * 1000);
  return `<wsu:Timestamp wsu:Id="${id}"><wsu:Created>${created.toISOString()}</wsu:Created><wsu:Expires>${expires.toISOString()}</wsu:Expires></wsu:Timestamp>`;
}

function pemBody(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  return (m ? m[1]! : pem).replace(/\s+/g, '');
}

/**
 * The whole envelope with a wsse:Security header first in the Header (it must be processed
 * before the others), signed when X.509 settings are given. `header` and `body` are the inner
 * XML the operation's encoder produced.
 */
export function secureEnvelope(ws: WsSecuritySettings, t: EnvelopeTemplate, header: string, body: string, now: Date = new Date()): string {
  const mustUnderstand = `${t.prefix}:mustUnderstand="${t.version === '1.2' ? 'true' : '1'}"`;
  const ttl = ws.x509?.timestampTtlSeconds ?? 300;
  const tsId = `TS-${randomUUID()}`;
  let sec = timestampXml(tsId, now, ttl);
  if (ws.usernameToken) sec += usernameTokenXml(ws.usernameToken, now.toISOString());
  let bodyAttrs = '';
  const bstId = `X509-${randomUUID()}`;
  if (ws.x509) {
    sec = `<wsse:BinarySecurityToken EncodingType="${BASE64}" ValueType="${X509V3}" wsu:Id="${bstId}">${pemBody(ws.x509.certificate)}</wsse:BinarySecurityToken>` + sec;
    bodyAttrs = ` xmlns:wsu="${WSU_NS}" wsu:Id="Body-${randomUUID()}"`;
  }
  const secHeader = `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}" ${mustUnderstand}>${sec}</wsse:Security>`;
  const envelope = buildEnvelope(t, secHeader + header, body, bodyAttrs);
  if (!ws.x509) return envelope;
  return signEnvelope(envelope, ws.x509, envelopeNamespace(t.version), bstId);
}

function signEnvelope(envelope: string, x509: X509Settings, envNs: string, bstId: string): string {
  const sig = new SignedXml({
    idMode: 'wssecurity',
    privateKey: x509.privateKey,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
    getKeyInfoContent: () =>
      `<wsse:SecurityTokenReference><wsse:Reference URI="#${bstId}" ValueType="${X509V3}"/></wsse:SecurityTokenReference>`,
  });
  for (const xpath of [
    `//*[local-name(.)='Body' and namespace-uri(.)='${envNs}']`,
    `//*[local-name(.)='Timestamp' and namespace-uri(.)='${WSU_NS}']`,
  ]) {
    sig.addReference({ xpath, transforms: [EXC_C14N], digestAlgorithm: SHA256 });
  }
  sig.computeSignature(envelope, {
    prefix: 'ds',
    location: { reference: `//*[local-name(.)='Security' and namespace-uri(.)='${WSSE_NS}']`, action: 'append' },
    existingPrefixes: { wsse: WSSE_NS, wsu: WSU_NS },
  });
  return sig.getSignedXml();
}
