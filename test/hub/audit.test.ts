/**
 * The audit trail (hub/audit): every order step, provider exchange and operator action appended
 * to a chain of hashes in the store's own transaction; `verify` names the first record that was
 * altered, removed or inserted, and a day's seal catches a day rewritten after it was sealed; the
 * records hold nothing of a citizen. On SQLite and PostgreSQL, and through `wasl audit verify`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { chain, hashOf, verify, type AuditRecord } from '../../hub/audit/chain';
import { callEntry } from '../../hub/audit/entries';
import { sealDays, verifyTrail } from '../../hub/audit/trail';
import { Catalogue } from '../../hub/catalogue';
import { buildOrder } from '../../hub/intake';
import type { Store } from '../../hub/store';
import { PostgresStore } from '../../hub/store/postgres';
import { SqliteStore } from '../../hub/store/sqlite';
import { CITIZEN, dropSchema, FLOWS_DIR, KEYS, newKey, PG_URL, requirePostgres, validRequest } from '../helpers';

const REPO = resolve(__dirname, '..', '..');
const catalogue = Catalogue.load(FLOWS_DIR);

async function someHistory(store: Store): Promise<string> {
  const order = buildOrder(validRequest(), KEYS.centre, catalogue, 'sandbox');
  await store.createOrder(order, { channel: KEYS.centre.channel, key: newKey(), requestHash: 'h' });
  await store.transition(order.id, { to: 'awaiting-payment', actor: { kind: 'system', id: 'payments' } });
  await store.note(order.id, { event: 'payment.reminder', actor: { kind: 'operator', id: 'maha' } });
  await store.transition(order.id, { to: 'cancelled', actor: { kind: 'operator', id: 'maha' }, reason: { code: 'asked-by-citizen' } });
  await store.appendAudit([callEntry({ provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', endpoint: 'http://127.0.0.1:8091/moi/civil-registry', orderId: order.id, outcome: 'success', status: 200, attempts: 1, durationMs: 80, requestBytes: 900, responseBytes: 2100, startedAt: new Date().toISOString() })]);
  return order.id;
}

async function all(store: Store): Promise<AuditRecord[]> {
  return store.readAudit({ limit: 10_000 });
}

describe('audit trail: the chain', () => {
  const records = (n: number) => {
    const out: AuditRecord[] = [];
    for (let i = 0; i < n; i++) out.push(chain(out.at(-1), { at: `2026-11-2${i < 3 ? 7 : 8}T10:00:0${i}Z`, kind: 'order.step', actor: 'system:t', subject: `ord_${i}`, data: { status: 'received', i } }));
    return out;
  };

  it('holds as written', () => {
    assert.deepEqual(verify(records(6)).finding, undefined);
    assert.equal(verify(records(6)).checked, 6);
  });

  it('names a changed byte, a removed record, an inserted one, and removals renumbered away', () => {
    const altered = records(6);
    altered[3] = { ...altered[3]!, data: { status: 'receivee', i: 3 } };
    assert.deepEqual(verify(altered).finding?.kind, 'altered');
    assert.equal(verify(altered).finding?.seq, 4);

    const removed = records(6).filter((r) => r.seq !== 3);
    assert.deepEqual([verify(removed).finding?.kind, verify(removed).finding?.seq], ['removed', 3]);

    const base = records(6);
    const forged = chain(base[1], { at: base[2]!.at, kind: 'order.step', actor: 'operator:mallory', subject: 'ord_x', data: { status: 'delivered' } });
    const inserted = [base[0]!, base[1]!, forged, ...base.slice(2).map((r) => ({ ...r, seq: r.seq + 1 }))];
    assert.deepEqual([verify(inserted).finding?.kind, verify(inserted).finding?.seq], ['inserted', 3]);

    const renumbered = [...base.slice(0, 2), ...base.slice(3).map((r) => ({ ...r, seq: r.seq - 1 }))];
    assert.deepEqual([verify(renumbered).finding?.kind, verify(renumbered).finding?.seq], ['removed', 3]);

    // A rewrite that recomputes every hash after the change still breaks the link to the record before it.
    const rewritten = records(6);
    rewritten[2] = { ...rewritten[2]!, prev: '1'.repeat(64) };
    rewritten[2] = { ...rewritten[2], hash: hashOf(rewritten[2].prev, rewritten[2]) };
    assert.equal(verify(rewritten).finding?.seq, 3);
  });
});

describe('audit trail: SQLite store', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;
  let orderId: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wasl-audit-'));
    file = join(dir, 'wasl.db');
    store = new SqliteStore({ file });
    orderId = await someHistory(store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records each step with who did it, and the provider exchanges, in one chain that holds — and nothing of the citizen", async () => {
    const records = await all(store);
    const steps = records.filter((r) => r.kind === 'order.step' && r.subject === orderId);
    assert.deepEqual(steps.map((r) => [r.data.status, r.actor]), [
      ['received', 'channel:centre-dam-01'],
      ['awaiting-payment', 'system:payments'],
      ['awaiting-payment', 'operator:maha'],
      ['cancelled', 'operator:maha'],
    ]);
    assert.equal(steps.at(-1)?.data.reason, 'asked-by-citizen');
    assert.equal(records.at(-1)?.kind, 'provider.call');
    const v = await verifyTrail(store);
    assert.equal(v.finding, undefined);
    assert.equal(v.checked, records.length);
    const text = JSON.stringify(records);
    for (const pii of [CITIZEN.nationalNumber, CITIZEN.fullNameAr, CITIZEN.phone, CITIZEN.email, CITIZEN.address]) assert.ok(!text.includes(pii), pii);
  });

  it('wasl audit verify: holds (exit 0), then names a changed byte (exit 1)', async () => {
    await store.close();
    const env = { ...process.env, WASL_DATA_DIR: dir, WASL_LOG_LEVEL: 'silent' };
    const run = () => spawnSync(process.execPath, [join(REPO, 'bin', 'wasl.js'), 'audit', 'verify'], { env, encoding: 'utf8', timeout: 60_000 });
    const ok = run();
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /the audit trail holds: \d+ records checked/);
    const db = new Database(file);
    db.prepare("UPDATE audit_log SET data = replace(data, 'cancelled', 'delivered') WHERE seq = (SELECT max(seq) - 1 FROM audit_log)").run();
    const seq = (db.prepare('SELECT max(seq) - 1 AS s FROM audit_log').get() as { s: number }).s;
    db.close();
    const bad = run();
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, new RegExp(`altered at record ${seq}`));
    store = new SqliteStore({ file });
  });

  it('a removed record is named', async () => {
    const db = (store as unknown as { database: { db: Database.Database } }).database.db;
    db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    assert.deepEqual([(await verifyTrail(store)).finding?.kind, (await verifyTrail(store)).finding?.seq], ['removed', 2]);
  });

  it('an inserted record is named, and a day rewritten after its seal is caught', async () => {
    const db = (store as unknown as { database: { db: Database.Database } }).database.db;
    const rows = (await all(store)).sort((a, b) => b.seq - a.seq);
    for (const r of rows) if (r.seq >= 3) db.prepare('UPDATE audit_log SET seq = seq + 1 WHERE seq = ?').run(r.seq);
    const two = rows.find((r) => r.seq === 2)!;
    const forged = chain(two, { at: two.at, kind: 'operator.action', actor: 'operator:mallory', subject: orderId, data: { action: 'discard' } });
    db.prepare('INSERT INTO audit_log (seq, at, kind, actor, subject, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(forged.seq, forged.at, forged.kind, forged.actor, forged.subject, JSON.stringify(forged.data), forged.prev, forged.hash);
    assert.deepEqual([(await verifyTrail(store)).finding?.kind, (await verifyTrail(store)).finding?.seq], ['inserted', 3]);

    // Sealed yesterday, then rewritten whole (every hash recomputed): the seal no longer matches.
    db.prepare('DELETE FROM audit_log').run();
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    let head: AuditRecord | undefined;
    for (let i = 0; i < 3; i++) {
      head = chain(head, { at: yesterday, kind: 'order.step', actor: 'system:t', subject: 'ord_y', data: { status: 'received', i } });
      db.prepare('INSERT INTO audit_log (seq, at, kind, actor, subject, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(head.seq, head.at, head.kind, head.actor, head.subject, JSON.stringify(head.data), head.prev, head.hash);
    }
    assert.deepEqual(await sealDays(store), [yesterday.slice(0, 10)]);
    assert.deepEqual(await sealDays(store), [], 'a day is sealed once');
    assert.equal((await verifyTrail(store)).finding, undefined);
    db.prepare('DELETE FROM audit_log').run();
    head = undefined;
    for (let i = 0; i < 3; i++) {
      head = chain(head, { at: yesterday, kind: 'order.step', actor: 'system:t', subject: 'ord_y', data: { status: i === 1 ? 'delivered' : 'received', i } });
      db.prepare('INSERT INTO audit_log (seq, at, kind, actor, subject, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(head.seq, head.at, head.kind, head.actor, head.subject, JSON.stringify(head.data), head.prev, head.hash);
    }
    assert.equal((await verifyTrail(store)).finding?.kind, 'seal');
  });
});

describe('audit trail: PostgreSQL store', function () {
  this.timeout(30_000);
  const schema = `wasl_audit_${process.pid}`;
  let store: PostgresStore | undefined;
  before(async function () {
    await requirePostgres(this);
    await dropSchema(schema);
    store = await PostgresStore.open({ connectionString: PG_URL, schema });
  });
  after(async () => {
    await store?.close();
    if (store) await dropSchema(schema);
  });

  it('one chain across concurrent transactions, that holds and names a changed byte', async () => {
    await Promise.all(Array.from({ length: 6 }, () => someHistory(store!)));
    // The server hashes what the client sends around the seq (wasl_audit_append): text that needs escaping, in several scripts, hashes the same as in chain.ts.
    await store!.appendAudit([
      { at: new Date().toISOString(), kind: 'operator.action', actor: "operator:o'brien\\x", subject: 'service:a"b', data: { note: 'سطر\nآخر \u0000 \\ \' "', n: 1.5, nested: { z: [1, 'b'], a: null } } },
      { at: new Date().toISOString(), kind: 'operator.action', actor: 'operator:maha', subject: 'editor', data: {} },
    ]);
    const records = await all(store!);
    assert.deepEqual(records.map((r) => r.seq), records.map((_, i) => i + 1));
    assert.equal((await verifyTrail(store!)).finding, undefined);
    const pool = (store as unknown as { pool: { query: (sql: string) => Promise<unknown> } }).pool;
    await pool.query(`UPDATE ${schema}.audit_log SET actor = 'operator:mallory' WHERE seq = 5`);
    assert.deepEqual([(await verifyTrail(store!)).finding?.kind, (await verifyTrail(store!)).finding?.seq], ['altered', 5]);
  });
});
