/** The audit trail on SQLite: the hash chain (hub/audit/chain.ts), kept in order by the single writer, and the seals of its days. */
import { chain, type AuditEntry, type AuditRecord, type AuditSeal } from '../../audit/chain';
import type { SqliteDatabase } from '../../sqlite/database';
import type { AuditQuery, AuditStore } from '../store';

export class SqliteAudit implements AuditStore {
  private readonly stmt;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.stmt = {
      auditHead: db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1'),
      insertAudit: db.prepare('INSERT INTO audit_log (seq, at, kind, actor, subject, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    };
  }

  /** Inside a write (an order step's, or appendAudit's): the single writer keeps the chain in order. */
  appendWithin(entry: AuditEntry): void {
    const r = chain(this.stmt.auditHead.get(), entry);
    this.stmt.insertAudit.run(r.seq, r.at, r.kind, r.actor, r.subject, JSON.stringify(r.data), r.prev, r.hash);
  }

  appendAudit(entries: AuditEntry[]): Promise<void> {
    return this.database.write(() => {
      for (const e of entries) this.appendWithin(e);
    });
  }

  async readAudit(q: AuditQuery): Promise<AuditRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      args.push(...values);
    };
    if (q.afterSeq !== undefined) add('seq > ?', q.afterSeq);
    if (q.from) add('at >= ?', q.from.toISOString());
    if (q.to) add('at < ?', q.to.toISOString());
    if (q.subject) add('subject = ?', q.subject);
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
    const rows = this.database.db.prepare<unknown[], Omit<AuditRecord, 'data'> & { data: string }>(sql).all(...args, q.limit);
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  async listOperatorActions(q: { beforeSeq?: number; limit: number }): Promise<AuditRecord[]> {
    // The kind is written out, not bound: SQLite uses a partial index only when the query's WHERE visibly implies the index's.
    const sql = `SELECT * FROM audit_log INDEXED BY audit_log_operator_actions WHERE kind = 'operator.action'${q.beforeSeq !== undefined ? ' AND seq < ?' : ''} ORDER BY seq DESC LIMIT ?`;
    const args = q.beforeSeq !== undefined ? [q.beforeSeq, q.limit] : [q.limit];
    const rows = this.database.db.prepare<unknown[], Omit<AuditRecord, 'data'> & { data: string }>(sql).all(...args);
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  sealAuditDay(seal: AuditSeal): Promise<boolean> {
    return this.database.write(() => this.database.db.prepare('INSERT OR IGNORE INTO audit_seals (day, last_seq, hash, sealed_at) VALUES (?, ?, ?, ?)').run(seal.day, seal.lastSeq, seal.hash, seal.sealedAt).changes === 1);
  }

  async auditSeals(): Promise<AuditSeal[]> {
    return this.database.db.prepare<[], AuditSeal>('SELECT day, last_seq AS lastSeq, hash, sealed_at AS sealedAt FROM audit_seals ORDER BY day').all();
  }
}
