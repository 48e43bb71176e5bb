/**
 * Test keys and certificates, made with the system's openssl in a temp dir (nothing secret is
 * committed): a CA, a server certificate for 127.0.0.1, a client certificate for mutual TLS,
 * and a self-signed signing certificate for WS-Security.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  /** A second client, signed by no CA the server trusts. */
  strangerKey: string;
  strangerCert: string;
  signKey: string;
  signCert: string;
  /** A different signing certificate, to prove the verifier checks whose key signed. */
  otherSignCert: string;
  cleanup(): void;
}

const OPENSSL = '/usr/bin/openssl';

function ssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: 'pipe' });
}

function selfSigned(dir: string, name: string, cn: string): void {
  ssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`]);
}

function signedBy(dir: string, name: string, cn: string, ca: string, ext?: string): void {
  ssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2'];
  if (ext) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    args.push('-extfile', `${name}.ext`);
  }
  ssl(dir, args);
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-soap-pki-'));
  selfSigned(dir, 'ca', 'wasl test CA');
  signedBy(dir, 'server', '127.0.0.1', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  signedBy(dir, 'client', 'wasl-client', 'ca', 'extendedKeyUsage=clientAuth\n');
  selfSigned(dir, 'stranger', 'stranger');
  selfSigned(dir, 'sign', 'wasl signer');
  selfSigned(dir, 'other', 'someone else');
  const r = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caCert: r('ca.crt'),
    serverKey: r('server.key'),
    serverCert: r('server.crt'),
    clientKey: r('client.key'),
    clientCert: r('client.crt'),
    strangerKey: r('stranger.key'),
    strangerCert: r('stranger.crt'),
    signKey: r('sign.key'),
    signCert: r('sign.crt'),
    otherSignCert: r('other.crt'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
