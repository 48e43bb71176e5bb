/**
 * The hub seals its audit trail (hub/hub.ts, hub/audit/trail.ts sealTrail): every
 * WASL_AUDIT_SEAL_MINUTES and when it stops, to the witness file (append-only, 0600) and to a
 * remote collector (WASL_AUDIT_WITNESS_URL) when there is one; a collector that refuses is
 * logged and does not stop the seal reaching the file. A witness that missed a seal (written to
 * the store, the process gone before the file) is given it at the next seal.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSeal, checkSeal, lastWitnessSeal, readWitness, type Seal } from '../../hub/audit/seal';
import { verifyTrail } from '../../hub/audit/trail';
import { auditConfig } from '../../hub/config';
import { testHub, type TestHub } from '../helpers';
import { until } from './bus/contract';

const entry = (subject: string) => ({ at: new Date().toISOString(), kind: 'order.step' as const, actor: 'system:t', subject, data: { status: 'received' } });

describe('audit trail: the hub seals it to its witness', function () {
  this.timeout(30_000);
  let dir: string;
  let hub: TestHub | undefined;
  let collector: Server | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wasl-seals-'));
  });
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
    await new Promise((r) => (collector ? collector.close(r) : r(undefined)));
    collector = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('seals when it stops: the witness holds every head, the trail holds with nothing unsealed', async () => {
    hub = await testHub({ dataDir: dir });
    await hub.startBackground();
    await hub.store.appendAudit([entry('ord_a'), entry('ord_b'), entry('ord_c')]);
    const keys = hub.auditKeys;
    const store = hub.store;
    const file = hub.config.audit.witnessFile;
    // What close seals is read before the store closes: verify against a store reopened is the CLI's test (audit.test.ts).
    let verified: Awaited<ReturnType<typeof verifyTrail>> | undefined;
    const close = store.close.bind(store);
    store.close = async () => {
      verified = await verifyTrail(store, { keys, witness: readWitness(file) });
      return close();
    };
    await hub.close();
    hub = undefined;
    const seals = readWitness(file).map((e) => e.seal!);
    assert.equal(seals.length, 1);
    assert.equal(checkSeal(seals[0]!, [keys.publicKey]), 'verified');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(verified?.finding, undefined);
    assert.equal(verified?.unsealed, 0);
    assert.equal(verified?.checked, 3);
  });

  it('seals every interval while records come, and not when nothing moved', async () => {
    hub = await testHub({ dataDir: dir }, undefined, { auditSealEveryMs: 50 });
    await hub.startBackground();
    const file = hub.config.audit.witnessFile;
    await hub.store.appendAudit([entry('ord_a')]);
    await until(() => readWitness(file).length === 1, 10_000, 'a first seal');
    await hub.store.appendAudit([entry('ord_b')]);
    await until(() => readWitness(file).length === 2, 10_000, 'a second seal');
    const quiet = readWitness(file).length;
    // Nothing appended since: no seal (the heads did not move).
    const sealed = await hub.sealAudit();
    assert.equal(sealed, undefined);
    assert.equal(readWitness(file).length, quiet);
    assert.deepEqual(readWitness(file).map((e) => e.seal!.n), [1, 2]);
  });

  it('posts each seal to the remote collector; one that refuses fails the call (the hub\'s timer logs it), and the file still gets the seal', async () => {
    const received: Seal[] = [];
    let answer = 201;
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (answer < 300) received.push(JSON.parse(body) as Seal);
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((r) => collector!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/seals`;
    hub = await testHub({ dataDir: dir, audit: { ...auditConfig({}, dir), witnessUrl: url } });
    await hub.store.appendAudit([entry('ord_a')]);
    const first = await hub.sealAudit();
    assert.deepEqual(received, [first]);
    assert.equal(checkSeal(received[0]!, [hub.auditKeys.publicKey]), 'verified');
    answer = 503;
    await hub.store.appendAudit([entry('ord_b')]);
    await assert.rejects(hub.sealAudit(), /audit witness .* answered 503/);
    assert.deepEqual(readWitness(hub.config.audit.witnessFile).map((e) => e.seal!.n), [1, 2], 'the file has it');
  });

  it("gives the witness file a seal it missed (made, the process gone before the file)", async () => {
    hub = await testHub({ dataDir: dir });
    await hub.store.appendAudit([entry('ord_a')]);
    // Seal 1 reaches the store but not the file.
    const missed = makeSeal(undefined, await hub.store.auditHeads(), hub.auditKeys, new Date());
    assert.equal(await hub.store.addAuditSeal(missed), true);
    await hub.store.appendAudit([entry('ord_b')]);
    const sealed = await hub.sealAudit();
    assert.equal(sealed?.n, 2);
    assert.deepEqual(readWitness(hub.config.audit.witnessFile).map((e) => e.seal!.n), [1, 2]);
  });

  it("goes on from the witness when the store's copies of the seals were deleted: the gap shows, sealing is not stuck", async () => {
    hub = await testHub({ dataDir: dir });
    await hub.store.appendAudit([entry('ord_a')]);
    await hub.sealAudit();
    await hub.store.appendAudit([entry('ord_b')]);
    await hub.sealAudit();
    // The administrator empties the store's copies.
    const db = (hub.store as unknown as { database: { db: { prepare(sql: string): { run(): unknown } } } }).database.db;
    db.prepare('DELETE FROM audit_seals').run();
    await hub.store.appendAudit([entry('ord_c')]);
    const next = await hub.sealAudit();
    assert.equal(next?.n, 3, 'numbered after the witness\'s last');
    assert.deepEqual(readWitness(hub.config.audit.witnessFile).map((e) => e.seal!.n), [1, 2, 3]);
    const v = await verifyTrail(hub.store, { keys: hub.auditKeys, witness: readWitness(hub.config.audit.witnessFile) });
    assert.equal(v.finding, undefined);
    assert.equal(v.unsealed, 0);
  });

  it('reads only the witness\'s last seal, from its tail, however long the file and the line', async () => {
    hub = await testHub({ dataDir: dir });
    const file = join(dir, 'big-witness.jsonl');
    const heads = Array.from({ length: 1200 }, (_, i) => ({ shard: i, shardSeq: 1, hash: 'a'.repeat(64) }));
    const first = makeSeal(undefined, heads, hub.auditKeys, new Date());
    const second = makeSeal(first, heads.map((h) => ({ ...h, shardSeq: 2 })), hub.auditKeys, new Date());
    writeFileSync(file, `${'x'.repeat(300_000)}\n${JSON.stringify(first)}\n${JSON.stringify(second)}\n`);
    assert.ok(JSON.stringify(second).length > 64 * 1024, 'a line longer than the first read');
    assert.equal(lastWitnessSeal(file)?.n, 2);
    assert.equal(lastWitnessSeal(join(dir, 'none.jsonl')), undefined);
    appendFileSync(file, 'not a seal\n');
    assert.equal(lastWitnessSeal(file), undefined);
  });
});
