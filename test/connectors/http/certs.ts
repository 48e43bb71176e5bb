/**
 * Test PKI made with the openssl CLI in a temp dir: a CA, a server certificate for
 * localhost/127.0.0.1, an expired one, a client certificate for mutual TLS, and a self-signed
 * server certificate. EC keys, so it takes a fraction of a second.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  ca: string;
  server: { cert: string; key: string };
  expired: { cert: string; key: string };
  selfSigned: { cert: string; key: string };
  client: { cert: string; key: string };
  cleanup(): void;
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-pki-'));
  const p = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const newKey = (name: string) => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p(`${name}.key`));
  const read = (name: string) => ({ cert: readFileSync(p(`${name}.pem`), 'utf8'), key: readFileSync(p(`${name}.key`), 'utf8') });

  newKey('ca');
  ssl('req', '-x509', '-new', '-key', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=wasl test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');

  writeFileSync(p('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const issue = (name: string, cn: string, ext: string, days: string) => {
    newKey(name);
    ssl('req', '-new', '-key', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`);
    ssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p(`${name}.pem`), '-days', days, '-extfile', p(ext));
  };
  issue('server', 'localhost', 'server.ext', '2');
  // A negative validity makes notAfter yesterday: an expired certificate, otherwise valid.
  issue('expired', 'localhost', 'server.ext', '-1');
  issue('client', 'wasl-client', 'client.ext', '2');

  newKey('self');
  ssl('req', '-x509', '-new', '-key', p('self.key'), '-out', p('self.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');

  return {
    dir,
    ca: readFileSync(p('ca.pem'), 'utf8'),
    server: read('server'),
    expired: read('expired'),
    selfSigned: read('self'),
    client: read('client'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
