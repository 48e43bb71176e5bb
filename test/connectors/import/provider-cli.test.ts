import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'wasl.js');
import { CORPUS } from '../../corpus';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would, stdin not a TTY (so no prompt). */
function wasl(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WASL_LOG_LEVEL: 'silent' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('wasl provider import / describe (subprocess)', function () {
  this.timeout(60_000);
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'wasl-cli-providers-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('has --help on provider, import and describe', async () => {
    const [group, imp, desc] = await Promise.all([wasl(['provider', '--help']), wasl(['provider', 'import', '--help']), wasl(['provider', 'describe', '--help'])]);
    assert.equal(group.status, 0);
    assert.match(group.stdout, /import/);
    assert.match(group.stdout, /describe/);
    assert.equal(imp.status, 0);
    for (const o of ['--wsdl', '--openapi', '--service', '--port', '--schemas', '--allow-unresolved', '--yes', '--root']) assert.ok(imp.stdout.includes(o), o);
    assert.equal(desc.status, 0);
    assert.match(desc.stdout, /--root/);
  });

  it('imports the X-Road test service, says "no changes" the second time, and describes it', async () => {
    const wsdl = path.join(CORPUS, 'xroad-test-service', 'test-service.wsdl');
    const first = await wasl(['provider', 'import', 'xroad-test', '--wsdl', wsdl, '--root', root]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /new provider xroad-test/);
    assert.match(first.stdout, /created .*xroad-test: 1 operation\(s\)/);
    assert.match(first.stderr, /warning: element \{http:\/\/x-road\.eu\/xsd\/xroad\.xsd\}issue is not defined by the contract's schemas/);
    // Which address went where: the sandbox to the generated simulator, and no production (the contract's is a build placeholder).
    assert.match(first.stderr, /note: environments\.sandbox\.endpoint: http:\/\/127\.0\.0\.1:8096\/xroad-test \(the simulator/);
    assert.match(first.stderr, /note: the contract's address http:\/\/localhost:8080\/\$\{project\.build\.finalName\}\/Endpoint is not a usable http\(s\) URL: environments\.production is left out — fill in environments\.production\.endpoint/);

    const second = await wasl(['provider', 'import', 'xroad-test', '--wsdl', wsdl, '--root', root]);
    assert.equal(second.status, 0);
    assert.match(second.stdout, /provider xroad-test: no changes/);

    const d = await wasl(['provider', 'describe', 'xroad-test', '--root', root]);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /kind: soap; contract: wsdl, contract\/test-service\.wsdl, service testService, port testServicePort; SOAP 1\.1/);
    assert.match(d.stdout, /testService\n {2}binding: SOAP 1\.1, document\/literal wrapped, SOAPAction ""/);
    assert.match(d.stdout, /SOAP headers \(filled from configuration/);
    assert.match(d.stdout, / {4}client: object \(XRoadClientIdentifierType\)\n {6}@objectType: "MEMBER" \| "SUBSYSTEM" \| "SERVICE" \(XRoadObjectType\)\n {6}xRoadInstance: string/);
    assert.match(d.stdout, / {4}userId\?: string/);
    assert.match(d.stdout, / {2}input:\n {4}responseBodySize: string\n {4}responseAttachmentSize: string\n {2}output:\n {4}data: string\n {4}processingTime: string/);
  });

  it('estonia-dhl: exit 1 naming the missing schemas; --allow-unresolved imports it with warnings', async () => {
    const wsdl = path.join(CORPUS, 'estonia-dhl', 'dhl.wsdl');
    const [strict, lenient] = await Promise.all([
      wasl(['provider', 'import', 'dhl', '--wsdl', wsdl, '--root', path.join(root, 'strict')]),
      wasl(['provider', 'import', 'dhl', '--wsdl', wsdl, '--allow-unresolved', '--root', root]),
    ]);
    assert.equal(strict.status, 1);
    assert.match(strict.stderr, /^wasl: 3 schema\(s\) the contract imports could not be found locally/);
    for (const name of ['dhl.xsd', 'dhl-meta-automatic.xsd', 'Dvk_kapsel_vers_2_1_eng_est.xsd']) assert.ok(strict.stderr.includes(name), name);
    assert.match(strict.stderr, /--schemas <dir>/);

    assert.equal(lenient.status, 0, lenient.stderr);
    assert.match(lenient.stdout, /created .*dhl: 4 operation\(s\), \d+ warning\(s\)/);
    assert.match(lenient.stderr, /warning: schema http:\/\/www\.riik\.ee\/schemas\/dhl\/dhl\.xsd .* raw XML/);
    assert.match(lenient.stderr, /warning: operation sendDocuments: the binding declares MIME attachments/);
    const d = await wasl(['provider', 'describe', 'dhl', '--root', root]);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /SOAP headers: client, service, id, userId\?, issue\?, protocolVersion \(as for getSendingOptions\)/);
    assert.match(d.stdout, /kaust\?: string \(raw XML\)/);
    assert.match(d.stdout, /MIME attachments \(referenced parts read as documents\)/);
  });

  it('a changed contract: exit 3 and nothing written without --yes; written with --yes', async () => {
    const src = path.join(root, 'src');
    cpSync(path.join(CORPUS, 'xroad-example-adapter'), src, { recursive: true });
    const wsdl = path.join(src, 'example-adapter.wsdl');
    assert.equal((await wasl(['provider', 'import', 'xroad-example', '--wsdl', wsdl, '--root', root])).status, 0);
    writeFileSync(wsdl, readFileSync(wsdl, 'utf8').replace(/<wsdl:operation name="getAttachments">[\s\S]*?<\/wsdl:operation>/g, ''));
    const pfile = path.join(root, 'xroad-example', 'provider.json');
    const before = readFileSync(pfile, 'utf8');

    const refused = await wasl(['provider', 'import', 'xroad-example', '--wsdl', wsdl, '--root', root]);
    assert.equal(refused.status, 3);
    assert.match(refused.stdout, /provider xroad-example: the contract changed\n {2}- getAttachments {2}\(removed\)/);
    assert.match(refused.stderr, /not written: .* run again with --yes/);
    assert.equal(readFileSync(pfile, 'utf8'), before);

    const done = await wasl(['provider', 'import', 'xroad-example', '--wsdl', wsdl, '--yes', '--root', root]);
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.stdout, /updated .*xroad-example: 5 operation\(s\)/);
    assert.notEqual(readFileSync(pfile, 'utf8'), before);
  });

  it('refuses wrong usage with a clear message and exit 1', async () => {
    const [both, missing, port] = await Promise.all([
      wasl(['provider', 'import', 'x-y', '--wsdl', 'a.wsdl', '--openapi', 'b.yaml', '--root', root]),
      wasl(['provider', 'describe', 'nobody', '--root', root]),
      wasl(['provider', 'import', 'civil', '--wsdl', path.resolve(__dirname, '..', '..', 'fixtures', 'wsdl', 'civil-registry.wsdl'), '--port', 'Nope', '--root', root]),
    ]);
    assert.equal(both.status, 1);
    assert.match(both.stderr, /give exactly one contract: --wsdl <file\|url> or --openapi <file\|url>/);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no provider "nobody"/);
    assert.equal(port.status, 1);
    assert.match(port.stderr, /no SOAP port "Nope"; SOAP ports: CivilRegistryService\/CivilRegistrySoap12Port \(SOAP 1\.2\), CivilRegistryService\/CivilRegistrySoap11Port \(SOAP 1\.1\)/);
  });
});
