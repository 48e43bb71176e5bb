/**
 * The shared SQLite database's durability rules (hub/sqlite/database.ts): a write resolves only
 * once an fdatasync of the WAL that started after its commit has completed; a failed sync
 * refuses what it covered and every later write; the WAL reaches the database file through the
 * class's own checkpoints; close() syncs what is pending.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { CHECKPOINT_EVERY, CHECKPOINT_WRITES, PAGE_SIZE, SqliteDatabase } from '../../hub/sqlite/database';
import { until } from './bus/contract';

type SyncCallback = (err: NodeJS.ErrnoException | null) => void;

describe('SQLite database: group commit with the WAL synced off the event loop', () => {
  let dir: string;
  let file: string;
  let db: SqliteDatabase | undefined;
  const realFdatasync = fs.fdatasync;
  /** Syncs asked for and not yet let through. */
  let held: SyncCallback[];

  const holdSyncs = () => {
    held = [];
    (fs as { fdatasync: unknown }).fdatasync = (_fd: number, cb: SyncCallback) => void held.push(cb);
  };
  const release = (err: NodeJS.ErrnoException | null = null) => {
    const cb = held.shift();
    assert.ok(cb, 'a sync was asked for');
    realFdatasync(db!['walFd' as keyof SqliteDatabase] as unknown as number, (e) => cb(err ?? e));
  };
  const settled = async (p: Promise<unknown>) => {
    let done = false;
    p.then(() => (done = true), () => (done = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    return done;
  };
  const turn = () => new Promise((r) => setImmediate(r));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wasl-sqlite-'));
    file = join(dir, 'test.db');
    db = new SqliteDatabase(file);
    db.db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  });
  afterEach(() => {
    (fs as { fdatasync: unknown }).fdatasync = realFdatasync;
    try {
      db?.close();
    } catch {
      // a test closed it
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (v: string) => db!.write(() => db!.db.prepare('INSERT INTO t (v) VALUES (?)').run(v).lastInsertRowid);

  it('resolves a write only once a sync that started after its commit has completed, and is SQLite-synchronous OFF meanwhile', async () => {
    assert.equal(db!.db.pragma('synchronous', { simple: true }), 0, 'SQLite itself does not sync on commit');
    holdSyncs();
    const a = insert('a');
    await turn();
    assert.equal(held.length, 1, 'the commit asked for a sync');
    assert.equal(await settled(a), false, 'committed, not yet on disk: not acknowledged');
    // Committed while the first sync is under way: waits for the next one, not this one.
    const b = insert('b');
    await turn();
    assert.equal(held.length, 1, 'one sync at a time');
    release();
    assert.equal(await a, 1);
    assert.equal(await settled(b), false, 'b was committed after the first sync started');
    await turn();
    assert.equal(held.length, 1, 'the next sync started for b');
    release();
    assert.equal(await b, 2);
  });

  it('holds writes that arrive during a sync and commits them together once it ends', async () => {
    holdSyncs();
    const count = () => (db!.db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
    const a = insert('a');
    await turn();
    assert.equal(count(), 1, 'a is committed before its sync');
    const b = insert('b');
    await turn();
    const c = insert('c');
    await turn();
    assert.equal(count(), 1, 'b and c wait for the sync under way instead of committing beside it');
    assert.equal(held.length, 1);
    const walBefore = statSync(`${file}-wal`).size;
    release();
    assert.equal(await a, 1);
    for (let i = 0; i < 5 && !held.length; i++) await turn();
    assert.equal(count(), 3, 'b and c committed once the sync ended');
    assert.equal(held.length, 1, 'one sync covers both');
    // One transaction: the table's one page went to the WAL once (a frame is 24 bytes + a page).
    const page = Number(db!.db.pragma('page_size', { simple: true }));
    assert.ok(statSync(`${file}-wal`).size - walBefore <= 2 * (page + 24), 'one commit for b and c');
    assert.equal(await settled(b), false, 'not acknowledged before their own sync');
    release();
    assert.deepEqual([await b, await c], [2, 3]);
  });

  it('refuses, without running them, writes waiting on a sync that failed', async () => {
    holdSyncs();
    const a = insert('a');
    await turn();
    let ran = false;
    const b = db!.write(() => (ran = true));
    await turn();
    release(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    await assert.rejects(a, /could not be synced to disk \(EIO\)/);
    await assert.rejects(b, /could not be synced to disk/);
    assert.equal(ran, false, 'b never ran');
  });

  it('refuses what a failed sync covered and every write after it', async () => {
    holdSyncs();
    const a = insert('a');
    await turn();
    const b = insert('b');
    await turn();
    release(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    await assert.rejects(a, /could not be synced to disk \(EIO\)/);
    await assert.rejects(b, /could not be synced to disk/);
    await assert.rejects(insert('c'), /could not be synced to disk/);
  });

  it('still settles each write of a batch by its own outcome', async () => {
    const ok = insert('fine');
    const bad = db!.write(() => db!.db.prepare('INSERT INTO t (v) VALUES (?)').run(null));
    assert.equal(await ok, 1);
    await assert.rejects(bad, /NOT NULL/);
    assert.deepEqual(db!.db.prepare('SELECT v FROM t').all(), [{ v: 'fine' }]);
  });

  describe('work registered to run after a write (afterWrite)', () => {
    /** A write of `v` that registers both callbacks first, each recording itself in `events`. */
    const recording = (events: string[], v: string | null, name = '') =>
      db!.write(() => {
        db!.afterWrite(
          () => events.push(`${name}durable`),
          () => events.push(`${name}dropped`),
        );
        db!.db.prepare('INSERT INTO t (v) VALUES (?)').run(v);
      });

    it('runs once the write is on disk, before its promise resolves, never before the sync', async () => {
      holdSyncs();
      const events: string[] = [];
      const a = recording(events, 'a');
      void a.then(() => events.push('resolved'));
      await turn();
      assert.equal(held.length, 1);
      assert.deepEqual(events, [], 'committed but not synced: nothing runs yet');
      release();
      await a;
      assert.deepEqual(events, ['durable', 'resolved']);
    });

    it("drops it, and not another write's, when its own write fails in a shared batch", async () => {
      const events: string[] = [];
      const ok = recording(events, 'ok', 'ok ');
      const bad = recording(events, null, 'bad ');
      await ok;
      await assert.rejects(bad, /NOT NULL/);
      assert.deepEqual(events.sort(), ['bad dropped', 'ok durable']);
    });

    it('drops it when the sync that would have covered the write fails', async () => {
      holdSyncs();
      const events: string[] = [];
      const a = recording(events, 'a');
      await turn();
      release(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
      await assert.rejects(a, /could not be synced to disk/);
      assert.deepEqual(events, ['dropped']);
    });

    it('is refused outside a write', () => {
      assert.throws(
        () =>
          db!.afterWrite(
            () => undefined,
            () => undefined,
          ),
        /inside a write/,
      );
    });
  });

  it('moves the WAL into the database file with a checkpoint on its own thread every CHECKPOINT_EVERY batches', async () => {
    const blob = 'x'.repeat(8_000);
    for (let i = 0; i < CHECKPOINT_EVERY - 1; i++) await insert(blob);
    const before = statSync(file).size;
    assert.ok(statSync(`${file}-wal`).size > 3_000_000, 'the rows are in the WAL');
    assert.ok(before < 100_000, `no automatic checkpoint copied them yet (database file ${before} bytes)`);
    assert.equal(db!.checkpointStats.completed, 0);
    await insert(blob);
    await until(() => db!.checkpointStats.completed > 0, 10_000, 'a checkpoint');
    assert.deepEqual(db!.checkpointStats, { completed: 1, catchUps: 0, failed: 0 });
    const after = statSync(file).size;
    assert.ok(after > 3_000_000, `the checkpoint copied them into the database file (${after} bytes)`);
    assert.equal(db!.db.pragma('synchronous', { simple: true }), 0, 'this connection still OFF');
    // Writes go on, and the WAL is reused from its start rather than growing without end.
    const walBefore = statSync(`${file}-wal`).size;
    for (let i = 0; i < 100; i++) await insert(blob);
    assert.ok(statSync(`${file}-wal`).size <= walBefore, 'the WAL was restarted after the checkpoint');
  });

  it('checkpoints after CHECKPOINT_WRITES writes too, however few the batches that carried them', async () => {
    const row = 'y'.repeat(200);
    await Promise.all(Array.from({ length: CHECKPOINT_WRITES - 1 }, () => insert(row)));
    assert.equal(db!.checkpointStats.completed, 0, 'fewer writes, and far fewer than CHECKPOINT_EVERY batches');
    await insert(row);
    await until(() => db!.checkpointStats.completed > 0, 10_000, 'a checkpoint');
    assert.deepEqual(db!.checkpointStats, { completed: 1, catchUps: 0, failed: 0 });
    assert.ok(statSync(file).size > CHECKPOINT_WRITES * 200, 'the rows were copied into the database file');
  });

  it('keeps the WAL bounded under writes that never pause: a checkpoint that found it large holds commits until it has copied the rest', async () => {
    db!.close();
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'wasl-sqlite-'));
    file = join(dir, 'test.db');
    // Small thresholds so the test reaches them: a checkpoint every 20 writes, a catch-up once the WAL holds 64 frames.
    db = new SqliteDatabase(file, { checkpointWrites: 20, walRestartFrames: 64 });
    db.db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const blob = 'z'.repeat(6_000);
    const total = 6_000;
    // Eight writers, each queueing its next write as soon as the last one is durable: a commit is
    // always under way or queued, so a PASSIVE checkpoint alone never finds the WAL still.
    let issued = 0;
    let largestWal = 0;
    const writer = async () => {
      while (issued < total) {
        issued++;
        await insert(blob);
        largestWal = Math.max(largestWal, statSync(`${file}-wal`).size);
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    const written = total * PAGE_SIZE;
    const stats = db!.checkpointStats;
    assert.ok(stats.catchUps > 0, `catch-up checkpoints ran (${JSON.stringify(stats)})`);
    assert.equal(stats.lastError, undefined);
    // Each write dirties at least a page of its own: 6,000 pages (49 MB) went through the WAL.
    assert.ok(largestWal < written / 4, `the WAL stayed at ${largestWal} bytes for ${written} bytes of pages written through it`);
    db!.close();
    const again = new Database(file, { readonly: true });
    try {
      assert.equal((again.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, total, 'every write is there');
    } finally {
      again.close();
    }
  });

  it('lets commits go on after MAX_HOLD_MS when a catch-up checkpoint does not answer', async () => {
    db!.close();
    db = new SqliteDatabase(join(dir, 'stalled.db'), { walRestartFrames: 1, maxHoldMs: 50 });
    db.db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await insert('before');
    // A checkpointer that takes the catch-up and never answers (a stalled disk, say).
    const internals = db as unknown as { checkpoint: () => void; checkpointing: boolean; checkpointed: (m: object) => void };
    internals.checkpoint = function (this: typeof internals) {
      this.checkpointing = true;
    };
    internals.checkpointed({ done: true, log: 10, checkpointed: 10 });
    const started = Date.now();
    const held = insert('held');
    assert.equal(await settled(held), false, 'the write waits while the catch-up holds commits');
    assert.equal(await held, 2);
    assert.ok(Date.now() - started >= 40, 'released by the timer');
  });

  it('syncs and settles what is pending when closed, and the rows are there on reopening', async () => {
    holdSyncs();
    const a = insert('a');
    await turn();
    const b = insert('b');
    db!.close();
    assert.equal(await a, 1);
    assert.equal(await b, 2);
    await assert.rejects(insert('c'), /closed/);
    // A sync callback arriving after close() changes nothing.
    held.shift()?.(null);
    const again = new Database(file, { readonly: true });
    try {
      assert.deepEqual(again.prepare('SELECT v FROM t ORDER BY id').all(), [{ v: 'a' }, { v: 'b' }]);
    } finally {
      again.close();
    }
  });

  it('creates a database with 8 KB pages, so an order document of up to about 2 KB stays inline in the WITHOUT ROWID orders table', () => {
    assert.equal(PAGE_SIZE, 8192);
    assert.deepEqual(db!.db.pragma('page_size'), [{ page_size: PAGE_SIZE }]);
    const t = db!.db;
    t.exec('CREATE TABLE docs (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID');
    const doc = 'x'.repeat(1800);
    t.prepare('INSERT INTO docs VALUES (?, ?)').run('ord_1', doc);
    // No overflow page: the table is its root page alone.
    assert.deepEqual(t.prepare("SELECT count(*) AS n FROM dbstat WHERE name = 'docs'").get(), { n: 1 });
    assert.equal((t.prepare('SELECT doc FROM docs WHERE id = ?').get('ord_1') as { doc: string }).doc, doc);
  });

  it('keeps the page size of a database that exists, and works with it', async () => {
    db!.close();
    const old = join(dir, 'old.db');
    const raw = new Database(old);
    raw.pragma('page_size = 4096');
    raw.pragma('journal_mode = WAL');
    raw.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t (v) VALUES ('before')");
    raw.close();
    db = new SqliteDatabase(old);
    assert.deepEqual(db.db.pragma('page_size'), [{ page_size: 4096 }]);
    await db.write(() => db!.db.prepare('INSERT INTO t (v) VALUES (?)').run('after'));
    assert.deepEqual(db.db.prepare('SELECT v FROM t ORDER BY id').all(), [{ v: 'before' }, { v: 'after' }]);
  });

  it('waits for another process that holds the write lock, also in a write that reads first, instead of failing with SQLITE_BUSY', async () => {
    const holder = join(__dirname, '..', 'fixtures', 'sqlite', 'lock-holder.ts');
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', holder, file, '300'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await until(() => out.includes('locked') || child.exitCode !== null, 20_000, 'the other process to take the write lock');
      assert.ok(out.includes('locked'), 'the other process holds the write lock');
      // A deferred transaction would take its snapshot at the SELECT and could not upgrade it
      // once the other process had committed.
      const id = await db!.write(() => {
        const n = (db!.db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
        return db!.db.prepare('INSERT INTO t (v) VALUES (?)').run(`after ${n}`).lastInsertRowid;
      });
      assert.equal(id, 2);
      assert.deepEqual(db!.db.prepare('SELECT v FROM t ORDER BY id').all(), [{ v: 'other process' }, { v: 'after 1' }]);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('keeps an in-memory database synchronous, with no WAL to sync', async () => {
    const mem = new SqliteDatabase(':memory:');
    try {
      mem.db.exec('CREATE TABLE t (v TEXT)');
      await mem.write(() => mem.db.prepare('INSERT INTO t VALUES (?)').run('x'));
      assert.deepEqual(mem.db.prepare('SELECT count(*) AS n FROM t').get(), { n: 1 });
    } finally {
      mem.close();
    }
  });
});
