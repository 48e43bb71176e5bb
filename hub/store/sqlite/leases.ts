/** Leases on SQLite: one holder at a time, until it releases or its lease runs out. */
import type { SqliteDatabase } from '../../sqlite/database';
import type { LeaseStore } from '../store';

export class SqliteLeases implements LeaseStore {
  private readonly stmt;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.stmt = {
      lease: db.prepare(
        `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at < ?`,
      ),
      release: db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?'),
    };
  }

  tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.database.write(() => {
      const now = Date.now();
      return this.stmt.lease.run(name, holder, now + ttlMs, now).changes > 0;
    });
  }

  releaseLease(name: string, holder: string): Promise<void> {
    return this.database.write(() => {
      this.stmt.release.run(name, holder);
    });
  }
}
