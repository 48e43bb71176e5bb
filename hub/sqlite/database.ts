/**
 * One SQLite database file shared by the store and the embedded bus, in WAL mode, with group
 * commit: the writes that arrive in one turn of the event loop, or while the last sync is under
 * way, share one transaction, each in its own savepoint so one failing write does not undo the
 * others.
 *
 * Durability: a write resolves only once its commit is on disk — as with synchronous=FULL — but
 * the fsync does not block the event loop. SQLite's FULL syncs the WAL inside COMMIT, on the
 * only thread, and a busy flow runtime commits a little on almost every turn: the end-to-end
 * profile showed a third of the hub's time blocked there. So the connection runs with
 * synchronous=OFF and this class syncs the WAL itself, with fdatasync on libuv's thread pool,
 * resolving the writes of every batch committed before that sync started; batches committed
 * meanwhile wait for the next sync, which covers them all (the WAL is written in order).
 *
 * What OFF would otherwise risk is the checkpoint: copying WAL frames into the database file
 * and then reusing the WAL, with neither synced. Automatic checkpoints are therefore off on this
 * connection. Every CHECKPOINT_EVERY batches or CHECKPOINT_WRITES writes a worker thread
 * checkpoints through a connection of its own with synchronous=FULL (WAL synced before, database
 * file after) — PASSIVE, beside the writers, and off the event loop, where its fsyncs blocked the
 * hub for milliseconds at a time.
 * This connection closes with FULL. A process that
 * crashes loses nothing it acknowledged (the OS holds the pages); a power loss loses at most the
 * batches whose sync had not completed — which no caller was told were written.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { privateFile, tightenFile } from '../private-files';

/** Page size of a database this class creates (docs/performance.md; `wasl` never changes an existing one's). */
export const PAGE_SIZE = 8192;

/** Batches between two checkpoints (SQLite's automatic one is every 1000 WAL pages). */
export const CHECKPOINT_EVERY = 500;
/**
 * Or writes: under heavy load batches grow (thousands of writes each) and 500 of them made a WAL
 * of gigabytes, through which every read then looks its pages up (GET by id 3x slower at 1M orders).
 */
export const CHECKPOINT_WRITES = 2_000;

/**
 * Frames the WAL may hold before a checkpoint that did not copy them all is followed by one that
 * holds new commits until it has (32 MB of 8 KB pages). SQLite writes the WAL from its start
 * again only once every frame is in the database file, and a PASSIVE checkpoint under steady load
 * never catches up with the commits made while it copies: the WAL grew without bound (bench:e2e,
 * 350 orders/s: 6.8 GB in 30 s, every commit extending the file).
 */
export const WAL_RESTART_FRAMES = 4096;
/** The longest a catch-up checkpoint holds commits (measured: 12 ms on average under bench:e2e's full load). */
export const MAX_HOLD_MS = 1_000;
/** What the WAL file is cut back to when SQLite starts it again (PRAGMA journal_size_limit): a burst's WAL does not stay. */
export const WAL_SIZE_LIMIT = 128 * 1024 * 1024;

/** Tests set smaller thresholds to see them reached. */
export interface SqliteDatabaseOptions {
  /** Default CHECKPOINT_EVERY. */
  checkpointEvery?: number;
  /** Default CHECKPOINT_WRITES. */
  checkpointWrites?: number;
  /** Default WAL_RESTART_FRAMES. */
  walRestartFrames?: number;
  /** Default MAX_HOLD_MS. */
  maxHoldMs?: number;
}

/** SqliteDatabase.checkpointStats. */
export interface CheckpointStats {
  /** Checkpoints the worker answered, failed ones included. */
  completed: number;
  /** Of which catch-ups (commits held while they ran). */
  catchUps: number;
  /** Checkpoints that failed, or died with their thread. */
  failed: number;
  lastError?: string;
}

/** What the checkpointer thread reports: SQLite's own figures, in WAL frames. */
interface CheckpointReply {
  done: true;
  /** Frames in the WAL when it ran. */
  log?: number;
  /** Of which in the database file now. */
  checkpointed?: number;
  error?: string;
}

/** The checkpointer thread: its own connection, synchronous=FULL, one PASSIVE checkpoint per message. */
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = FULL');
db.pragma('wal_autocheckpoint = 0');
parentPort.on('message', () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ done: true, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ done: true, error: String(err && err.message || err) });
  }
});
`;

interface Job {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** Set inside the batch; settled only once the batch is committed. */
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
  /** Registered by the write itself (afterWrite). */
  after?: AfterWrite[];
}

interface AfterWrite {
  durable: () => void;
  dropped: () => void;
}

/** Runs callbacks that must not throw; one that does is reported, and the others still run. */
function runEach(callbacks: Array<() => void>): void {
  for (const cb of callbacks) {
    try {
      cb();
    } catch (err) {
      process.emitWarning(`SqliteDatabase: a callback after a write threw: ${(err as Error).message}`);
    }
  }
}

export class SqliteDatabase {
  readonly db: Database.Database;
  private queue: Job[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly commitBatch: Database.Transaction<(jobs: Job[]) => void>;
  private readonly afterCommit: Array<() => void> = [];
  private readonly afterRollback: Array<() => void> = [];
  /** The write whose function is running (afterWrite). */
  private running?: Job;
  /** The WAL, for fdatasync; undefined in memory. */
  private walFd?: number;
  /** Committed, waiting for a sync that started after their commit. */
  private unsynced: Job[] = [];
  /** Covered by the sync under way; undefined when none is. */
  private covering?: Job[];
  /** Set when a sync failed: what the OS holds is then unknown, and no write is acknowledged again. */
  private failed?: Error;
  private batchesSinceCheckpoint = 0;
  private writesSinceCheckpoint = 0;
  private checkpointer?: Worker;
  private checkpointing = false;
  private checkpoints = 0;
  private commitCount = 0;
  private writeCount = 0;
  private checkpointError?: string;
  private checkpointFailures = 0;
  /** A checkpoint is copying the WAL's last frames: commits wait for it, so that SQLite can start the WAL again. */
  private holding = false;
  private catchUps = 0;
  private holds = 0;
  private readonly maxHoldMs: number;
  private readonly checkpointEvery: number;
  private readonly checkpointWrites: number;
  private readonly walRestartFrames: number;
  private readonly flushNow = () => this.flush();

  /** A file path, or ':memory:' for tests. */
  constructor(
    readonly file: string,
    options: SqliteDatabaseOptions = {},
  ) {
    this.checkpointEvery = options.checkpointEvery ?? CHECKPOINT_EVERY;
    this.checkpointWrites = options.checkpointWrites ?? CHECKPOINT_WRITES;
    this.walRestartFrames = options.walRestartFrames ?? WAL_RESTART_FRAMES;
    this.maxHoldMs = options.maxHoldMs ?? MAX_HOLD_MS;
    const onDisk = file !== ':memory:';
    if (onDisk) {
      // Citizens' data: the file is made owner-only before SQLite opens it, and SQLite gives its
      // -wal and -shm the database file's own mode.
      privateFile(file);
      tightenFile(`${file}-wal`);
      tightenFile(`${file}-shm`);
    }
    this.db = new Database(file);
    // Before anything is written (a database that exists keeps its own): the orders table is
    // WITHOUT ROWID, whose rows are kept inline only up to about a quarter of a page. An order's
    // document (1.3 KB for a civil-registry extract) then spilled to an overflow page of its own
    // with 4 KB pages: 6 KB on disk per order, and each read and status update went through
    // two pages. With 8 KB it fits (up to about 2 KB): reading an order by id 43 -> 13 us,
    // bench:e2e's hub 2.9 -> 2.1 ms of CPU per order; 16 KB pages measured worse (each dirty page
    // is written whole to the WAL).
    this.db.pragma(`page_size = ${PAGE_SIZE}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(onDisk ? 'synchronous = OFF' : 'synchronous = FULL');
    if (onDisk) {
      this.db.pragma('wal_autocheckpoint = 0');
      this.db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    }
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Savepoints (one per write in a group commit) need a statement journal: in memory, not a
    // temp file per batch. Measured +13% intake.
    this.db.pragma('temp_store = MEMORY');
    const savepoint = this.db.transaction((job: Job) => job.run());
    this.commitBatch = this.db.transaction((jobs: Job[]) => {
      for (const job of jobs) {
        this.running = job;
        try {
          job.outcome = { ok: true, value: savepoint(job) };
        } catch (error) {
          job.outcome = { ok: false, error };
          // Its savepoint rolled back: what it remembered of its effects is untrue.
          if (this.afterRollback.length) runEach(this.afterRollback);
        } finally {
          this.running = undefined;
        }
      }
    });
    if (onDisk) {
      // The WAL exists once a transaction has run; its directory entry is made durable once.
      this.db.prepare('SELECT count(*) FROM sqlite_master').get();
      this.walFd = fs.openSync(`${file}-wal`, 'r+');
      const dirFd = fs.openSync(dirname(file), 'r');
      try {
        fs.fsyncSync(dirFd);
      } finally {
        fs.closeSync(dirFd);
      }
    }
  }

  /** Runs `fn` inside the next group commit; resolves once the commit is on disk. */
  write<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushNow);
      }
    });
  }

  /**
   * Inside a write: `durable` runs once that write is on disk, just before its promise resolves;
   * `dropped` instead if the write fails or never reaches the disk. For work that may start only
   * once a write is durable, started without waiting for a later turn (the embedded bus hands a
   * message it queued to a consumer of this process this way). Neither may throw.
   */
  afterWrite(durable: () => void, dropped: () => void): void {
    if (!this.running) throw new Error('afterWrite is for use inside a write');
    (this.running.after ??= []).push({ durable, dropped });
  }

  /** Refuses a write that ran or was queued, and drops what it asked to run after it. */
  private fail(job: Job, error: unknown): void {
    job.reject(error);
    if (job.after) runEach(job.after.map((a) => a.dropped));
  }

  /**
   * Called when a write failed and its savepoint was rolled back, or a batch's commit failed and
   * SQLite rolled every write of it back: for what a write remembered of its own effects
   * (SqliteOrders keeps the orders it wrote), now untrue.
   */
  onRollback(listener: () => void): void {
    this.afterRollback.push(listener);
  }

  /** Called after every commit that wrote something, once it is on disk (the relay listens, to move the outbox at once). */
  onCommit(listener: () => void): void {
    this.afterCommit.push(listener);
  }

  private flush(force = false): void {
    // While a sync is under way, writes wait for it and commit together after it: a write
    // committed now would wait for the next sync all the same, and one commit of many writes
    // costs far less than many commits (each writes every page it dirtied to the WAL).
    if ((this.covering || this.holding) && !force) return;
    this.flushScheduled = false;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    try {
      // IMMEDIATE: the write lock is taken at BEGIN, waiting for another process's commit
      // (busy_timeout) if need be. A deferred batch that read first and then found that another
      // process had committed meanwhile could not upgrade its snapshot: SQLITE_BUSY at once, no
      // wait, every write of the batch refused (seen with two hubs on one file).
      this.commitBatch.immediate(jobs);
    } catch (err) {
      // The commit itself failed (disk full, I/O error): nothing in the batch was written.
      runEach(this.afterRollback);
      for (const job of jobs) this.fail(job, err);
      return;
    }
    this.commitCount++;
    this.writeCount += jobs.length;
    if (this.walFd === undefined) {
      this.settle(jobs);
      return;
    }
    for (const job of jobs) this.unsynced.push(job);
    this.writesSinceCheckpoint += jobs.length;
    if (++this.batchesSinceCheckpoint >= this.checkpointEvery || this.writesSinceCheckpoint >= this.checkpointWrites) this.checkpoint();
    if (!this.covering) this.sync();
  }

  /** One fdatasync of the WAL for every batch committed so far; the next covers what comes meanwhile. */
  private sync(): void {
    const covered = this.unsynced;
    this.unsynced = [];
    this.covering = covered;
    fs.fdatasync(this.walFd!, (err) => {
      // close() synced and settled everything itself.
      if (this.closed) return;
      this.covering = undefined;
      if (err) {
        // As PostgreSQL learnt: after a failed fsync the OS may have dropped the dirty pages, so a
        // retry that succeeds proves nothing. Refuse every write from now on; a restart recovers
        // from what is on disk.
        this.failed = new Error(`the database could not be synced to disk (${err.code ?? err.message}); restart the hub`);
        // Writes waiting for this sync to end were never run: refused as well.
        for (const job of [...covered, ...this.unsynced, ...this.queue]) this.fail(job, this.failed);
        this.unsynced = [];
        this.queue = [];
        this.flushScheduled = false;
        return;
      }
      this.settle(covered);
      if (this.unsynced.length) this.sync();
      else if (this.flushScheduled) this.flush();
    });
  }

  private settle(jobs: Job[]): void {
    if (jobs.length === 0) return;
    for (const job of jobs) {
      if (!job.outcome?.ok) this.fail(job, job.outcome?.error);
      else {
        if (job.after) runEach(job.after.map((a) => a.durable));
        job.resolve(job.outcome.value);
      }
    }
    for (const listener of this.afterCommit) listener();
  }

  /**
   * Copies the WAL into the database file with synchronous=FULL, so that the WAL is synced
   * before and the database file after: only then may SQLite reuse the WAL from its start.
   * PASSIVE: never waits for another process's readers (what they still need is copied next time).
   */
  private checkpoint(): void {
    if (this.checkpointing) return;
    this.batchesSinceCheckpoint = 0;
    this.writesSinceCheckpoint = 0;
    if (!this.checkpointer) {
      this.checkpointer = new Worker(CHECKPOINTER, { eval: true, workerData: { file: this.file } });
      this.checkpointer.unref();
      this.checkpointer.on('message', (m: CheckpointReply) => this.checkpointed(m));
      // A checkpointer that died takes its checkpoint with it; the next one starts a new thread.
      this.checkpointer.on('error', (err) => {
        this.checkpointError = err.message;
        this.checkpointFailures++;
        this.checkpointing = false;
        this.checkpointer = undefined;
        this.release();
      });
    }
    this.checkpointing = true;
    this.checkpointer.postMessage('checkpoint');
  }

  private checkpointed(m: CheckpointReply): void {
    this.checkpointing = false;
    this.checkpoints++;
    if (m.error) {
      this.checkpointError = m.error;
      this.checkpointFailures++;
    }
    if (this.holding) {
      this.catchUps++;
      // Whether or not it copied everything (another process's reader can keep frames from it),
      // commits go on: the next catch-up tries again.
      this.release();
      return;
    }
    if (!this.closed && m.log !== undefined && m.log >= this.walRestartFrames) {
      // SQLite reports the frames as of the checkpoint's start: under load, commits made while it
      // copied follow them. Copy those too with none made meanwhile (one checkpoint's time of
      // commits, so the pause is short); the next commit then writes the WAL from its start.
      this.holding = true;
      this.checkpoint();
      // Commits never wait on the checkpointer for long, whatever keeps it (a disk that stalls it stalls the syncs as well).
      const hold = ++this.holds;
      setTimeout(() => hold === this.holds && this.release(), this.maxHoldMs).unref();
    }
  }

  /** Lets commits go on after a catch-up checkpoint. */
  private release(): void {
    if (!this.holding) return;
    this.holding = false;
    if (this.flushScheduled && !this.covering && !this.closed) this.flush();
  }

  /** The WAL file's size on disk (0 in memory or once closed): what checkpoints that cannot catch up let grow. */
  get walBytes(): number {
    if (this.walFd === undefined || this.closed) return 0;
    try {
      return fs.fstatSync(this.walFd).size;
    } catch {
      return 0;
    }
  }

  /** Group commits so far (bench:e2e's SQL count). */
  get commits(): number {
    return this.commitCount;
  }

  /**
   * Writes committed so far, each in its own savepoint: how many commits there would be if no
   * two shared one. How many do share one depends on timing; this does not (test/hub/order-cost.test.ts).
   */
  get writes(): number {
    return this.writeCount;
  }

  /** Checkpoints answered by the worker (of which catch-ups that held commits), those that failed, and the last error (tests, metrics). */
  get checkpointStats(): CheckpointStats {
    return { completed: this.checkpoints, catchUps: this.catchUps, failed: this.checkpointFailures, ...(this.checkpointError ? { lastError: this.checkpointError } : {}) };
  }

  /**
   * Applies NNN_name.sql files from `dir` once each, recorded under `namespace`, with the write
   * lock taken first so two processes starting together do not both migrate.
   */
  migrate(namespace: string, dir: string): void {
    const db = this.db;
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const migrations = fs.readdirSync(dir)
      .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
      .sort()
      .map((f) => ({ version: Number(f.slice(0, 3)), name: `${namespace}:${f.slice(4, -4)}`, sql: fs.readFileSync(join(dir, f), 'utf8') }));
    const apply = db.transaction(() => {
      const done = new Set(db.prepare<[], { name: string }>('SELECT name FROM schema_migrations').all().map((r) => r.name));
      for (const m of migrations) {
        if (done.has(m.name)) continue;
        db.exec(m.sql);
        const next = (db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_migrations').get()?.v ?? 0) + 1;
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(next, m.name, new Date().toISOString());
      }
    });
    apply.immediate();
  }

  close(): void {
    if (this.closed) return;
    // Let writes already queued reach the disk before closing.
    if (this.queue.length) this.flush(true);
    this.closed = true;
    // Stopping mid-checkpoint is safe (SQLite's checkpoint survives a crash); the last one is
    // this connection's own, as it closes with FULL below.
    void this.checkpointer?.terminate();
    this.checkpointer = undefined;
    if (this.walFd !== undefined) {
      const waiting = [...(this.covering ?? []), ...this.unsynced];
      this.covering = undefined;
      this.unsynced = [];
      try {
        fs.fdatasyncSync(this.walFd);
        this.settle(waiting);
      } catch (err) {
        for (const job of waiting) this.fail(job, err);
      }
      // SQLite checkpoints the WAL into the database file as the last connection closes: synced.
      this.db.pragma('synchronous = FULL');
      fs.closeSync(this.walFd);
    }
    this.db.close();
  }
}
