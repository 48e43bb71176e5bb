/**
 * One SQLite database file shared by the store and the embedded bus: WAL with
 * synchronous=FULL, so what is acknowledged is on disk, and group commit — every write that
 * arrives in one turn of the event loop shares one transaction and one fsync, each in its own
 * savepoint so one failing write does not undo the others.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Job {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** Set inside the batch; settled only once the batch is committed. */
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

export class SqliteDatabase {
  readonly db: Database.Database;
  private queue: Job[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly commitBatch: (jobs: Job[]) => void;
  private readonly afterCommit: Array<() => void> = [];

  /** A file path, or ':memory:' for tests. */
  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Savepoints (one per write in a group commit) need a statement journal: in memory, not a
    // temp file per batch. Measured +13% intake.
    this.db.pragma('temp_store = MEMORY');
    const savepoint = this.db.transaction((job: Job) => job.run());
    this.commitBatch = this.db.transaction((jobs: Job[]) => {
      for (const job of jobs) {
        try {
          job.outcome = { ok: true, value: savepoint(job) };
        } catch (error) {
          job.outcome = { ok: false, error };
        }
      }
    });
  }

  /** Runs `fn` inside the next group commit; resolves once the commit is on disk. */
  write<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Called after every commit that wrote something (the relay listens, to move the outbox at once). */
  onCommit(listener: () => void): void {
    this.afterCommit.push(listener);
  }

  private flush(): void {
    this.flushScheduled = false;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    try {
      this.commitBatch(jobs);
    } catch (err) {
      // The commit itself failed (disk full, I/O error): nothing in the batch was written.
      for (const job of jobs) job.reject(err);
      return;
    }
    for (const job of jobs) {
      if (job.outcome?.ok) job.resolve(job.outcome.value);
      else job.reject(job.outcome?.error);
    }
    for (const listener of this.afterCommit) listener();
  }

  /**
   * Applies NNN_name.sql files from `dir` once each, recorded under `namespace`, with the write
   * lock taken first so two processes starting together do not both migrate.
   */
  migrate(namespace: string, dir: string): void {
    const db = this.db;
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const migrations = readdirSync(dir)
      .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
      .sort()
      .map((f) => ({ version: Number(f.slice(0, 3)), name: `${namespace}:${f.slice(4, -4)}`, sql: readFileSync(join(dir, f), 'utf8') }));
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
    if (this.queue.length) this.flush();
    this.closed = true;
    this.db.close();
  }
}
