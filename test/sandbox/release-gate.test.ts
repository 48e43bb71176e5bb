/**
 * The release gate (docs/release.md), as an attacker and a busy team would meet it:
 * - a certificate covers exactly what a service depends on: on a copy of the repository, importing
 *   a provider and scaffolding a service with the real CLI leaves all 48 certificates holding; a
 *   reformatted or reordered flow file changes nothing; a config node changed voids exactly the
 *   services that use it, and `wasl service status` says which dependency changed; the node code,
 *   Node-RED version and simulators a service was tested against are covered too;
 * - certificates are signed: a hand-edited one, one signed by a key not trusted, one carrying
 *   another certificate's signature, or an unsigned one is refused where keys are trusted;
 * - production refuses to start without trusted keys; `wasl cert keygen` makes a pair; every gate
 *   action is recorded, and `wasl service status` shows them, newest last.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKeyPair } from '../../hub/certificate-keys';
import { gateAuditEntry, lifecycleHistory, promote, serviceRoots, type CertificateTrust, type ServiceRoots } from '../../hub/lifecycle';
import { SqliteStore } from '../../hub/store/sqlite';
import { DEFAULT_SHARDS } from '../../hub/audit/chain';
import { AuditKeys } from '../../hub/audit/keys';
import { verifyTrail } from '../../hub/audit/trail';
import { certificateReader, certify, checkCertificate, readCertificate, type Certificate } from '../../sandbox/certificate';
import { dependenciesDigest, serviceDependencies } from '../../sandbox/certificate-dependencies';
import { SEED_SERVICES } from '../../sandbox/catalogue/services';
import { CORPUS } from '../corpus';
import { TEST_CERT_KEYS } from '../helpers';

const REPO = resolve(__dirname, '..', '..');
const TRUST: CertificateTrust = { publicKeys: [TEST_CERT_KEYS.publicKey] };
const PASSED = { scenarios: 3, passed: 3, failed: 0, durationMs: 1200 };

const readJson = <T = unknown>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const writeJson = (file: string, v: unknown, indent = 2) => writeFileSync(file, `${JSON.stringify(v, null, indent)}\n`);
/** The same JSON, keys in reverse order, however deep. */
const reversed = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(reversed) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;

describe('release gate: a certificate covers exactly what the service depends on', function () {
  this.timeout(240_000);
  let dir: string;
  let roots: ServiceRoots;
  const codes = SEED_SERVICES.map((s) => s.code);
  const wasl = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'wasl.js'), ...args], { cwd: dir, env: { ...process.env, WASL_DATA_DIR: join(dir, 'data'), WASL_LOG_LEVEL: 'warn', USER: 'release-test', WASL_CERT_TRUSTED_KEYS: TEST_CERT_KEYS.publicKey }, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
  };
  /** The services whose certificate does not hold (checked as production checks: with the trusted key), with why. */
  const broken = () => new Map(codes.flatMap((c) => {
    const p = checkCertificate(c, roots, TRUST);
    return p ? [[c, p] as const] : [];
  }));
  const edit = (file: string, change: (v: any) => void) => {
    const p = join(dir, file);
    const before = readFileSync(p, 'utf8');
    const v = JSON.parse(before);
    change(v);
    writeJson(p, v);
    return () => writeFileSync(p, before);
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wasl-release-'));
    for (const entry of ['bin', 'config', 'connectors', 'contracts', 'flows', 'hub', 'nodes', 'resources', 'sandbox', 'package.json', 'tsconfig.json']) cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    roots = serviceRoots(join(dir, 'flows'), join(dir, 'contracts', 'providers'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('all 48 hold, signed by the trusted key; a new provider (wasl provider import) and a new service with its config node (wasl service new) leave every one holding', () => {
    assert.deepEqual([...broken().entries()].map(([c, p]) => `${c}: ${p.message}`), []);
    const shared = readFileSync(join(dir, 'flows', 'shared.json'), 'utf8');
    const imported = wasl('provider', 'import', 'moi-population-register', '--wsdl', join(CORPUS, 'xroad-example-adapter', 'example-adapter.wsdl'));
    assert.equal(imported.status, 0, imported.out);
    const scaffolded = wasl('service', 'new', 'civil-person-details', '--provider', 'moi-population-register', '--operation', 'personDetails', '--name-ar', 'بيان قيد شخصي', '--name-en', 'Personal record statement');
    assert.equal(scaffolded.status, 0, scaffolded.out);
    assert.notEqual(readFileSync(join(dir, 'flows', 'shared.json'), 'utf8'), shared, 'the new ministry\'s config node was appended to shared.json');
    assert.ok(existsSync(join(dir, 'contracts', 'providers', 'moi-population-register', 'provider.json')));
    assert.deepEqual([...broken().entries()].map(([c, p]) => `${c}: ${p.message}`), []);
    // Another service edited: only it.
    const undo = edit('flows/civil-person-details/service.json', (d) => (d.sla = { hours: 48 }));
    assert.deepEqual([...broken().keys()], []);
    undo();
  });

  it('a reformatted or reordered flow file or shared.json, and a node moved on the canvas, change nothing', () => {
    const pattern = join(dir, 'flows', 'pattern-moe-exams', 'flow.json');
    const shared = join(dir, 'flows', 'shared.json');
    const before = [readFileSync(pattern, 'utf8'), readFileSync(shared, 'utf8')];
    const nodes = readJson<Array<Record<string, unknown>>>(pattern);
    (nodes[1] as { x: number }).x += 200;
    writeJson(pattern, reversed([...nodes].reverse()), 4);
    writeFileSync(shared, JSON.stringify(reversed(readJson<unknown[]>(shared).reverse())));
    assert.deepEqual([...broken().keys()], []);
    // A real change to that flow voids exactly the services it carries.
    const changed = readJson<Array<Record<string, unknown>>>(pattern);
    const inNode = changed.find((n) => n.type === 'wasl-order-in')!;
    inNode.timeout = Number(inNode.timeout) + 1;
    writeJson(pattern, changed);
    const moe = SEED_SERVICES.filter((s) => s.provider === 'moe-exams' && !s.ownFlow).map((s) => s.code).sort();
    const now = broken();
    assert.deepEqual([...now.keys()].sort(), moe);
    for (const p of now.values()) assert.deepEqual(p.changed, ['flows/pattern-moe-exams/flow.json']);
    writeFileSync(pattern, before[0]!);
    writeFileSync(shared, before[1]!);
    assert.deepEqual([...broken().keys()], []);
  });

  it('a change to a config node voids exactly the services that use it, and wasl service status says which dependency changed', () => {
    const undo = edit('flows/shared.json', (nodes: Array<Record<string, unknown>>) => {
      nodes.find((n) => n.id === 'provider-moi-civil-registry')!.environment = 'production';
    });
    try {
      const users = SEED_SERVICES.filter((s) => s.provider === 'moi-civil-registry').map((s) => s.code).sort();
      assert.ok(users.length >= 2);
      const now = broken();
      assert.deepEqual([...now.keys()].sort(), users);
      for (const p of now.values()) {
        assert.deepEqual(p.dependencies, [{ kind: 'config-node', name: 'provider-moi-civil-registry (wasl-provider)', change: 'changed' }]);
        assert.match(p.message, /changed since it was certified \(config-node provider-moi-civil-registry \(wasl-provider\)\)/);
      }

      const all = wasl('service', 'status', '--all', '--json');
      assert.equal(all.status, 1, 'a live service whose certificate does not hold');
      const report = JSON.parse(all.stdout) as { trust: string; services: Array<{ service: string; holds: boolean; changed?: Array<{ kind: string; name: string }> }> };
      assert.equal(report.trust, 'signatures');
      const seed = report.services.filter((s) => codes.includes(s.service));
      assert.equal(seed.length, 48);
      assert.deepEqual(seed.filter((s) => !s.holds).map((s) => s.service).sort(), users);
      for (const s of seed.filter((x) => !x.holds)) assert.deepEqual(s.changed?.map((c) => `${c.kind} ${c.name}`), ['config-node provider-moi-civil-registry (wasl-provider)']);
      const table = wasl('service', 'status', '--all');
      assert.match(table.stdout, new RegExp(`${users[0]}\\s+live\\s+does not hold: config-node provider-moi-civil-registry \\(wasl-provider\\)`));
      assert.match(table.stdout, /vehicle-ownership-statement\s+live\s+holds/);
      const one = wasl('service', 'status', users[0]!);
      assert.equal(one.status, 1);
      assert.match(one.stdout, /does not hold: service .* changed since it was certified/);
      assert.match(one.stdout, /changed\s+config-node provider-moi-civil-registry \(wasl-provider\)/);
    } finally {
      undo();
    }
    assert.deepEqual([...broken().keys()], []);
  });

  it('a provider\'s file changed voids the services that call it: the payment company\'s, every service that takes payments', () => {
    const undo = edit('contracts/providers/sy-epay/provider.json', (p) => (p.description = 'one more field'));
    const now = broken();
    assert.equal(now.size, 48);
    assert.deepEqual(now.get('birth-certificate-extract')?.changed, ['contracts/providers/sy-epay/provider.json']);
    undo();
    assert.equal(broken().size, 0);
  });
});

describe('release gate: signed certificates', () => {
  const CODE = 'civil-registry-individual-extract';
  const OTHER_CODE = 'vehicle-ownership-statement';
  let root: string;
  let roots: ServiceRoots;
  const qa = generateKeyPair();
  const stranger = generateKeyPair();
  const trust: CertificateTrust = { publicKeys: [qa.publicKey] };
  const certFile = (code = CODE) => join(roots.flowsDir, code, 'certificate.json');
  const rewrite = (change: (c: Certificate) => void, code = CODE) => {
    const c = readJson<Certificate>(certFile(code));
    change(c);
    writeJson(certFile(code), c);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'wasl-signed-'));
    roots = { flowsDir: join(root, 'flows'), providersRoot: join(root, 'contracts', 'providers'), base: root };
    mkdirSync(roots.flowsDir, { recursive: true });
    for (const code of [CODE, OTHER_CODE]) {
      cpSync(join(REPO, 'flows', code), join(roots.flowsDir, code), { recursive: true, filter: (src) => !/(certificate|lifecycle)\.json$/.test(src) });
      const def = join(roots.flowsDir, code, 'service.json');
      writeFileSync(def, readFileSync(def, 'utf8').replace(/"lifecycle": "[a-z]+"/, '"lifecycle": "draft"'));
    }
    cpSync(join(REPO, 'flows', 'shared.json'), join(roots.flowsDir, 'shared.json'));
    for (const p of ['moi-civil-registry', 'mot-vehicle-registry', 'sy-epay', 'intl-pay', 'sy-post']) cpSync(join(REPO, 'contracts', 'providers', p), join(roots.providersRoot, p), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('signed by QA, it holds where QA\'s key is trusted; unsigned, only where no key is trusted (the sandbox), and promotion with trust refuses it', () => {
    const signed = certify(CODE, PASSED, roots, 'qa', { signingKey: qa.signingKey });
    assert.equal(signed.signature?.keyId, qa.keyId);
    assert.equal(checkCertificate(CODE, roots, trust), undefined);
    assert.equal(checkCertificate(CODE, roots), undefined);
    assert.equal(certificateReader.summary(CODE, roots, trust)?.signedBy, qa.keyId);

    certify(CODE, PASSED, roots, 'qa');
    assert.equal(readCertificate(CODE, roots)?.signature, undefined);
    assert.equal(checkCertificate(CODE, roots), undefined, 'the sandbox without keys: digest only');
    assert.match(checkCertificate(CODE, roots, trust)?.message ?? '', /is not signed/);
    assert.throws(() => promote(CODE, roots, 'ops', certificateReader, new Date(), trust), /is not signed/);
    assert.equal(certificateReader.summary(CODE, roots, trust)?.holds, false);
  });

  it('a hand-edited certificate does not hold: with trust its signature no longer matches; without, its digest is not that of what it lists', () => {
    certify(CODE, PASSED, roots, 'qa', { signingKey: qa.signingKey });
    rewrite((c) => (c.by = 'someone-else'));
    assert.match(checkCertificate(CODE, roots, trust)?.message ?? '', /does not match its signature/);

    certify(CODE, PASSED, roots, 'qa', { signingKey: qa.signingKey });
    // The flow changed, and the certificate edited to list the new flow's digest: its digest no longer fits.
    const flowFile = join(roots.flowsDir, CODE, 'flow.json');
    writeFileSync(flowFile, readFileSync(flowFile, 'utf8').replace('"timeout": 120', '"timeout": 121'));
    const now = serviceDependencies(CODE, roots);
    rewrite((c) => (c.dependencies = now));
    assert.match(checkCertificate(CODE, roots)?.message ?? '', /was edited: its digest is not that of the dependencies it lists/);
    // A forger who recomputes the digest too: the sandbox's digest-only check is satisfied, a trusted signature is not.
    rewrite((c) => (c.digest = dependenciesDigest(c.dependencies)));
    assert.equal(checkCertificate(CODE, roots), undefined, 'a digest anyone can recompute');
    assert.match(checkCertificate(CODE, roots, trust)?.message ?? '', /does not match its signature/);
    assert.throws(() => promote(CODE, roots, 'ops', certificateReader, new Date(), trust), /does not match its signature/);
  });

  it('a certificate signed by a key that is not trusted does not hold, naming the key', () => {
    certify(CODE, PASSED, roots, 'intruder', { signingKey: stranger.signingKey });
    assert.equal(checkCertificate(CODE, roots), undefined);
    const problem = checkCertificate(CODE, roots, trust);
    assert.match(problem?.message ?? '', new RegExp(`signed by key ${stranger.keyId}, which is not one of WASL_CERT_TRUSTED_KEYS`));
    assert.equal(checkCertificate(CODE, roots, { publicKeys: [qa.publicKey, stranger.publicKey] }), undefined, 'trusted once its key is');
    // Naming a trusted key's id does not make another key's signature that key's.
    rewrite((c) => (c.signature = { keyId: qa.keyId, value: c.signature!.value }));
    assert.match(checkCertificate(CODE, roots, trust)?.message ?? '', /does not match its signature/);
  });

  it('a signature made for other content — another certificate\'s, or this service\'s before a change — does not hold', () => {
    certify(OTHER_CODE, PASSED, roots, 'qa', { signingKey: qa.signingKey });
    certify(CODE, PASSED, roots, 'qa', { signingKey: qa.signingKey });
    const other = readJson<Certificate>(certFile(OTHER_CODE));
    rewrite((c) => (c.signature = other.signature));
    assert.match(checkCertificate(CODE, roots, trust)?.message ?? '', /does not match its signature/);
    // Another service's whole certificate, signature and all, in this one's folder.
    writeJson(certFile(CODE), other);
    assert.match(checkCertificate(CODE, roots, trust)?.message ?? '', new RegExp(`is service ${OTHER_CODE}'s`));
  });

  it('covers the code of the wasl nodes it uses, the simulators it was tested against, wasl\'s version and Node-RED\'s', () => {
    const code = join(root, 'code');
    for (const entry of ['nodes', 'resources', 'sandbox', 'package.json']) cpSync(join(REPO, entry), join(code, entry), { recursive: true });
    const opts = { codeRoot: code };
    certify(CODE, PASSED, roots, 'qa', { dependencies: opts });
    assert.equal(checkCertificate(CODE, roots, undefined, opts), undefined);
    const changedBy = (file: string, edit: (s: string) => string) => {
      const f = join(code, file);
      const before = readFileSync(f, 'utf8');
      writeFileSync(f, edit(before));
      const p = checkCertificate(CODE, roots, undefined, opts);
      writeFileSync(f, before);
      return p?.dependencies.map((d) => `${d.kind} ${d.name}${d.before ? ` ${d.before} → ${d.after}` : ''}`) ?? [];
    };
    assert.deepEqual(changedBy('nodes/wasl-postal.ts', (s) => `${s}\n// changed\n`), ['node-code wasl-postal']);
    assert.deepEqual(changedBy('nodes/lib/desk-step.ts', (s) => `${s}\n// changed\n`), ['node-code wasl-payment', 'node-code wasl-postal'], 'shared code: each node type that imports it');
    assert.deepEqual(changedBy('nodes/locales/ar/wasl-call.json', (s) => s.replace('{', '{"extra": "x",')), ['node-code wasl-call']);
    assert.deepEqual(changedBy('nodes/wasl-validate.ts', (s) => `${s}\n// changed\n`), [], 'a node type it does not use');
    assert.deepEqual(changedBy('sandbox/simulators/sy-post.ts', (s) => `${s}\n// changed\n`), ['simulator sy-post (stateful)']);
    assert.deepEqual(changedBy('sandbox/generated/soap.ts', (s) => `${s}\n// changed\n`), ['simulator moi-civil-registry (generated)']);
    assert.deepEqual(changedBy('sandbox/generated/rest.ts', (s) => `${s}\n// changed\n`), [], 'a SOAP ministry is not simulated by the REST simulator');
    assert.deepEqual(changedBy('package.json', (s) => s.replace(/"version": "[^"]+"/, '"version": "9.0.0"')), [`wasl wasl ${readJson<{ version: string }>(join(REPO, 'package.json')).version} → 9.0.0`]);
    const nodeRed = readJson<{ version: string }>(require.resolve('node-red/package.json')).version;
    assert.deepEqual(checkCertificate(CODE, roots, undefined, { ...opts, nodeRedVersion: '9.9.9' })?.dependencies.map((d) => `${d.kind} ${d.before} → ${d.after}`), [`node-red ${nodeRed} → 9.9.9`]);
  });
});

describe('release gate: keys, production, records', function () {
  this.timeout(180_000);
  const BIN = join(REPO, 'bin', 'wasl.js');

  it('wasl cert keygen prints a pair: the private key for QA, the public key for production', () => {
    const r = spawnSync(process.execPath, [BIN, 'cert', 'keygen'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const signing = /^WASL_CERT_SIGNING_KEY=(\S+)$/m.exec(r.stdout)?.[1];
    const trusted = /^WASL_CERT_TRUSTED_KEYS=(\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(signing && trusted, r.stdout);
    const json = JSON.parse(spawnSync(process.execPath, [BIN, 'cert', 'keygen', '--json'], { encoding: 'utf8' }).stdout) as { keyId: string; signingKey: string; publicKey: string };
    assert.match(json.keyId, /^[0-9a-f]{16}$/);
    assert.notEqual(json.publicKey, trusted, 'a new pair each time');
  });

  it('production refuses to start without WASL_CERT_TRUSTED_KEYS, naming it in English and Arabic', () => {
    const env = { ...process.env, WASL_ENV: 'production', WASL_SECRET: 's'.repeat(40), WASL_CHANNEL_KEYS: JSON.stringify([{ channel: 'c', key: 'k'.repeat(30), services: ['*'] }]), WASL_CERT_TRUSTED_KEYS: '', WASL_CERT_SIGNING_KEY: '' };
    for (const command of [['start'], ['worker']]) {
      const r = spawnSync(process.execPath, [BIN, ...command], { encoding: 'utf8', env, timeout: 60_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /WASL_CERT_TRUSTED_KEYS is required in production/);
      assert.match(r.stderr, /المتغير WASL_CERT_TRUSTED_KEYS مطلوب في بيئة الإنتاج/);
    }
  });

  it('wasl sandbox test signs with WASL_CERT_SIGNING_KEY and records it; status shows certify, promote, a refusal to start and retire, newest last, each in the audit trail', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wasl-gate-records-'));
    const code = 'vehicle-ownership-statement';
    try {
      const flowsDir = join(root, 'flows');
      cpSync(join(REPO, 'flows'), flowsDir, { recursive: true, filter: (src) => !/(certificate|lifecycle)\.json$/.test(src) });
      const env = { ...process.env, WASL_FLOWS_DIR: flowsDir, WASL_DATA_DIR: join(root, 'data'), WASL_LOG_LEVEL: 'warn', USER: 'tester', WASL_CERT_SIGNING_KEY: TEST_CERT_KEYS.signingKey, WASL_CERT_TRUSTED_KEYS: TEST_CERT_KEYS.publicKey };
      const wasl = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 150_000 });
      const run = wasl('sandbox', 'test', code, '--by', 'qa-lina', '--report-dir', join(root, 'report'));
      assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
      const roots = serviceRoots(flowsDir);
      assert.equal(readCertificate(code, roots)?.signature?.keyId, TEST_CERT_KEYS.keyId);
      assert.equal(checkCertificate(code, roots, TRUST), undefined);
      const promoted = wasl('service', 'promote', code, '--by', 'ops-samer');
      assert.equal(promoted.status, 0, promoted.stderr);
      // A production hub that refused to start the service records it so (the run-time gate).
      const store = new SqliteStore({ file: join(root, 'data', 'wasl.db'), audit: { keys: AuditKeys.from({ dataDir: join(root, 'data') }), shards: DEFAULT_SHARDS } });
      await store.appendAudit([gateAuditEntry('refuse-start', code, 'system:release-gate', new Date(Date.now() + 1000).toISOString(), { reason: 'certificate', message: 'its certificate does not hold' })]);
      await store.close();
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal(wasl('service', 'retire', code, '--by', 'ops-samer').status, 0);

      const status = wasl('service', 'status', code);
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`signed by key ${TEST_CERT_KEYS.keyId}`));
      assert.match(status.stdout, /certify\s+by qa-lina[\s\S]*promote\s+by ops-samer[\s\S]*refuse-start\s+by system:release-gate\s+its certificate does not hold[\s\S]*retire\s+by ops-samer/);
      const json = JSON.parse(wasl('service', 'status', code, '--json').stdout) as { history: Array<{ action: string; sources: string[] }> };
      assert.deepEqual(json.history.map((h) => [h.action, h.sources.join('+')]), [['certify', 'lifecycle+audit'], ['promote', 'lifecycle+audit'], ['refuse-start', 'audit'], ['retire', 'lifecycle+audit']]);
      assert.deepEqual(lifecycleHistory(code, roots).map((c) => c.lifecycle), ['certified', 'live', 'retired']);

      const trail = new SqliteStore({ file: join(root, 'data', 'wasl.db'), audit: { keys: AuditKeys.from({ dataDir: join(root, 'data') }), shards: DEFAULT_SHARDS } });
      try {
        const records = await trail.readAudit({ subject: `service:${code}`, limit: 10 });
        assert.deepEqual(records.map((r) => [r.actor, r.data.action]), [['operator:qa-lina', 'certify'], ['operator:ops-samer', 'promote'], ['system:release-gate', 'refuse-start'], ['operator:ops-samer', 'retire']]);
        assert.equal(records[0]!.data.signedBy, TEST_CERT_KEYS.keyId);
        assert.equal(records[0]!.data.certificate, records[1]!.data.certificate, 'promoted on the certificate issued');
        assert.equal((await verifyTrail(trail, { keys: AuditKeys.from({ dataDir: join(root, 'data') }) })).finding, undefined);
      } finally {
        await trail.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
