import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { importWsdl } from '../../../connectors/import/wsdl';
import { generateTypes } from '../../../connectors/import/typescript';
import { formatDiff, hasChanges, planProvider, writeProvider } from '../../../connectors/import/write';
import { loadProvider, ProviderLoadError } from '../../../connectors/provider-files';
import { compileWsdlFile } from '../../../connectors/soap/wsdl/compile';

import { CORPUS } from '../../corpus';
const ADAPTER_DIR = path.join(CORPUS, 'xroad-example-adapter');
const FIXTURE = path.resolve(__dirname, '..', '..', 'fixtures', 'wsdl', 'civil-registry.wsdl');

function typecheck(files: string[]): string[] {
  const program = ts.createProgram(files, { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true, types: [] });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** The example adapter's WSDL with an operation added, one removed, a type and a SOAPAction changed. */
function editedAdapter(wsdl: string): string {
  let out = wsdl;
  // remove storeAttachments from the portType and the binding
  out = out.replace(/<wsdl:operation name="storeAttachments">[\s\S]*?<\/wsdl:operation>/g, '');
  // change a type: helloService's name becomes an int
  out = out.replace(/(<xsd:element name="helloService">\s*<xsd:complexType>\s*<xsd:sequence>\s*<xsd:element name="name" type=")xsd:string/, '$1xsd:int');
  // change listPeople's SOAPAction
  out = out.replace(/(<wsdl:operation name="listPeople">\s*<soap:operation) soapAction=""/, '$1 soapAction="urn:listPeople"');
  // add getRandom2, bound like getRandom
  const pt = /<wsdl:operation name="getRandom">[\s\S]*?<\/wsdl:operation>/.exec(out)?.[0] as string;
  out = out.replace('</wsdl:portType>', `${pt.replace('name="getRandom"', 'name="getRandom2"')}</wsdl:portType>`);
  const bindingStart = out.indexOf('<wsdl:binding');
  const bop = /<wsdl:operation name="getRandom">[\s\S]*?<\/wsdl:operation>/.exec(out.slice(bindingStart))?.[0] as string;
  out = out.replace('</wsdl:binding>', `${bop.replace('name="getRandom"', 'name="getRandom2"')}</wsdl:binding>`);
  return out;
}

describe('provider import (WSDL) and the provider folder', function () {
  this.timeout(30_000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'wasl-providers-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes the full folder: self-contained contract, schemas per operation, bindings, a valid provider.json (no types.ts: it names no adapter)', async () => {
    const imported = await importWsdl('xroad-example', path.join(ADAPTER_DIR, 'example-adapter.wsdl'));
    assert.equal(imported.kind, 'soap');
    assert.deepEqual(imported.files.map((f) => f.path), ['example-adapter.wsdl', 'xroad.xsd', 'identifiers.xsd']);
    const result = await writeProvider(root, 'xroad-example', imported);
    assert.equal(result.status, 'created');
    const dir = path.join(root, 'xroad-example');
    assert.deepEqual(readdirSync(dir).sort(), ['contract', 'operations', 'provider.json']);
    assert.deepEqual(readdirSync(path.join(dir, 'contract')).sort(), ['example-adapter.wsdl', 'identifiers.xsd', 'xroad.xsd']);
    const ops = ['getRandom', 'helloService', 'listPeople', 'personDetails', 'storeAttachments', 'getAttachments'];
    assert.deepEqual(readdirSync(path.join(dir, 'operations')).sort(), ['bindings.json', ...ops.flatMap((o) => [`${o}.input.schema.json`, `${o}.output.schema.json`])].sort());

    // The WSDL now points at its local copy; the rest of it is byte for byte the original.
    const written = readFileSync(path.join(dir, 'contract', 'example-adapter.wsdl'), 'utf8');
    const original = readFileSync(path.join(ADAPTER_DIR, 'example-adapter.wsdl'), 'utf8');
    assert.match(written, /schemaLocation="xroad\.xsd"/);
    assert.equal(written, original.replace('schemaLocation="http://x-road.eu/xsd/xroad.xsd"', 'schemaLocation="xroad.xsd"'));
    // …so it compiles from there alone, strictly.
    const again = compileWsdlFile(path.join(dir, 'contract', 'example-adapter.wsdl'));
    assert.deepEqual(again.documents.map((d) => d.origin), ['contract', 'beside', 'beside']);

    const provider = JSON.parse(readFileSync(path.join(dir, 'provider.json'), 'utf8'));
    assert.deepEqual(provider.contract, {
      type: 'wsdl',
      file: 'contract/example-adapter.wsdl',
      service: 'testService',
      port: 'testServicePort',
      sha256: provider.contract.sha256,
    });
    assert.match(provider.contract.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(provider.names, { ar: 'testService', en: 'testService' });
    // The sandbox is the provider's generated simulator; the WSDL's address is a build
    // placeholder (${project.build.finalName}): not a URL, so no production endpoint.
    assert.deepEqual(provider.environments, { sandbox: { endpoint: 'http://127.0.0.1:8096/xroad-example' } });
    assert.ok(result.diff.fresh);

    const loaded = loadProvider('xroad-example', root);
    assert.deepEqual(Object.keys(loaded.operations), ops);
    assert.equal(loaded.model?.soapVersion, '1.1');
    assert.deepEqual(Object.keys(loaded.model?.operations ?? {}), ops);
    const hello = loaded.operations.helloService;
    assert.equal(hello?.idempotent, false);
    assert.equal(hello?.binding.protocol, 'soap');
    assert.equal(hello?.binding.wrapped, true);
    assert.deepEqual((hello?.binding.input as { parts: unknown[] }).parts, [{ part: 'body', element: '{http://test.x-road.global/producer}helloService' }]);
    const headers = hello?.binding.headers as { input: { parts: Array<{ part: string; required: boolean }>; schema: { required: string[] } } };
    assert.deepEqual(headers.input.parts.map((h) => `${h.part}${h.required ? '' : '?'}`), ['client', 'service', 'userId?', 'id', 'issue?', 'protocolVersion']);
    assert.deepEqual(headers.input.schema.required, ['client', 'service', 'id', 'protocolVersion']);
    assert.match(hello?.description ?? '', /^Hello service: /);
  });

  it('points the sandbox at the generated simulator, never at the contract\'s address, which becomes production\'s unless it is a placeholder', async () => {
    // The corpus adapter, as a ministry publishes it: its address a real-looking https host.
    const dir = path.join(root, '..', `${path.basename(root)}-wsdl`);
    cpSync(ADAPTER_DIR, dir, { recursive: true });
    const wsdl = path.join(dir, 'example-adapter.wsdl');
    const production = 'https://xroad.moi.gov.sy/cgi-bin/consumer_proxy';
    const original = readFileSync(wsdl, 'utf8');
    try {
      writeFileSync(wsdl, original.replace(/<soap:address location="[^"]*"/, `<soap:address location="${production}"`));
      const imported = await importWsdl('moi-population', wsdl);
      assert.deepEqual(imported.endpoints, [production]);
      const plan = planProvider(root, 'moi-population', imported);
      assert.deepEqual(plan.provider.environments, { sandbox: { endpoint: 'http://127.0.0.1:8096/moi-population' }, production: { endpoint: production } });
      assert.ok(plan.notes.some((n) => n.startsWith('environments.sandbox.endpoint: http://127.0.0.1:8096/moi-population (the simulator')), plan.notes.join('\n'));
      assert.ok(plan.notes.some((n) => n.startsWith(`environments.production.endpoint: ${production} (the contract's address`)), plan.notes.join('\n'));
      await writeProvider(root, 'moi-population', imported);
      assert.deepEqual(loadProvider('moi-population', root).definition.environments.production, { endpoint: production });

      // The next provider gets a port of its own; 8091–8095 are the sandbox's own simulators.
      const again = planProvider(root, 'moi-population-2', imported);
      assert.equal(again.provider.environments.sandbox?.endpoint, 'http://127.0.0.1:8097/moi-population-2');

      // Loopback and example hosts are placeholders: no production endpoint, and the import says so.
      for (const address of ['http://localhost:8080/ws', 'http://127.0.0.1:8099/civil', 'https://ministry.example.com/ws', 'http://registry.example.org/ws', 'http://[::1]:8080/ws', 'https://xroad.test/ws']) {
        writeFileSync(wsdl, original.replace(/<soap:address location="[^"]*"/, `<soap:address location="${address}"`));
        const p = planProvider(root, 'moi-placeholder', await importWsdl('moi-placeholder', wsdl));
        assert.deepEqual(p.provider.environments, { sandbox: { endpoint: 'http://127.0.0.1:8097/moi-placeholder' } }, address);
        assert.ok(p.notes.some((n) => n.includes(`the contract's address ${address} is a placeholder`) && n.includes('fill in environments.production.endpoint')), p.notes.join('\n'));
      }

      // Re-importing leaves the environments as the engineer has them, and warns of a sandbox that is not local.
      const pfile = path.join(root, 'moi-population', 'provider.json');
      const def = JSON.parse(readFileSync(pfile, 'utf8'));
      def.environments.sandbox.endpoint = production;
      writeFileSync(pfile, JSON.stringify(def));
      const reimport = planProvider(root, 'moi-population', imported);
      assert.deepEqual(reimport.provider.environments, { sandbox: { endpoint: production }, production: { endpoint: production } });
      assert.ok(reimport.notes.some((n) => n.includes(`environments.sandbox.endpoint is ${production}, not a local simulator`)), reimport.notes.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generates types that compile, with <Operation>Input/<Operation>Output per operation', async () => {
    const imported = await importWsdl('civil', FIXTURE);
    mkdirSync(path.join(root, 'civil'));
    const types = path.join(root, 'civil', 'types.ts');
    writeFileSync(types, await generateTypes('civil', imported.operations));
    const text = readFileSync(types, 'utf8');
    for (const op of ['GetCitizen', 'RegisterBirth', 'GetCertificateStatus', 'NotifyDeath']) {
      assert.match(text, new RegExp(`export (interface|type) ${op}Input\\b`));
      assert.match(text, new RegExp(`export (interface|type) ${op}Output\\b`));
    }
    assert.match(text, /export interface CivilOperations/);
    const usage = path.join(root, 'usage.ts');
    writeFileSync(
      usage,
      `import type { GetCitizenInput, GetCitizenOutput, GetCertificateStatusInput, RegisterBirthInput, CivilOperations } from './civil/types';
const a: GetCitizenInput = { nationalNumber: '01020304050', codes: [1, 2] };
const b: GetCertificateStatusInput = { certificateId: 12, lang: 'ar' };
const c: GetCertificateStatusInput = { certificateId: '9007199254740993', lang: 'ar' };
const person = { '@version': 1, nationalNumber: '1', firstName: 'ريم', lastName: 'x', birthDate: 'UNKNOWN', gender: 'F' as const, nickname: null };
const d: RegisterBirthInput = { Child: person, Mother: person };
type Out = CivilOperations['GetCitizen']['output'];
const e: Out = { code: 'a', 'c:code': 'b', count: 1, active: true } satisfies GetCitizenOutput;
// @ts-expect-error an unknown property is refused
const f: GetCitizenInput = { nationalNumber: '1', other: 1 };
export { a, b, c, d, e, f };
`,
    );
    assert.deepEqual(typecheck([types, usage]), []);

    const corpusTypes: string[] = [];
    for (const [code, file] of [['xroad-example', path.join(ADAPTER_DIR, 'example-adapter.wsdl')], ['dhl', path.join(CORPUS, 'estonia-dhl', 'dhl.wsdl')]] as const) {
      const out = path.join(root, `${code}-types.ts`);
      writeFileSync(out, await generateTypes(code, (await importWsdl(code, file, { allowUnresolved: true })).operations));
      corpusTypes.push(out);
    }
    assert.deepEqual(typecheck(corpusTypes), []);
  });

  it('re-import: no changes; an edited contract lists added, removed and changed operations, writes only with yes, keeps the engineer\'s edits', async () => {
    const src = path.join(root, 'src');
    cpSync(ADAPTER_DIR, src, { recursive: true });
    const wsdlFile = path.join(src, 'example-adapter.wsdl');
    await writeProvider(root, 'xroad-example', await importWsdl('xroad-example', wsdlFile));
    const dir = path.join(root, 'xroad-example');

    const same = await writeProvider(root, 'xroad-example', await importWsdl('xroad-example', wsdlFile));
    assert.equal(same.status, 'unchanged');
    assert.equal(formatDiff('xroad-example', same.diff), 'provider xroad-example: no changes');

    // The engineer edits provider.json and adds a file of their own.
    const pfile = path.join(dir, 'provider.json');
    const edited = JSON.parse(readFileSync(pfile, 'utf8'));
    edited.names = { ar: 'خدمة الاختبار', en: 'Test service' };
    edited.environments = { sandbox: { endpoint: 'http://127.0.0.1:9100/x' }, production: { endpoint: 'https://xroad.example.sy/cgi-bin/consumer_proxy' } };
    edited.resilience = { timeoutMs: 5000, retry: { maxAttempts: 2 } };
    edited.xroad = { client: { xRoadInstance: 'SY', memberClass: 'GOV', memberCode: '1', subsystemCode: 'wasl' }, service: { xRoadInstance: 'SY', memberClass: 'GOV', memberCode: '2' } };
    edited.errors = { rules: [{ faultCode: 'NOT_FOUND', reason: 'person-not-found' }] };
    writeFileSync(pfile, `${JSON.stringify(edited, null, 2)}\n`);
    writeFileSync(path.join(dir, 'NOTES.md'), 'mine');

    writeFileSync(wsdlFile, editedAdapter(readFileSync(wsdlFile, 'utf8')));
    const imported = await importWsdl('xroad-example', wsdlFile);
    const plan = planProvider(root, 'xroad-example', imported);
    assert.deepEqual(plan.diff.added, ['getRandom2']);
    assert.deepEqual(plan.diff.removed, ['storeAttachments']);
    assert.deepEqual(plan.diff.changed, [
      { name: 'helloService', what: ['input'] },
      { name: 'listPeople', what: ['binding'] },
    ]);
    assert.equal(plan.diff.contractChanged, true);
    const text = formatDiff('xroad-example', plan.diff);
    assert.match(text, /\+ getRandom2 {2}\(added\)/);
    assert.match(text, /- storeAttachments {2}\(removed\)/);
    assert.match(text, /~ helloService {2}\(changed: input\)/);
    assert.match(text, /~ listPeople {2}\(changed: binding\)/);

    const before = readFileSync(pfile, 'utf8');
    const refused = await writeProvider(root, 'xroad-example', imported);
    assert.equal(refused.status, 'not-written');
    assert.equal(readFileSync(pfile, 'utf8'), before);
    assert.ok(existsSync(path.join(dir, 'operations', 'storeAttachments.input.schema.json')));
    assert.doesNotMatch(readFileSync(path.join(dir, 'contract', 'example-adapter.wsdl'), 'utf8'), /getRandom2/);

    const written = await writeProvider(root, 'xroad-example', imported, { yes: true });
    assert.equal(written.status, 'updated');
    const after = JSON.parse(readFileSync(pfile, 'utf8'));
    for (const k of ['names', 'environments', 'resilience', 'xroad', 'errors']) assert.deepEqual(after[k], edited[k], k);
    assert.notEqual(after.contract.sha256, edited.contract.sha256);
    assert.ok(!existsSync(path.join(dir, 'operations', 'storeAttachments.input.schema.json')));
    assert.ok(existsSync(path.join(dir, 'operations', 'getRandom2.output.schema.json')));
    assert.equal(readFileSync(path.join(dir, 'NOTES.md'), 'utf8'), 'mine');
    assert.ok(!existsSync(path.join(dir, 'types.ts')), 'no adapter, no types');
    const loaded = loadProvider('xroad-example', root);
    assert.equal(loaded.definition.resilience?.timeoutMs, 5000);
    assert.equal(loaded.model?.operations.listPeople?.soapAction, 'urn:listPeople');
    assert.equal((await writeProvider(root, 'xroad-example', imported)).status, 'unchanged');
  });

  it('writes types.ts only for a provider whose file names an adapter (the code that reads them), and keeps it in step with the contract', async () => {
    const src = path.join(root, 'src');
    cpSync(ADAPTER_DIR, src, { recursive: true });
    const wsdlFile = path.join(src, 'example-adapter.wsdl');
    const imported = await importWsdl('xroad-example', wsdlFile);
    await writeProvider(root, 'xroad-example', imported);
    const dir = path.join(root, 'xroad-example');
    const pfile = path.join(dir, 'provider.json');
    const types = path.join(dir, 'types.ts');
    assert.ok(!existsSync(types));

    // The engineer names an adapter: the next import writes types.ts, though the contract is the same.
    const named = JSON.parse(readFileSync(pfile, 'utf8'));
    writeFileSync(pfile, `${JSON.stringify({ ...named, adapter: 'sy-post-shipments' }, null, 2)}\n`);
    const plan = planProvider(root, 'xroad-example', imported);
    assert.equal(plan.diff.types, 'write');
    assert.ok(hasChanges(plan.diff));
    assert.equal(formatDiff('xroad-example', plan.diff), 'provider xroad-example: the contract is the same\n  types.ts to be written: provider.json names an adapter, which reads them');
    assert.equal((await writeProvider(root, 'xroad-example', imported)).status, 'not-written');
    assert.ok(!existsSync(types));
    assert.equal((await writeProvider(root, 'xroad-example', imported, { yes: true })).status, 'updated');
    assert.equal(readFileSync(types, 'utf8'), await generateTypes('xroad-example', imported.operations));
    assert.equal(JSON.parse(readFileSync(pfile, 'utf8')).adapter, 'sy-post-shipments', 'the adapter is kept');
    assert.equal((await writeProvider(root, 'xroad-example', imported)).status, 'unchanged');

    // A changed contract rewrites them with the rest.
    writeFileSync(wsdlFile, editedAdapter(readFileSync(wsdlFile, 'utf8')));
    const edited = await importWsdl('xroad-example', wsdlFile);
    assert.equal(planProvider(root, 'xroad-example', edited).diff.types, undefined);
    assert.equal((await writeProvider(root, 'xroad-example', edited, { yes: true })).status, 'updated');
    assert.match(readFileSync(types, 'utf8'), /GetRandom2Input/);

    // No adapter any more: nothing reads them, and they go.
    writeFileSync(pfile, `${JSON.stringify({ ...JSON.parse(readFileSync(pfile, 'utf8')), adapter: undefined }, null, 2)}\n`);
    assert.equal(planProvider(root, 'xroad-example', edited).diff.types, 'remove');
    assert.match(formatDiff('xroad-example', planProvider(root, 'xroad-example', edited).diff), /types\.ts to be removed: provider\.json names no adapter, and nothing reads them/);
    assert.equal((await writeProvider(root, 'xroad-example', edited, { yes: true })).status, 'updated');
    assert.ok(!existsSync(types));
    assert.equal((await writeProvider(root, 'xroad-example', edited)).status, 'unchanged');
  });

  it('refuses bad codes, an engineer\'s provider.json that no longer validates, and reports broken folders clearly', async () => {
    const imported = await importWsdl('civil', FIXTURE);
    assert.throws(() => planProvider(root, 'Civil Registry', imported), /provider code "Civil Registry" must be lower-case/);
    await writeProvider(root, 'civil', imported);
    const pfile = path.join(root, 'civil', 'provider.json');
    const good = readFileSync(pfile, 'utf8');
    const def = JSON.parse(good);
    assert.equal(def.environments.sandbox.endpoint, 'http://127.0.0.1:8096/civil');

    writeFileSync(pfile, JSON.stringify({ ...def, resilience: { timeoutMs: 'soon' } }));
    assert.throws(() => planProvider(root, 'civil', imported), /provider\.json \(after updating its contract\) does not match contracts\/provider\.schema\.json:\n {2}- \/resilience\/timeoutMs must be integer/);
    assert.throws(() => loadProvider('civil', root), (e: unknown) => e instanceof ProviderLoadError && /\/resilience\/timeoutMs must be integer/.test(e.message));

    writeFileSync(pfile, JSON.stringify({ ...def, code: 'other' }));
    assert.throws(() => loadProvider('civil', root), /says code "other", but its folder is "civil"/);
    writeFileSync(pfile, '{ not json');
    assert.throws(() => loadProvider('civil', root), /provider\.json of civil is not valid JSON/);
    writeFileSync(pfile, good);
    rmSync(path.join(root, 'civil', 'operations', 'GetCitizen.output.schema.json'));
    assert.throws(() => loadProvider('civil', root), /output schema of civil\/GetCitizen is missing/);
    assert.throws(() => loadProvider('nobody', root), /no provider "nobody" under .*wasl provider import nobody/);
    rmSync(path.join(root, 'civil', 'contract', 'common.xsd'));
    writeFileSync(path.join(root, 'civil', 'operations', 'GetCitizen.output.schema.json'), '{}');
    const lenient = loadProvider('civil', root);
    assert.ok(lenient.model?.warnings.some((w) => /common\.xsd/.test(w)), 'a lost schema file degrades to raw XML with a warning');
  });
});
