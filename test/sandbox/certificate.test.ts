/** Certification (sandbox/certificate.ts) and promotion (hub/lifecycle.ts, reading certificates as `wasl` does), on a copy of a real service and its provider. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { certificateReader, certify, checkCertificate, CertificationError, readCertificate } from '../../sandbox/certificate';
import { lifecycleHistory, promote, retire, type ServiceRoots } from '../../hub/lifecycle';
import { DEFAULT_SHARDS } from '../../hub/audit/chain';
import { AuditKeys } from '../../hub/audit/keys';
import { verifyTrail } from '../../hub/audit/trail';
import { SqliteStore } from '../../hub/store/sqlite';

const REPO = resolve(__dirname, '..', '..');
const CODE = 'civil-registry-individual-extract';
const PASSED = { scenarios: 3, passed: 3, failed: 0, durationMs: 1200 };

describe('sandbox: certification and promotion', () => {
  let root: string;
  let roots: ServiceRoots;
  const lifecycleOf = () => (JSON.parse(readFileSync(join(roots.flowsDir, CODE, 'service.json'), 'utf8')) as { lifecycle: string }).lifecycle;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'wasl-cert-'));
    roots = { flowsDir: join(root, 'flows'), providersRoot: join(root, 'contracts', 'providers'), base: root };
    mkdirSync(roots.flowsDir, { recursive: true });
    // The service as it is defined, not as the repository certified and promoted it.
    cpSync(join(REPO, 'flows', CODE), join(roots.flowsDir, CODE), { recursive: true, filter: (src) => !/(certificate|lifecycle)\.json$/.test(src) });
    const def = join(roots.flowsDir, CODE, 'service.json');
    writeFileSync(def, readFileSync(def, 'utf8').replace(/"lifecycle": "[a-z]+"/, '"lifecycle": "draft"'));
    cpSync(join(REPO, 'flows', 'shared.json'), join(roots.flowsDir, 'shared.json'));
    // Its ministry, another ministry, and the payment and postal companies its fulfilment calls.
    for (const p of ['moi-civil-registry', 'mot-vehicle-registry', 'sy-epay', 'intl-pay', 'sy-post']) cpSync(join(REPO, 'contracts', 'providers', p), join(roots.providersRoot, p), { recursive: true });
    mkdirSync(join(roots.flowsDir, CODE, 'scenarios'), { recursive: true });
    writeFileSync(join(roots.flowsDir, CODE, 'scenarios', 'happy-path.json'), '{"name":"happy path"}\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('refuses to certify a run with a failed scenario, or with none', () => {
    assert.throws(() => certify(CODE, { scenarios: 3, passed: 2, failed: 1, durationMs: 1 }, roots, 'qa'), /2 of 3 scenarios passed/);
    assert.throws(() => certify(CODE, { scenarios: 0, passed: 0, failed: 0, durationMs: 1 }, roots, 'qa'), CertificationError);
    assert.equal(readCertificate(CODE, roots), undefined);
  });

  it('refuses to promote a service without a certificate', () => {
    assert.throws(() => promote(CODE, roots, 'ops', certificateReader), /has no certificate/);
  });

  it('certifies what defines the service, promotes it, refuses after a one-character change to the flow, and accepts after certifying again', () => {
    const cert = certify(CODE, PASSED, roots, 'qa', { now: new Date('2026-11-28T10:00:00Z') });
    assert.match(cert.digest, /^[0-9a-f]{64}$/);
    const paths = cert.dependencies.map((d) => d.path);
    for (const p of [`flows/${CODE}/service.json`, `flows/${CODE}/flow.json`, `flows/${CODE}/scenarios/happy-path.json`, 'contracts/providers/moi-civil-registry/provider.json', 'contracts/providers/moi-civil-registry/contract/moi-civil-registry.wsdl', 'contracts/providers/sy-epay/provider.json', 'contracts/providers/sy-post/provider.json']) {
      assert.ok(paths.includes(p), `${p} is certified`);
    }
    const named = cert.dependencies.map((d) => `${d.kind} ${d.name}`);
    for (const n of ['config-node provider-moi-civil-registry (wasl-provider)', 'node-code wasl-call', 'node-code wasl-payment', 'simulator moi-civil-registry (generated)', 'simulator sy-epay (stateful)', 'wasl wasl', 'node-red node-red']) assert.ok(named.includes(n), `${n} is certified`);
    assert.ok(!paths.includes('flows/shared.json'), 'the config nodes it uses, not the whole shared.json');
    assert.ok(!named.some((n) => n.includes('mot-vehicle-registry')), 'a provider the service does not use is not part of it');
    assert.equal(lifecycleOf(), 'certified');
    assert.equal(checkCertificate(CODE, roots), undefined, 'promoting changed the lifecycle only, and that is not certified');

    const change = promote(CODE, roots, 'ops-lead', certificateReader, new Date('2026-11-28T11:00:00Z'));
    assert.deepEqual(change, { lifecycle: 'live', at: '2026-11-28T11:00:00.000Z', by: 'ops-lead', digest: cert.digest });
    assert.equal(lifecycleOf(), 'live');

    // One character of the flow changes: the certificate no longer holds.
    const flowFile = join(roots.flowsDir, CODE, 'flow.json');
    writeFileSync(flowFile, readFileSync(flowFile, 'utf8').replace('"timeout": 120', '"timeout": 121'));
    assert.throws(
      () => promote(CODE, roots, 'ops-lead', certificateReader),
      (e: unknown) => e instanceof CertificationError && /changed since it was certified/.test(e.message) && e.changed.join() === `flows/${CODE}/flow.json`,
    );
    const again = certify(CODE, PASSED, roots, 'qa');
    assert.notEqual(again.digest, cert.digest);
    promote(CODE, roots, 'ops-lead', certificateReader);
    assert.equal(lifecycleOf(), 'live');
    assert.deepEqual(lifecycleHistory(CODE, roots).map((c) => [c.lifecycle, c.by]), [['certified', 'qa'], ['live', 'ops-lead'], ['certified', 'qa'], ['live', 'ops-lead']]);
  });

  it('refuses after a change to the provider\'s contract, a scenario added, or the definition edited; retires', () => {
    certify(CODE, PASSED, roots, 'qa');
    const wsdl = join(roots.providersRoot, 'moi-civil-registry', 'contract', 'moi-civil-registry.wsdl');
    writeFileSync(wsdl, `${readFileSync(wsdl, 'utf8')} `);
    assert.deepEqual(checkCertificate(CODE, roots)?.changed, ['contracts/providers/moi-civil-registry/contract/moi-civil-registry.wsdl']);
    certify(CODE, PASSED, roots, 'qa');
    writeFileSync(join(roots.flowsDir, CODE, 'scenarios', 'refusal.json'), '{}\n');
    assert.deepEqual(checkCertificate(CODE, roots)?.changed, [`flows/${CODE}/scenarios/refusal.json`]);
    certify(CODE, PASSED, roots, 'qa');
    const defFile = join(roots.flowsDir, CODE, 'service.json');
    writeFileSync(defFile, readFileSync(defFile, 'utf8').replace('"hours": ', '"hours": 1'));
    assert.deepEqual(checkCertificate(CODE, roots)?.changed, [`flows/${CODE}/service.json`]);
    retire(CODE, roots, 'ops-lead');
    assert.equal(lifecycleOf(), 'retired');
    assert.equal(lifecycleHistory(CODE, roots).at(-1)?.lifecycle, 'retired');
  });
});

describe('wasl service promote | retire | status', function () {
  this.timeout(30_000);
  it('refuses to promote an uncertified service (exit 2, with the reason), promotes a certified one, and retires it — each change in the audit trail', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wasl-cert-cli-'));
    try {
      const flowsDir = join(root, 'flows');
      mkdirSync(flowsDir);
      cpSync(join(REPO, 'flows', CODE), join(flowsDir, CODE), { recursive: true, filter: (src) => !/(certificate|lifecycle)\.json$/.test(src) });
      cpSync(join(REPO, 'flows', 'shared.json'), join(flowsDir, 'shared.json'));
      const env = { ...process.env, WASL_FLOWS_DIR: flowsDir, WASL_DATA_DIR: join(root, 'data'), USER: 'tester' };
      const wasl = (...args: string[]) => spawnSync(process.execPath, [join(REPO, 'bin', 'wasl.js'), 'service', ...args, CODE], { encoding: 'utf8', env });
      const refused = wasl('promote');
      assert.equal(refused.status, 2);
      assert.match(refused.stderr, /not promoted: .*has no certificate/);
      certify(CODE, PASSED, { flowsDir, providersRoot: join(REPO, 'contracts', 'providers'), base: root }, 'qa');
      const ok = wasl('promote');
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /is live .* by tester/);
      assert.match(wasl('status').stdout, /holds for what the service depends on as it is now[\s\S]*promote\s+by tester/);
      assert.equal(wasl('retire').status, 0);
      assert.match(readFileSync(join(flowsDir, CODE, 'service.json'), 'utf8'), /"lifecycle": "retired"/);
      const store = new SqliteStore({ file: join(root, 'data', 'wasl.db'), audit: { keys: AuditKeys.from({ dataDir: join(root, 'data') }), shards: DEFAULT_SHARDS } });
      try {
        const changes = await store.readAudit({ subject: `service:${CODE}`, limit: 10 });
        assert.deepEqual(changes.map((c) => [c.kind, c.actor, c.data.action]), [['operator.action', 'operator:tester', 'promote'], ['operator.action', 'operator:tester', 'retire']], 'the refused promotion changed nothing');
        assert.match(String(changes[0]!.data.certificate), /^[0-9a-f]{64}$/);
        assert.equal((await verifyTrail(store, { keys: AuditKeys.from({ dataDir: join(root, 'data') }) })).finding, undefined);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
