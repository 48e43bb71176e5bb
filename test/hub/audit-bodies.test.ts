/**
 * Provider exchange bodies in the audit trail (WASL_AUDIT_BODIES): a hub that names a provider
 * keeps each exchange's request and answer, encrypted with a key derived from WASL_SECRET — the
 * store holds no citizen's data in clear, a record moved to another order or altered does not
 * decrypt, other providers' bodies are not kept — and `wasl audit bodies <order>` shows them to
 * whoever holds the secret, an access the trail records too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import nock from 'nock';
import { RestConnector } from '../../connectors/rest/connector';
import { BodyKey, isSealedBodies } from '../../hub/audit/bodies';
import { verifyTrail } from '../../hub/audit/trail';
import { ConfigError, loadConfig } from '../../hub/config';
import { DEFAULT_SHARDS } from '../../hub/audit/chain';
import { AuditKeys } from '../../hub/audit/keys';
import { SqliteStore } from '../../hub/store/sqlite';
import { ARABIC, importedOperations, NN, origin, provider, type Operations } from '../connectors/rest/helpers';
import { testHub, type TestHub } from '../helpers';

const REPO = resolve(__dirname, '..', '..');
const SECRET = 'a-secret-of-at-least-32-characters-for-tests';
const ORDER = 'ord_01J0000000000000000000AUD';

describe('audit trail: provider exchange bodies, encrypted at rest', function () {
  this.timeout(60_000);
  let civil: Operations;
  before(async () => {
    civil = await importedOperations('civil');
    nock.disableNetConnect();
  });
  after(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('WASL_AUDIT_BODIES: provider codes or "*", and only with WASL_SECRET', () => {
    assert.deepEqual(loadConfig({ WASL_AUDIT_BODIES: 'moi-civil-registry, mohe-degrees', WASL_SECRET: SECRET }).auditBodies, ['moi-civil-registry', 'mohe-degrees']);
    assert.deepEqual(loadConfig({ WASL_AUDIT_BODIES: '*', WASL_SECRET: SECRET }).auditBodies, ['*']);
    assert.equal(loadConfig({ WASL_SECRET: SECRET }).auditBodies, undefined);
    assert.throws(() => loadConfig({ WASL_AUDIT_BODIES: 'moi-civil-registry' }), (e: unknown) => e instanceof ConfigError && /needs WASL_SECRET/.test(e.message));
    assert.throws(() => loadConfig({ WASL_AUDIT_BODIES: 'MOI registry', WASL_SECRET: SECRET }), ConfigError);
  });

  describe('a hub that keeps one provider\'s bodies', () => {
    let dir: string;
    let hub: TestHub;
    const kept = provider();
    const other = provider();
    const body = { purpose: 'travel', copies: 1, note: null, applicantName: ARABIC };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'wasl-audit-bodies-'));
      hub = await testHub({ secret: SECRET, auditBodies: [kept.code], dataDir: dir }, new SqliteStore({ file: join(dir, 'wasl.db'), audit: { keys: AuditKeys.from({ secret: SECRET }), shards: DEFAULT_SHARDS } }));
      for (const def of [kept, other]) {
        nock(origin(def)).post(`/v1/persons/${NN}/extracts`).reply(201, { id: `ex-${def.code}`, status: 'pending', holder: ARABIC });
        await new RestConnector({ definition: def, operations: civil }).call('requestExtract', { path: { nationalNumber: NN }, body }, { idempotencyKey: `k-${def.code}`, orderId: ORDER });
      }
      // The hub appends what the connectors report without holding up the call.
      for (let i = 0; i < 100 && (await hub.store.readAudit({ subject: ORDER, limit: 10 })).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    });
    after(async () => {
      await hub?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps the named provider\'s bodies sealed, none of the other\'s, and nothing of the citizen in clear', async () => {
      const records = await hub.store.readAudit({ subject: ORDER, limit: 10 });
      assert.deepEqual(records.map((r) => [r.data.provider, isSealedBodies(r.data.bodies)]), [[kept.code, true], [other.code, false]]);
      const db = new Database(join(dir, 'wasl.db'), { readonly: true });
      const raw = JSON.stringify(db.prepare('SELECT * FROM audit_log').all());
      db.close();
      assert.ok(!raw.includes(NN) && !raw.includes(ARABIC) && !raw.includes(JSON.stringify(ARABIC).slice(1, -1)), 'no national number nor name in the store');
      const opened = new BodyKey(SECRET).open(records[0]!.data.bodies as never, ORDER);
      assert.deepEqual(JSON.parse(opened.request!), body);
      assert.equal(JSON.parse(opened.response!).holder, ARABIC);
      assert.equal((await verifyTrail(hub.store, { keys: hub.auditKeys })).finding, undefined, 'the chain holds over the ciphertext');
    });

    it('does not open with another secret, on another order, or after a changed byte', async () => {
      const sealed = (await hub.store.readAudit({ subject: ORDER, limit: 1 }))[0]!.data.bodies as { ct: string };
      assert.throws(() => new BodyKey(`${SECRET}-other`).open(sealed as never, ORDER));
      assert.throws(() => new BodyKey(SECRET).open(sealed as never, 'ord_01J0000000000000000000XYZ'));
      const ct = Buffer.from(sealed.ct, 'base64');
      ct[3] = ct[3]! ^ 1;
      assert.throws(() => new BodyKey(SECRET).open({ ...sealed, ct: ct.toString('base64') } as never, ORDER));
    });

    it('wasl audit bodies <order> decrypts them with WASL_SECRET and records the reading; without the secret it refuses', async () => {
      await hub.close();
      const env = { ...process.env, WASL_DATA_DIR: dir, WASL_LOG_LEVEL: 'silent', WASL_SECRET: SECRET };
      const run = (e: NodeJS.ProcessEnv) => spawnSync(process.execPath, [join(REPO, 'bin', 'wasl.js'), 'audit', 'bodies', ORDER], { env: e, encoding: 'utf8', timeout: 60_000 });
      const ok = run(env);
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.ok(ok.stdout.includes(`"applicantName":"${ARABIC}"`), ok.stdout);
      assert.match(ok.stdout, /no bodies kept for this exchange/);
      const noSecret = run({ ...env, WASL_SECRET: '' });
      assert.notEqual(noSecret.status, 0);
      assert.match(noSecret.stderr + noSecret.stdout, /WASL_SECRET is needed/);
      assert.ok(!noSecret.stdout.includes(ARABIC));
      const wrong = run({ ...env, WASL_SECRET: `${SECRET}-other` });
      assert.equal(wrong.status, 1);
      assert.match(wrong.stdout, /do not decrypt/);
      const store = new SqliteStore({ file: join(dir, 'wasl.db') });
      try {
        const reads = (await store.readAudit({ subject: ORDER, limit: 100 })).filter((r) => r.kind === 'operator.action');
        assert.equal(reads.length, 1, 'the reading that decrypted is audited; the failed ones showed nothing');
        assert.match(reads[0]!.actor, /^cli:/);
        assert.equal(reads[0]!.data.action, 'read-bodies');
      } finally {
        await store.close();
      }
    });
  });
});
