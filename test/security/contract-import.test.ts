/**
 * Contract import plays the attacker's contract (issue 19, item 6). A WSDL or OpenAPI document is
 * code we did not write: its schemaLocation / location / $ref must not make `wasl provider import`
 * read a file of the machine it runs on, nor make it fetch from a host the operator did not name.
 *
 *  - Local references stay inside the contract's folder (and subfolders), a --schemas folder or the
 *    built-in catalogue, checked on the real path: a `../` traversal, an absolute path, a `file:`
 *    URL, a symlink (to a file or a folder) pointing outside, an http location whose last segment
 *    decodes to `../…` — each is refused, with or without --allow-unresolved, and the message names
 *    the rule and the location as written, and is the same whether the outside file exists or not.
 *    Nothing is written to the provider folder (a re-import leaves it byte for byte as it was).
 *  - A contract fetched by URL follows only its URL's exact origin (scheme, host, port): a
 *    protocol-relative `//host:port/…` (or `\\host…`) leading elsewhere and a redirect leaving the
 *    origin are refused, and a second server counting requests receives none. A contract read from
 *    a file fetches nothing.
 *  - The control: references that stay inside those roots (a subfolder, a symlink inside, a
 *    `../schemas` folder given with --schemas, same-origin URLs and redirects) still work.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { importOpenApi } from '../../connectors/import/openapi';
import { importWsdl } from '../../connectors/import/wsdl';
import { writeProvider } from '../../connectors/import/write';
import { compileWsdl, compileWsdlFile } from '../../connectors/soap/wsdl/compile';

const SECRET = 'TOP-SECRET-c0ffee';
type Rule = 'outside-roots' | 'absolute-path' | 'other-origin';
const RULE_TEXT: Record<Rule, RegExp> = {
  'outside-roots': /outside the contract's folder/,
  'absolute-path': /absolute path outside the contract's folder/,
  'other-origin': /another origin than the (WSDL|contract)'s/,
};

/** The secret as a schema that defines what the WSDL needs, so a loader that reads it succeeds. */
const secretXsd = (ns = 'urn:other') =>
  `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="${ns}"><xs:annotation><xs:documentation>${SECRET}</xs:documentation></xs:annotation>` +
  `<xs:simpleType name="Thing"><xs:restriction base="xs:string"/></xs:simpleType></xs:schema>`;

type RefKind = 'import' | 'include' | 'wsdl-import';

/** A one-operation WSDL whose element `a` is of type o:Thing, pulling in `location` as `kind`. */
function wsdl(location: string, kind: RefKind = 'import'): string {
  const esc = location.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  const inSchema = kind === 'import' ? `<xs:import namespace="urn:other" schemaLocation="${esc}"/>` : kind === 'include' ? `<xs:include schemaLocation="${esc}"/>` : '';
  const top = kind === 'wsdl-import' ? `<import namespace="urn:other" location="${esc}"/>` : '';
  const type = kind === 'include' ? 'xs:string' : 'o:Thing';
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:t" xmlns:o="urn:other" targetNamespace="urn:t">
  ${top}
  <types>
    <xs:schema targetNamespace="urn:t" elementFormDefault="qualified">
      ${kind === 'wsdl-import' ? '<xs:import namespace="urn:other"/>' : inSchema}
      <xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="a" type="${type}"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="OpResponse"><xs:complexType><xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </types>
  <message name="In"><part name="p" element="tns:Op"/></message>
  <message name="Out"><part name="p" element="tns:OpResponse"/></message>
  <portType name="PT"><operation name="Op"><input message="tns:In"/><output message="tns:Out"/></operation></portType>
  <binding name="B" type="tns:PT">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Op"><soap:operation soapAction="urn:t:Op"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
  </binding>
  <service name="S"><port name="P" binding="tns:B"><soap:address location="http://127.0.0.1:1/s"/></port></service>
</definitions>`;
}

/** The secret as a WSDL (for wsdl:import): the same schema inline. */
const secretWsdl = () =>
  `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" targetNamespace="urn:other"><types>${secretXsd()}</types></definitions>`;

interface Refusal {
  rule: string;
  location: string;
}
interface Caught {
  code?: string;
  message: string;
  refusal?: Refusal;
}

async function caught(p: Promise<unknown> | (() => unknown)): Promise<Caught> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err as Caught;
  }
  return assert.fail('expected the contract to be refused, it was accepted');
}

function assertRefused(err: Caught, rule: Rule, location: string, code?: string): void {
  assert.ok(err.refusal, `expected a refusal (rule ${rule}), got: ${err.message}`);
  if (code) assert.equal(err.code, code, err.message);
  assert.equal(err.refusal.rule, rule, err.message);
  assert.equal(err.refusal.location, location);
  assert.ok(err.message.includes(location), `the message names the location as written: ${err.message}`);
  assert.match(err.message, RULE_TEXT[rule]);
  assert.ok(!err.message.includes(SECRET), 'the message never shows the outside content');
}

/** Every file under `dir`, relative, with its content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[path.relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** A server on an OS-given port that counts the requests it receives (and answers with `answer`). */
async function countingServer(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ origin: string; port: number; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.headers.host} ${req.url}`);
    answer(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('contract import reads only what it should (issue 19.6)', function () {
  this.timeout(30_000);
  let base: string;
  let contractDir: string;
  let outsideDir: string;
  let providers: string;
  /** Another server that must never be asked anything. */
  let elsewhere: Awaited<ReturnType<typeof countingServer>>;

  before(async () => {
    elsewhere = await countingServer((req, res) => {
      const body = /\.ya?ml$/.test(req.url ?? '') ? `A: {type: string, description: ${SECRET}}\n` : /\.wsdl$/.test(req.url ?? '') ? secretWsdl() : secretXsd();
      res.writeHead(200, { 'content-type': 'text/xml' }).end(body);
    });
  });
  after(async () => elsewhere.close());

  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'wasl-hostile-contract-'));
    contractDir = path.join(base, 'ministry', 'contract');
    outsideDir = path.join(base, 'outside');
    providers = path.join(base, 'providers');
    mkdirSync(contractDir, { recursive: true });
    mkdirSync(outsideDir);
    writeFileSync(path.join(outsideDir, 'secret.xsd'), secretXsd());
    writeFileSync(path.join(outsideDir, 'secret-t.xsd'), secretXsd('urn:t'));
    writeFileSync(path.join(outsideDir, 'secret.wsdl'), secretWsdl());
    writeFileSync(path.join(outsideDir, 'secret.yaml'), `A: {type: string, description: ${SECRET}}\n`);
    symlinkSync(path.join(outsideDir, 'secret.xsd'), path.join(contractDir, 'link.xsd'));
    symlinkSync(outsideDir, path.join(contractDir, 'shared'));
    elsewhere.hits.length = 0;
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  describe('a WSDL read from a file', () => {
    const secret = () => path.join(outsideDir, 'secret.xsd');
    const cases: Array<{ name: string; loc: () => string; rule: Rule; kind?: RefKind }> = [
      { name: 'xsd:import ../ traversal to a sibling folder', loc: () => path.relative(contractDir, secret()), rule: 'outside-roots' },
      { name: 'xsd:import ../../../… traversal to the root and down (etc/passwd style)', loc: () => '../'.repeat(16) + secret().slice(1), rule: 'outside-roots' },
      { name: 'xsd:include ../ traversal', loc: () => path.relative(contractDir, path.join(outsideDir, 'secret-t.xsd')), rule: 'outside-roots', kind: 'include' },
      { name: 'wsdl:import ../ traversal', loc: () => path.relative(contractDir, path.join(outsideDir, 'secret.wsdl')), rule: 'outside-roots', kind: 'wsdl-import' },
      { name: 'a traversal that comes back through the folder (sub/../../outside)', loc: () => `sub/../../../outside/secret.xsd`, rule: 'outside-roots' },
      { name: 'an absolute path', loc: () => secret(), rule: 'absolute-path' },
      { name: 'a file: URL', loc: () => pathToFileURL(secret()).href, rule: 'absolute-path' },
      { name: 'a symlink inside the folder to a file outside', loc: () => 'link.xsd', rule: 'outside-roots' },
      { name: 'a path through a symlinked folder that leads outside', loc: () => 'shared/secret.xsd', rule: 'outside-roots' },
      { name: 'an http location whose last segment decodes to ../', loc: () => 'http://schemas.example.org/x/..%2F..%2Foutside%2Fsecret.xsd', rule: 'outside-roots' },
      { name: 'a protocol-relative //host:port location', loc: () => `//127.0.0.1:${elsewhere.port}/secret.xsd`, rule: 'other-origin' },
    ];

    for (const c of cases) {
      it(`refuses ${c.name}, even with --allow-unresolved, and writes nothing`, async () => {
        const file = path.join(contractDir, 'service.wsdl');
        const loc = c.loc();
        writeFileSync(file, wsdl(loc, c.kind));
        for (const allowUnresolved of [false, true]) {
          assertRefused(await caught(() => compileWsdlFile(file, { allowUnresolved })), c.rule, loc, 'wsdl-refused');
          const viaImport = await caught(async () => writeProvider(providers, 'moi-x', await importWsdl('moi-x', file, { allowUnresolved })));
          assertRefused(viaImport, c.rule, loc, 'wsdl-refused');
        }
        assert.deepEqual(snapshot(providers), {}, 'nothing is written');
        assert.deepEqual(elsewhere.hits, [], 'nothing is fetched');
      });
    }

    it('says the same whether the outside file exists or not (a refusal is no existence oracle)', async () => {
      const file = path.join(contractDir, 'service.wsdl');
      const messages = async () => {
        const out: string[] = [];
        for (const c of cases) {
          writeFileSync(file, wsdl(c.loc(), c.kind));
          const err = await caught(() => compileWsdlFile(file, { allowUnresolved: true }));
          assert.equal(err.refusal?.rule, c.rule, `${c.name}: ${err.message}`);
          out.push(err.message);
        }
        return out;
      };
      const withSecret = await messages();
      // The outside folder's files are gone (the symlinks now dangle): the answers are the same.
      for (const f of readdirSync(outsideDir)) rmSync(path.join(outsideDir, f));
      assert.deepEqual(await messages(), withSecret);
      // …and so they are when the outside folder itself does not exist.
      rmSync(outsideDir, { recursive: true });
      assert.deepEqual(await messages(), withSecret);
    });

    it('leaves an imported provider byte for byte as it was when a re-import is refused', async () => {
      const file = path.join(contractDir, 'service.wsdl');
      mkdirSync(path.join(contractDir, 'xsd'));
      writeFileSync(path.join(contractDir, 'xsd', 'other.xsd'), secretXsd().replace(SECRET, 'a schema of the contract'));
      writeFileSync(file, wsdl('xsd/other.xsd'));
      await writeProvider(providers, 'moi-x', await importWsdl('moi-x', file));
      const before = snapshot(providers);
      assert.deepEqual(Object.keys(before).filter((f) => f.startsWith(path.join('moi-x', 'contract'))).sort(), [path.join('moi-x', 'contract', 'service.wsdl'), path.join('moi-x', 'contract', 'xsd', 'other.xsd')]);

      writeFileSync(file, wsdl(path.relative(contractDir, path.join(outsideDir, 'secret.xsd'))));
      const err = await caught(async () => writeProvider(providers, 'moi-x', await importWsdl('moi-x', file, { allowUnresolved: true }), { yes: true }));
      assert.equal(err.refusal?.rule, 'outside-roots');
      assert.deepEqual(snapshot(providers), before);
      assert.ok(!Object.values(snapshot(providers)).some((c) => c.includes(SECRET)));
    });

    it('still resolves what stays inside: a subfolder, a symlink inside, an absolute path inside, a --schemas folder reached by ../', async () => {
      mkdirSync(path.join(contractDir, 'xsd'));
      writeFileSync(path.join(contractDir, 'xsd', 'other.xsd'), secretXsd().replace(SECRET, 'inside'));
      symlinkSync(path.join(contractDir, 'xsd', 'other.xsd'), path.join(contractDir, 'alias.xsd'));
      const file = path.join(contractDir, 'service.wsdl');
      for (const loc of ['xsd/other.xsd', 'xsd/../xsd/other.xsd', 'alias.xsd', path.join(contractDir, 'xsd', 'other.xsd'), pathToFileURL(path.join(contractDir, 'xsd', 'other.xsd')).href]) {
        writeFileSync(file, wsdl(loc));
        const { documents, model } = compileWsdlFile(file);
        assert.equal(documents.length, 2, loc);
        assert.equal(model.types['{urn:other}Thing']?.kind, 'simple', loc);
      }

      // The ministry ships its schemas in a sibling folder: given with --schemas, ../schemas/… is inside.
      const schemas = path.join(base, 'ministry', 'schemas');
      mkdirSync(schemas);
      writeFileSync(path.join(schemas, 'common.xsd'), secretXsd().replace(SECRET, 'shared schema'));
      writeFileSync(file, wsdl('../schemas/common.xsd'));
      assert.equal((await caught(() => compileWsdlFile(file))).refusal?.rule, 'outside-roots', 'refused without --schemas');
      const imported = await importWsdl('moi-x', file, { schemas });
      await writeProvider(providers, 'moi-x', imported);
      assert.deepEqual(readdirSync(path.join(providers, 'moi-x', 'contract')).sort(), ['common.xsd', 'service.wsdl']);
      assert.match(readFileSync(path.join(providers, 'moi-x', 'contract', 'service.wsdl'), 'utf8'), /schemaLocation="common\.xsd"/);
    });

    it('does not follow a symlink out of a --schemas folder either', async () => {
      const schemas = path.join(base, 'schemas');
      mkdirSync(schemas);
      symlinkSync(path.join(outsideDir, 'secret.xsd'), path.join(schemas, 'other.xsd'));
      const file = path.join(contractDir, 'service.wsdl');
      writeFileSync(file, wsdl('http://schemas.example.org/other.xsd'));
      const err = await caught(() => compileWsdlFile(file, { schemas: [schemas], allowUnresolved: true }));
      assert.equal(err.refusal?.rule, 'outside-roots', err.message);
      assert.match(err.message, /other\.xsd/);
      assert.ok(!err.message.includes(SECRET));
    });
  });

  describe('a WSDL fetched by URL', () => {
    let ministry: Awaited<ReturnType<typeof countingServer>>;
    const routes: Record<string, () => { status: number; body?: string; location?: string }> = {};
    before(async () => {
      ministry = await countingServer((req, res) => {
        const route = routes[req.url ?? ''];
        const r = route ? route() : { status: 404, body: 'not found' };
        res.writeHead(r.status, { 'content-type': 'text/xml', ...(r.location ? { location: r.location } : {}) }).end(r.body ?? '');
      });
      const xsdOk = secretXsd().replace(SECRET, 'the ministry schema');
      Object.assign(routes, {
        '/svc/xsd/other.xsd': () => ({ status: 200, body: xsdOk }),
        '/svc/ok.wsdl': () => ({ status: 200, body: wsdl('xsd/other.xsd') }),
        '/svc/root-relative.wsdl': () => ({ status: 200, body: wsdl('/svc/xsd/other.xsd') }),
        '/svc/pr.wsdl': () => ({ status: 200, body: wsdl(`//127.0.0.1:${elsewhere.port}/x.xsd`) }),
        '/svc/pr-wsdl-import.wsdl': () => ({ status: 200, body: wsdl(`//127.0.0.1:${elsewhere.port}/x.wsdl`, 'wsdl-import') }),
        '/svc/pr-backslash.wsdl': () => ({ status: 200, body: wsdl(`\\\\127.0.0.1:${elsewhere.port}\\x.xsd`) }),
        '/svc/pr-host.wsdl': () => ({ status: 200, body: wsdl(`//localhost:${ministry.port}/svc/xsd/other.xsd`) }),
        '/svc/abs.wsdl': () => ({ status: 200, body: wsdl(`http://127.0.0.1:${elsewhere.port}/x.xsd`) }),
        '/svc/file.wsdl': () => ({ status: 200, body: wsdl(pathToFileURL(path.join(outsideDir, 'secret.xsd')).href) }),
        '/svc/redirect.wsdl': () => ({ status: 200, body: wsdl('moved.xsd') }),
        '/svc/moved.xsd': () => ({ status: 302, location: `http://127.0.0.1:${elsewhere.port}/x.xsd` }),
        '/svc/same-redirect.wsdl': () => ({ status: 200, body: wsdl('old.xsd') }),
        '/svc/old.xsd': () => ({ status: 301, location: '/svc/xsd/other.xsd' }),
        '/svc/root-moved.wsdl': () => ({ status: 302, location: `http://127.0.0.1:${elsewhere.port}/x.wsdl` }),
      });
    });
    after(async () => ministry.close());
    beforeEach(() => {
      ministry.hits.length = 0;
    });

    const refusals: Array<{ name: string; path: string; loc: () => string; rule: Rule }> = [
      { name: 'a protocol-relative xsd:import to another port', path: '/svc/pr.wsdl', loc: () => `//127.0.0.1:${elsewhere.port}/x.xsd`, rule: 'other-origin' },
      { name: 'a protocol-relative wsdl:import to another port', path: '/svc/pr-wsdl-import.wsdl', loc: () => `//127.0.0.1:${elsewhere.port}/x.wsdl`, rule: 'other-origin' },
      { name: 'a protocol-relative location written with backslashes', path: '/svc/pr-backslash.wsdl', loc: () => `\\\\127.0.0.1:${elsewhere.port}\\x.xsd`, rule: 'other-origin' },
      { name: 'a protocol-relative location to another host name on the same port', path: '/svc/pr-host.wsdl', loc: () => `//localhost:${ministry.port}/svc/xsd/other.xsd`, rule: 'other-origin' },
      { name: 'an import that redirects to another origin', path: '/svc/redirect.wsdl', loc: () => 'moved.xsd', rule: 'other-origin' },
      { name: 'a file: URL', path: '/svc/file.wsdl', loc: () => pathToFileURL(path.join(outsideDir, 'secret.xsd')).href, rule: 'absolute-path' },
    ];
    for (const c of refusals) {
      it(`refuses ${c.name}, even with --allow-unresolved; the other server is never asked`, async () => {
        for (const allowUnresolved of [false, true]) {
          assertRefused(await caught(compileWsdl(`${ministry.origin}${c.path}`, { allowUnresolved })), c.rule, c.loc(), 'wsdl-refused');
          const viaImport = await caught(async () => writeProvider(providers, 'moi-x', await importWsdl('moi-x', `${ministry.origin}${c.path}`, { allowUnresolved })));
          assert.equal(viaImport.refusal?.rule, c.rule, viaImport.message);
        }
        assert.deepEqual(elsewhere.hits, [], 'the other origin received no request');
        assert.ok(!ministry.hits.some((h) => h.startsWith('localhost')), 'nor did the ministry under another host name');
        assert.deepEqual(snapshot(providers), {});
      });
    }

    it('refuses a WSDL URL that redirects to another origin, without asking it', async () => {
      const url = `${ministry.origin}/svc/root-moved.wsdl`;
      const err = await caught(compileWsdl(url, { allowUnresolved: true }));
      assertRefused(err, 'other-origin', url, 'wsdl-refused');
      assert.deepEqual(elsewhere.hits, []);
    });

    it('never fetches an absolute location on another origin: it is looked up locally, or missing', async () => {
      const err = await caught(compileWsdl(`${ministry.origin}/svc/abs.wsdl`));
      assert.equal(err.code, 'wsdl-unresolved');
      const lenient = await compileWsdl(`${ministry.origin}/svc/abs.wsdl`, { allowUnresolved: true });
      assert.ok(lenient.warnings.some((w) => w.includes(`http://127.0.0.1:${elsewhere.port}/x.xsd`)));
      assert.deepEqual(elsewhere.hits, []);
    });

    it('follows relative, root-relative and same-origin redirected locations on the WSDL origin', async () => {
      for (const p of ['/svc/ok.wsdl', '/svc/root-relative.wsdl', '/svc/same-redirect.wsdl']) {
        const { model, documents } = await compileWsdl(`${ministry.origin}${p}`);
        assert.equal(model.types['{urn:other}Thing']?.kind, 'simple', p);
        assert.equal(documents[1]?.location, `${ministry.origin}/svc/xsd/other.xsd`, p);
      }
      assert.deepEqual(elsewhere.hits, []);
    });
  });

  describe('an OpenAPI document', () => {
    const openapi = (ref: string) => `openapi: 3.0.3
info: { title: T, version: '1' }
paths:
  /a:
    get:
      operationId: getA
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '${ref.replace(/'/g, "''")}'
`;
    const secret = () => path.join(outsideDir, 'secret.yaml');
    const cases: Array<{ name: string; ref: () => string; rule: Rule }> = [
      { name: 'a ../ traversal', ref: () => `${path.relative(contractDir, secret())}#/A`, rule: 'outside-roots' },
      { name: 'a percent-encoded traversal', ref: () => `%2e%2e/%2e%2e/outside/secret.yaml#/A`, rule: 'outside-roots' },
      { name: 'an absolute path', ref: () => `${secret()}#/A`, rule: 'absolute-path' },
      { name: 'a file: URL', ref: () => `${pathToFileURL(secret()).href}#/A`, rule: 'absolute-path' },
      { name: 'a symlink inside the folder to a file outside', ref: () => 'link.yaml#/A', rule: 'outside-roots' },
      { name: 'a protocol-relative //host:port reference', ref: () => `//127.0.0.1:${elsewhere.port}/x.yaml#/A`, rule: 'other-origin' },
    ];
    beforeEach(() => symlinkSync(secret(), path.join(contractDir, 'link.yaml')));

    for (const c of cases) {
      it(`refuses ${c.name}, even with --allow-unresolved, and writes nothing`, async () => {
        const file = path.join(contractDir, 'api.yaml');
        const ref = c.ref();
        writeFileSync(file, openapi(ref));
        for (const allowUnresolved of [false, true]) {
          const err = await caught(async () => writeProvider(providers, 'moi-x', await importOpenApi('moi-x', file, { allowUnresolved })));
          assertRefused(err, c.rule, ref);
        }
        assert.deepEqual(snapshot(providers), {});
        assert.deepEqual(elsewhere.hits, []);
      });
    }

    it('says the same whether the outside file exists or not', async () => {
      const file = path.join(contractDir, 'api.yaml');
      const messages = async () => {
        const out: string[] = [];
        for (const c of cases) {
          writeFileSync(file, openapi(c.ref()));
          const err = await caught(importOpenApi('moi-x', file, { allowUnresolved: true }));
          assert.equal(err.refusal?.rule, c.rule, `${c.name}: ${err.message}`);
          out.push(err.message);
        }
        return out;
      };
      const withSecret = await messages();
      rmSync(outsideDir, { recursive: true });
      assert.deepEqual(await messages(), withSecret);
    });

    it('still resolves what stays inside: a subfolder, a symlink inside, an absolute path or file: URL inside', async () => {
      mkdirSync(path.join(contractDir, 'schemas'));
      const inside = path.join(contractDir, 'schemas', 'types.yaml');
      writeFileSync(inside, 'A: {type: string, maxLength: 7}\n');
      symlinkSync(inside, path.join(contractDir, 'alias.yaml'));
      const file = path.join(contractDir, 'api.yaml');
      for (const ref of ['schemas/types.yaml#/A', 'schemas/../schemas/types.yaml#/A', 'alias.yaml#/A', `${inside}#/A`, `${pathToFileURL(inside).href}#/A`]) {
        writeFileSync(file, openapi(ref));
        const c = await importOpenApi('moi-x', file);
        assert.deepEqual(c.files.map((f) => f.path), ['api.yaml', 'schemas/types.yaml'], ref);
        assert.deepEqual((c.operations[0]!.outputSchema as { $defs?: unknown }).$defs, { A: { type: 'string', maxLength: 7 } }, ref);
      }
    });

    describe('fetched by URL', () => {
      let ministry: Awaited<ReturnType<typeof countingServer>>;
      const routes: Record<string, { status: number; body?: string; location?: string }> = {};
      before(async () => {
        ministry = await countingServer((req, res) => {
          const r = routes[req.url ?? ''] ?? { status: 404, body: 'not found' };
          res.writeHead(r.status, { 'content-type': 'application/yaml', ...(r.location ? { location: r.location } : {}) }).end(r.body ?? '');
        });
        Object.assign(routes, {
          '/api/pr.yaml': { status: 200, body: openapi(`//127.0.0.1:${elsewhere.port}/x.yaml#/A`) },
          '/api/redirect.yaml': { status: 200, body: openapi('moved.yaml#/A') },
          '/api/moved.yaml': { status: 302, location: `http://127.0.0.1:${elsewhere.port}/x.yaml` },
          '/api/root-moved.yaml': { status: 302, location: `http://127.0.0.1:${elsewhere.port}/x.yaml` },
          '/api/ok.yaml': { status: 200, body: openapi('../common/types.yaml#/A') },
          '/common/types.yaml': { status: 200, body: 'A: {type: string}\n' },
        });
      });
      after(async () => ministry.close());

      it('refuses a protocol-relative $ref and a redirect to another origin, even leniently; the other server is never asked', async () => {
        for (const allowUnresolved of [false, true]) {
          assertRefused(await caught(importOpenApi('moi-x', `${ministry.origin}/api/pr.yaml`, { allowUnresolved })), 'other-origin', `//127.0.0.1:${elsewhere.port}/x.yaml#/A`);
          assertRefused(await caught(importOpenApi('moi-x', `${ministry.origin}/api/redirect.yaml`, { allowUnresolved })), 'other-origin', 'moved.yaml#/A');
          assertRefused(await caught(importOpenApi('moi-x', `${ministry.origin}/api/root-moved.yaml`, { allowUnresolved })), 'other-origin', `${ministry.origin}/api/root-moved.yaml`);
        }
        assert.deepEqual(elsewhere.hits, []);
      });

      it('follows relative $refs on its own origin', async () => {
        const c = await importOpenApi('moi-x', `${ministry.origin}/api/ok.yaml`);
        assert.deepEqual(c.files.map((f) => f.path), ['api/ok.yaml', 'common/types.yaml']);
        assert.deepEqual(elsewhere.hits, []);
      });
    });
  });
});
