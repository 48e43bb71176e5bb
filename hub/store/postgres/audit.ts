/** The audit trail on PostgreSQL: one hash chain for every process (appended with each COMMIT: database.ts), and the seals of its days. */
import type { Pool } from 'pg';
import type { AuditEntry, AuditRecord, AuditSeal } from '../../audit/chain';
import type { AuditQuery, AuditStore } from '../store';
import type { PgDatabase } from './database';

export class PgAudit implements AuditStore {
  private readonly pool: Pool;

  constructor(private readonly database: PgDatabase) {
    this.pool = database.pool;
  }

  async appendAudit(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.database.tx(async (c) => {
      for (const e of entries) this.database.audit(c, e);
    });
  }

  async readAudit(q: AuditQuery): Promise<AuditRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.afterSeq !== undefined) add('seq > ?', q.afterSeq);
    if (q.from) add('at >= ?', q.from.toISOString());
    if (q.to) add('at < ?', q.to.toISOString());
    if (q.subject) add('subject = ?', q.subject);
    args.push(q.limit);
    const { rows } = await this.pool.query<Omit<AuditRecord, 'data' | 'seq'> & { seq: string; data: string }>(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $${args.length}`, args);
    return rows.map((r) => ({ ...r, seq: Number(r.seq), data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  async listOperatorActions(q: { beforeSeq?: number; limit: number }): Promise<AuditRecord[]> {
    // The kind is written out, not bound: a generic plan could not prove the partial index's predicate.
    const args: unknown[] = q.beforeSeq !== undefined ? [q.beforeSeq, q.limit] : [q.limit];
    const { rows } = await this.pool.query<Omit<AuditRecord, 'data' | 'seq'> & { seq: string; data: string }>(
      `SELECT * FROM audit_log WHERE kind = 'operator.action'${q.beforeSeq !== undefined ? ' AND seq < $1' : ''} ORDER BY seq DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq), data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  async sealAuditDay(seal: AuditSeal): Promise<boolean> {
    const r = await this.pool.query('INSERT INTO audit_seals (day, last_seq, hash, sealed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (day) DO NOTHING', [seal.day, seal.lastSeq, seal.hash, seal.sealedAt]);
    return r.rowCount === 1;
  }

  async auditSeals(): Promise<AuditSeal[]> {
    const { rows } = await this.pool.query<{ day: string; last_seq: string; hash: string; sealed_at: string }>('SELECT * FROM audit_seals ORDER BY day');
    return rows.map((r) => ({ day: r.day, lastSeq: Number(r.last_seq), hash: r.hash, sealedAt: r.sealed_at }));
  }
}
