/**
 * The audit trail (hub/audit, docs/audit.md) against a database administrator: every order step,
 * provider exchange and operator action appended to keyed chains in shards, in the store's own
 * transaction; seals of the heads signed and written to a witness outside the store. Each attack
 * of issue 22 is made here as an administrator would — SQL on the store, a line in the witness —
 * on SQLite and on PostgreSQL, and `verify` must name the record, seal or place it broke:
 * a record changed and the chain recomputed without the key; a record deleted in the middle
 * (with and without renumbering); sealed records truncated at the tail; a forged seal line; a
 * seal signed by another key. What came after the last seal is counted as not yet sealed. An
 * export verifies offline with the seal's public key alone, and a one-byte change fails it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Pool } from 'pg';
import stringify from 'safe-stable-stringify';
import { GENESIS, hashOf, OPERATOR_SHARD, shardOf, verifyShard, link, type AuditRecord } from '../../hub/audit/chain';
import { callEntry } from '../../hub/audit/entries';
import { AuditKeys } from '../../hub/audit/keys';
import { makeSeal, readWitness, type Seal } from '../../hub/audit/seal';
import { exportTrail, sealTrail, verifyExport, verifyTrail } from '../../hub/audit/trail';
import { Catalogue } from '../../hub/catalogue';
import { generateKeyPair } from '../../hub/certificate-keys';
import { buildOrder } from '../../hub/intake';
import type { Store } from '../../hub/store';
import { PostgresStore } from '../../hub/store/postgres';
import { SqliteStore } from '../../hub/store/sqlite';
import { SqliteDatabase } from '../../hub/sqlite/database';
import { CITIZEN, dropSchema, FLOWS_DIR, KEYS, newKey, PG_URL, requirePostgres, validRequest } from '../helpers';

const REPO = resolve(__dirname, '..', '..');
const catalogue = Catalogue.load(FLOWS_DIR);
const SHARDS = 16;

async function someHistory(store: Store): Promise<string> {
  const order = buildOrder(validRequest(), KEYS.centre, catalogue, 'sandbox');
  await store.createOrder(order, { channel: KEYS.centre.channel, key: newKey(), requestHash: 'h' });
  await store.transition(order.id, { to: 'awaiting-payment', actor: { kind: 'system', id: 'payments' } });
  await store.note(order.id, { event: 'payment.reminder', actor: { kind: 'operator', id: 'maha' } });
  await store.transition(order.id, { to: 'cancelled', actor: { kind: 'operator', id: 'maha' }, reason: { code: 'asked-by-citizen' } });
  await store.appendAudit([callEntry({ provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', endpoint: 'http://127.0.0.1:8091/moi/civil-registry', orderId: order.id, outcome: 'success', status: 200, attempts: 1, durationMs: 80, requestBytes: 900, responseBytes: 2100, startedAt: new Date().toISOString() })]);
  return order.id;
}

describe('audit trail: keyed chains in shards', () => {
  const keys = AuditKeys.ephemeral();
  const records = (n: number, shard = 3) => {
    const out: ReturnType<typeof link>[] = [];
    for (let i = 0; i < n; i++) out.push(link(shard, out.at(-1), { at: `2026-11-28T10:00:0${i}Z`, kind: 'order.step', actor: 'system:t', subject: 'ord_1', data: { status: 'received', i } }, keys));
    return out;
  };

  it('holds as written; operator actions go to shard 0, an order always to the same shard of 1…N', () => {
    assert.equal(verifyShard(records(6), keys).finding, undefined);
    assert.equal(verifyShard(records(6), keys).checked, 6);
    assert.equal(shardOf({ kind: 'operator.action', subject: 'ord_1' }, SHARDS), OPERATOR_SHARD);
    const s = shardOf({ kind: 'order.step', subject: 'ord_1' }, SHARDS);
    assert.ok(s >= 1 && s <= SHARDS);
    assert.equal(shardOf({ kind: 'provider.call', subject: 'ord_1' }, SHARDS), s, "an order's exchanges go with its steps");
    const spread = new Set(Array.from({ length: 200 }, (_, i) => shardOf({ kind: 'order.step', subject: `ord_${i}` }, SHARDS)));
    assert.equal(spread.size, SHARDS, 'orders spread over every shard');
  });

  it('a record changed and the chain recomputed without the key is named by its MAC; so is the first after a renumbered removal', () => {
    const rs = records(6);
    rs[2] = { ...rs[2]!, data: { status: 'delivered', i: 2 } };
    for (let i = 2; i < rs.length; i++) {
      const prev = i === 0 ? GENESIS : rs[i - 1]!.hash;
      rs[i] = { ...rs[i]!, prev, hash: hashOf(prev, rs[i]!) };
    }
    const v = verifyShard(rs, keys);
    assert.deepEqual([v.finding?.kind, v.finding?.shardSeq], ['altered', 3]);
    assert.match(v.finding!.detail, /MAC does not hold/);
    // Without the key (an auditor), the hashes alone hold: the seals are what stand for the MACs there.
    assert.equal(verifyShard(rs, undefined).finding, undefined);

    const removed = records(6).filter((r) => r.shardSeq !== 3);
    assert.deepEqual([verifyShard(removed, keys).finding?.kind, verifyShard(removed, keys).finding?.shardSeq], ['removed', 3]);
    const renumbered = records(6).filter((r) => r.shardSeq !== 3).map((r) => (r.shardSeq > 3 ? { ...r, shardSeq: r.shardSeq - 1 } : r));
    for (let i = 2; i < renumbered.length; i++) renumbered[i] = { ...renumbered[i]!, prev: renumbered[i - 1]!.hash, hash: hashOf(renumbered[i - 1]!.hash, renumbered[i]!) };
    assert.deepEqual([verifyShard(renumbered, keys).finding?.kind, verifyShard(renumbered, keys).finding?.shardSeq], ['altered', 3]);
  });

  it('a key of an earlier rotation verifies with WASL_AUDIT_OLD_KEYS, and is named without it', () => {
    const old = AuditKeys.from({ auditKey: 'a'.repeat(64) });
    const rs = [link(1, undefined, { at: '2026-11-28T10:00:00Z', kind: 'order.step', actor: 'system:t', subject: 'o', data: {} }, old)];
    const rotated = AuditKeys.from({ auditKey: 'b'.repeat(64), oldKeys: 'a'.repeat(64) });
    assert.equal(verifyShard(rs, rotated).finding, undefined);
    const v = verifyShard(rs, AuditKeys.from({ auditKey: 'b'.repeat(64) }));
    assert.equal(v.finding?.kind, 'unknown-key');
    assert.match(v.finding!.detail, new RegExp(old.current.id));
  });
});

/** A store the test can also reach as its database administrator would: raw SQL. */
interface Backend {
  open(): Promise<Store>;
  sql(text: string, ...args: unknown[]): Promise<Array<Record<string, unknown>>>;
  cleanup(): Promise<void>;
}

function attacks(name: string, backend: () => Promise<Backend>, requires?: (ctx: Mocha.Context) => Promise<void>) {
  describe(`audit trail against its database administrator: ${name}`, function () {
    this.timeout(60_000);
    before(async function () {
      await requires?.(this);
    });
    let b: Backend;
    let store: Store;
    let keys: AuditKeys;
    let dir: string;
    let witness: string;
    let orderId: string;
    let shard: number;

    const verify = async (over: { witness?: string; trustedKeys?: string[] } = {}) => verifyTrail(store, { keys, witness: readWitness(over.witness ?? witness), ...(over.trustedKeys ? { trustedKeys: over.trustedKeys } : {}) });
    const rows = async (s: number) => (await b.sql(`SELECT shard, shard_seq, at, kind, actor, subject, data, prev, hash FROM audit_log WHERE shard = ${s} ORDER BY shard_seq`)).map((r) => ({ ...r, shard: Number(r.shard), shardSeq: Number(r.shard_seq), data: JSON.parse(String(r.data)) as Record<string, unknown> })) as unknown as AuditRecord[];
    /** The administrator's script: recompute every hash of a shard from `from` on (no key needed, none used). */
    const rechain = async (s: number) => {
      let prev = GENESIS;
      for (const r of await rows(s)) {
        const hash = hashOf(prev, r);
        await b.sql(`UPDATE audit_log SET prev = '${prev}', hash = '${hash}' WHERE shard = ${s} AND shard_seq = ${r.shardSeq}`);
        prev = hash;
      }
    };

    beforeEach(async () => {
      b = await backend();
      store = await b.open();
      keys = (store as unknown as { auditKeysForTests: AuditKeys }).auditKeysForTests;
      dir = mkdtempSync(join(tmpdir(), 'wasl-witness-'));
      witness = join(dir, 'audit-witness.jsonl');
      orderId = await someHistory(store);
      await someHistory(store);
      await store.appendAudit([{ at: new Date().toISOString(), kind: 'operator.action', actor: 'operator:maha', subject: 'editor', data: { action: 'deploy' } }]);
      shard = shardOf({ kind: 'order.step', subject: orderId }, SHARDS);
    });
    afterEach(async () => {
      await store?.close();
      await b?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('holds as written: every record in its shard, sealed to the witness; nothing of the citizen', async () => {
      const seal = await sealTrail(store, keys, { file: witness });
      assert.ok(seal);
      assert.deepEqual(readWitness(witness).map((e) => e.seal?.n), [1]);
      assert.equal(await sealTrail(store, keys, { file: witness }), undefined, 'nothing new: no seal');
      const v = await verify();
      assert.equal(v.finding, undefined, JSON.stringify(v.finding));
      assert.equal(v.checked, 11);
      assert.equal(v.unsealed, 0);
      assert.equal(v.lastSeal?.n, 1);
      const raw = JSON.stringify(await b.sql('SELECT * FROM audit_log'));
      for (const pii of [CITIZEN.nationalNumber, CITIZEN.fullNameAr, CITIZEN.phone, CITIZEN.email, CITIZEN.address]) assert.ok(!raw.includes(pii), pii);
      assert.ok(!raw.includes(keys.current.key.toString('hex')), 'the key is not in the database');
    });

    it('a record changed and every hash after it recomputed, without the key: named', async () => {
      await sealTrail(store, keys, { file: witness });
      await b.sql(`UPDATE audit_log SET data = replace(data, 'cancelled', 'delivered') WHERE shard = ${shard} AND shard_seq = 4`);
      await rechain(shard);
      const v = await verify();
      assert.deepEqual([v.finding?.kind, (v.finding as { shard?: number })?.shard, (v.finding as { shardSeq?: number })?.shardSeq], ['altered', shard, 4], JSON.stringify(v.finding));
    });

    it('a record deleted in the middle: named, whether the rest is renumbered and rehashed or not', async () => {
      await b.sql(`DELETE FROM audit_log WHERE shard = ${shard} AND shard_seq = 2`);
      let v = await verify();
      assert.deepEqual([v.finding?.kind, (v.finding as { shardSeq?: number }).shardSeq], ['removed', 2]);
      await b.sql(`UPDATE audit_log SET shard_seq = -shard_seq WHERE shard = ${shard} AND shard_seq > 2`);
      await b.sql(`UPDATE audit_log SET shard_seq = -shard_seq - 1 WHERE shard = ${shard} AND shard_seq < 0`);
      await rechain(shard);
      v = await verify();
      assert.deepEqual([v.finding?.kind, (v.finding as { shardSeq?: number }).shardSeq], ['altered', 2], JSON.stringify(v.finding));
    });

    it('sealed records truncated at the tail, the head moved back too: named by the seal', async () => {
      const before = (await rows(shard)).length;
      await sealTrail(store, keys, { file: witness });
      await b.sql(`DELETE FROM audit_log WHERE shard = ${shard} AND shard_seq > ${before - 2}`);
      const last = (await rows(shard)).at(-1)!;
      await b.sql(`UPDATE audit_heads SET shard_seq = ${last.shardSeq}, hash = '${last.hash}' WHERE shard = ${shard}`);
      const v = await verify();
      assert.equal(v.finding?.kind, 'truncated', JSON.stringify(v.finding));
      assert.equal((v.finding as { shardSeq?: number }).shardSeq, before - 1);
      assert.match(v.finding!.detail, new RegExp(`places ${before - 1}–${before}, sealed by seal 1`));
    });

    it('a forged seal line in the witness, and a seal signed by another key: named', async () => {
      await sealTrail(store, keys, { file: witness });
      await someHistory(store);
      await sealTrail(store, keys, { file: witness });
      const [first, second] = readWitness(witness).map((e) => e.seal!);
      // Forged: the second seal's heads swapped for others, its signature kept.
      const forged: Seal = { ...second!, heads: second!.heads.map((h) => ({ ...h, hash: 'f'.repeat(64) })) };
      const forgedFile = join(dir, 'forged.jsonl');
      writeFileSync(forgedFile, `${stringify(first)}\n${stringify(forged)}\n`);
      let v = await verify({ witness: forgedFile });
      assert.deepEqual([v.finding?.kind, (v.finding as { n?: number }).n], ['seal', 2]);
      assert.match(v.finding!.detail, /does not match its signature/);
      // Another key's seal, well formed and linked: not this hub's.
      const mallory = AuditKeys.from({ auditKey: 'c'.repeat(64), signingKey: generateKeyPair().signingKey });
      const other = makeSeal(first, second!.heads, mallory, new Date());
      const otherFile = join(dir, 'other.jsonl');
      writeFileSync(otherFile, `${stringify(first)}\n${stringify(other)}\n`);
      v = await verify({ witness: otherFile });
      assert.deepEqual([v.finding?.kind, (v.finding as { n?: number }).n], ['seal', 2]);
      assert.match(v.finding!.detail, /not trusted/);
      // A seal removed from the witness.
      const gapFile = join(dir, 'gap.jsonl');
      await someHistory(store);
      await sealTrail(store, keys, { file: witness });
      const all = readFileSync(witness, 'utf8').trim().split('\n');
      writeFileSync(gapFile, `${all[0]}\n${all[2]}\n`);
      v = await verify({ witness: gapFile });
      assert.deepEqual([v.finding?.kind, (v.finding as { n?: number }).n], ['seal', 2]);
      // A line that is not a seal at all.
      appendFileSync(witness, '{"n": 4}\n');
      v = await verify();
      assert.equal(v.finding?.kind, 'witness');
    });

    it('records written after the last seal are reported as not yet sealed, with their count', async () => {
      await sealTrail(store, keys, { file: witness });
      await someHistory(store);
      const v = await verify();
      assert.equal(v.finding, undefined);
      assert.equal(v.unsealed, 5);
      const s = await sealTrail(store, keys, { file: witness });
      assert.equal(s?.n, 2);
      assert.equal((await verify()).unsealed, 0);
    });

    it('an export verifies offline with the public key alone; a one-byte change, or another key, fails it', async () => {
      await sealTrail(store, keys, { file: witness });
      const file = join(dir, 'export.jsonl');
      const r = await exportTrail(store, keys, file, {});
      assert.equal(r.records, 11);
      const text = readFileSync(file, 'utf8');
      const v = await verifyExport(text, keys.publicKey);
      assert.equal(v.finding, undefined, JSON.stringify(v.finding));
      assert.equal(v.checked, 11);
      assert.equal(v.unsealed, 0);
      const at = text.indexOf('"cancelled"');
      const flipped = `${text.slice(0, at + 1)}C${text.slice(at + 2)}`;
      assert.ok((await verifyExport(flipped, keys.publicKey)).finding, 'one byte changed');
      assert.equal((await verifyExport(text, AuditKeys.ephemeral().publicKey)).finding?.kind, 'seal');
    });
  });
}

attacks('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-audit-'));
  const file = join(dir, 'wasl.db');
  const keys = AuditKeys.ephemeral();
  let db: Database.Database | undefined;
  return {
    async open() {
      const store = new SqliteStore({ file, audit: { keys, shards: SHARDS } });
      Object.assign(store, { auditKeysForTests: keys });
      return store;
    },
    async sql(text: string) {
      db ??= new Database(file);
      const stmt = db.prepare(text);
      return stmt.reader ? (stmt.all() as Array<Record<string, unknown>>) : (stmt.run(), []);
    },
    async cleanup() {
      db?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

let pgCount = 0;
attacks('PostgreSQL', async () => {
  const schema = `wasl_audit_${process.pid}_${pgCount++}`;
  await dropSchema(schema);
  const keys = AuditKeys.ephemeral();
  const pool = new Pool({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  return {
    async open() {
      const store = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys, shards: SHARDS } });
      Object.assign(store, { auditKeysForTests: keys });
      return store;
    },
    async sql(text: string) {
      return (await pool.query(text)).rows as Array<Record<string, unknown>>;
    },
    async cleanup() {
      await pool.end();
      await dropSchema(schema);
    },
  };
}, requirePostgres);

describe('audit trail: PostgreSQL shards', function () {
  this.timeout(30_000);
  const schema = `wasl_audit_shards_${process.pid}`;
  const keys = AuditKeys.ephemeral();
  let store: PostgresStore | undefined;
  let pool: Pool | undefined;
  before(async function () {
    await requirePostgres(this);
    await dropSchema(schema);
    store = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys, shards: SHARDS } });
    pool = new Pool({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  });
  after(async () => {
    await store?.close();
    await pool?.end();
    if (store) await dropSchema(schema);
  });

  it('concurrent transactions chain in their shards, text of every kind hashes as chain.ts does, and it holds', async () => {
    await Promise.all(Array.from({ length: 8 }, () => someHistory(store!)));
    await store!.appendAudit([
      { at: new Date().toISOString(), kind: 'operator.action', actor: "operator:o'brien\\x", subject: 'service:a"b', data: { note: 'سطر\nآخر \u0000 \\ \' "', n: 1.5, nested: { z: [1, 'b'], a: null } } },
      { at: new Date().toISOString(), kind: 'operator.action', actor: 'operator:maha', subject: 'editor', data: {} },
    ]);
    const v = await verifyTrail(store!, { keys, witness: [] });
    assert.equal(v.finding, undefined, JSON.stringify(v.finding));
    assert.equal(v.checked, 8 * 5 + 2);
    assert.ok(v.shards > 2, 'several shards');
  });

  it("an append waits only for its own shard's lock: an unrelated order's goes through while one is held", async () => {
    const a = await someHistory(store!);
    const sa = shardOf({ kind: 'order.step', subject: a }, SHARDS);
    // Another order, in another shard.
    let b = await someHistory(store!);
    while (shardOf({ kind: 'order.step', subject: b }, SHARDS) === sa) b = await someHistory(store!);
    const holder = await pool!.connect();
    const within = <T>(p: Promise<T>, what: string) => Promise.race([p, new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`${what} waited`)), 10_000))]);
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM audit_heads WHERE shard = $1 FOR UPDATE', [sa]);
      // b's shard is free: its append commits while a's shard is held.
      await within(store!.appendAudit([{ at: new Date().toISOString(), kind: 'order.step', actor: 'system:t', subject: b, data: { status: 'x' } }]), "an unrelated order's append");
      // a's shard is held: its append waits for the holder (seen waiting on a lock in the server).
      let done = false;
      const waiting = store!.appendAudit([{ at: new Date().toISOString(), kind: 'order.step', actor: 'system:t', subject: a, data: { status: 'y' } }]).then(() => (done = true));
      const blocked = async () => Number((await pool!.query<{ n: string }>('SELECT count(*) AS n FROM pg_locks WHERE NOT granted')).rows[0]!.n) > 0;
      for (let i = 0; i < 500 && !(await blocked()); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await blocked(), true, "a's append waits on its shard's lock");
      assert.equal(done, false);
      await holder.query('COMMIT');
      await within(waiting, "a's append after the holder committed");
    } finally {
      holder.release();
    }
    assert.equal((await verifyTrail(store!, { keys, witness: [] })).finding, undefined);
  });
});

describe('wasl audit (CLI)', function () {
  this.timeout(120_000);
  let dir: string;
  const env = () => {
    const e: NodeJS.ProcessEnv = { ...process.env, WASL_DATA_DIR: dir, WASL_LOG_LEVEL: 'silent' };
    for (const name of ['DATABASE_URL', 'AMQP_URL', 'WASL_SECRET', 'WASL_AUDIT_KEY', 'WASL_AUDIT_OLD_KEYS', 'WASL_AUDIT_SIGNING_KEY', 'WASL_AUDIT_WITNESS', 'WASL_AUDIT_TRUSTED_KEYS', 'WASL_ENV', 'WASL_CHANNEL_KEYS']) delete e[name];
    return e;
  };
  const run = (...args: string[]) => spawnSync(process.execPath, [join(REPO, 'bin', 'wasl.js'), 'audit', ...args], { env: env(), encoding: 'utf8', timeout: 60_000 });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wasl-audit-cli-'));
    const store = new SqliteStore({ file: join(dir, 'wasl.db'), audit: { keys: AuditKeys.from({ dataDir: dir }), shards: SHARDS } });
    await someHistory(store);
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('seal, verify (holds, exit 0), then a rechained edit is named (exit 1); export verifies offline with the public key', () => {
    const sealed = run('seal');
    assert.equal(sealed.status, 0, sealed.stdout + sealed.stderr);
    assert.match(sealed.stdout, /sealed 1: the heads of \d+ shards/);
    const ok = run('verify');
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /the audit trail holds: 5 records checked in 1 shard, against the witness/);
    assert.match(ok.stdout, /0 records after the last seal/);

    const pub = run('public-key').stdout.split('\n')[0]!;
    const out = join(dir, 'export.jsonl');
    const exported = run('export', '--out', out);
    assert.equal(exported.status, 0, exported.stdout + exported.stderr);
    const offline = spawnSync(process.execPath, [join(REPO, 'bin', 'wasl.js'), 'audit', 'verify', '--export', out, '--public-key', pub], { env: { ...env(), WASL_DATA_DIR: join(dir, 'elsewhere') }, encoding: 'utf8' });
    assert.equal(offline.status, 0, offline.stdout + offline.stderr);
    assert.match(offline.stdout, /the audit trail holds: 5 records checked/);

    const db = new Database(join(dir, 'wasl.db'));
    const row = db.prepare("SELECT shard, shard_seq FROM audit_log WHERE data LIKE '%cancelled%'").get() as { shard: number; shard_seq: number };
    db.prepare("UPDATE audit_log SET data = replace(data, 'cancelled', 'delivered') WHERE data LIKE '%cancelled%'").run();
    let prev = GENESIS;
    for (const r of db.prepare('SELECT * FROM audit_log WHERE shard = ? ORDER BY shard_seq').all(row.shard) as Array<Record<string, unknown>>) {
      const hash = hashOf(prev, { shard: Number(r.shard), shardSeq: Number(r.shard_seq), at: String(r.at), kind: r.kind as 'order.step', actor: String(r.actor), subject: String(r.subject), data: JSON.parse(String(r.data)) as Record<string, unknown> });
      db.prepare('UPDATE audit_log SET prev = ?, hash = ? WHERE seq = ?').run(prev, hash, r.seq);
      prev = hash;
    }
    db.close();
    const bad = run('verify');
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, new RegExp(`altered at ${row.shard}/${row.shard_seq}: .*MAC does not hold`));
  });
});

describe('audit trail: upgrading a database written before the keyed chains', function () {
  this.timeout(60_000);
  /** The unkeyed chain as wasl wrote it before (hub/audit/legacy.ts keeps its rule). */
  const legacy = (n: number) => {
    const out: Array<{ seq: number; at: string; kind: string; actor: string; subject: string; data: string; prev: string; hash: string }> = [];
    let prev = GENESIS;
    for (let seq = 1; seq <= n; seq++) {
      const r = { seq, at: `2026-11-0${seq}T10:00:00.000Z`, kind: 'order.step', actor: 'system:t', subject: `ord_old_${seq}`, data: { status: 'received' } };
      const hash = createHash('sha256').update(`${prev}\n${stringify(r)}`).digest('hex');
      out.push({ ...r, data: JSON.stringify(r.data), prev, hash });
      prev = hash;
    }
    return out;
  };

  it('SQLite: the old records stay, apart, and are verified by their own rule; new ones go to the shards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasl-audit-upgrade-'));
    try {
      const old = join(dir, 'migrations');
      mkdirSync(old);
      const all = join(REPO, 'hub', 'store', 'migrations', 'sqlite');
      for (const f of readdirSync(all).filter((f) => f < '009')) copyFileSync(join(all, f), join(old, f));
      const file = join(dir, 'wasl.db');
      const before = new SqliteDatabase(file);
      before.migrate('store', old);
      for (const r of legacy(3)) before.db.prepare('INSERT INTO audit_log (seq, at, kind, actor, subject, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(r.seq, r.at, r.kind, r.actor, r.subject, r.data, r.prev, r.hash);
      before.close();
      const keys = AuditKeys.ephemeral();
      const store = new SqliteStore({ file, audit: { keys, shards: SHARDS } });
      try {
        await someHistory(store);
        let v = await verifyTrail(store, { keys, witness: [] });
        assert.equal(v.finding, undefined);
        assert.deepEqual(v.legacy, { records: 3 });
        assert.equal(v.checked, 5);
        const db = new Database(file);
        db.prepare("UPDATE audit_log_v1 SET actor = 'operator:mallory' WHERE seq = 2").run();
        db.close();
        v = await verifyTrail(store, { keys, witness: [] });
        assert.deepEqual(v.legacy, { records: 3, brokenAt: 2 });
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: the same, and the old append function is gone', async function () {
    await requirePostgres(this);
    const schema = `wasl_audit_upgrade_${process.pid}`;
    await dropSchema(schema);
    const pool = new Pool({ connectionString: PG_URL });
    try {
      await pool.query(`CREATE SCHEMA ${schema}`);
      const c = await pool.connect();
      try {
        await c.query(`SET search_path = ${schema}`);
        await c.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
        const dir = join(REPO, 'hub', 'store', 'migrations', 'postgres');
        for (const f of readdirSync(dir).filter((f) => f < '010').sort()) {
          await c.query(readFileSync(join(dir, f), 'utf8'));
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [Number(f.slice(0, 3)), f.slice(4, -4)]);
        }
        for (const r of legacy(3)) await c.query('INSERT INTO audit_log (seq, at, kind, actor, subject, data, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [r.seq, r.at, r.kind, r.actor, r.subject, r.data, r.prev, r.hash]);
      } finally {
        c.release();
      }
      const keys = AuditKeys.ephemeral();
      const store = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys, shards: SHARDS } });
      try {
        await someHistory(store);
        const v = await verifyTrail(store, { keys, witness: [] });
        assert.equal(v.finding, undefined);
        assert.deepEqual(v.legacy, { records: 3 });
        assert.equal(v.checked, 5);
        const { rows } = await pool.query("SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'wasl_audit_append'");
        assert.equal(rows[0].n, 0);
      } finally {
        await store.close();
      }
    } finally {
      await pool.end();
      await dropSchema(schema);
    }
  });
});
