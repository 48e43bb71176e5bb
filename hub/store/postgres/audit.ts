/**
 * The audit trail on PostgreSQL: the keyed chains (hub/audit/chain.ts; appended with each COMMIT,
 * under the lock of their shards' heads: database.ts), the seals' copies, and the records of the
 * unkeyed chain before the shards.
 */
import type { Pool } from 'pg';
import type { AuditEntry, AuditRecord, ChainHead } from '../../audit/chain';
import type { LegacyRecord } from '../../audit/legacy';
import type { Seal } from '../../audit/seal';
import type { AuditQuery, AuditStore } from '../store';
import type { PgDatabase } from './database';

type Row = { seq: string; shard: number; shard_seq: string; at: string; kind: AuditRecord['kind']; actor: string; subject: string; data: string; prev: string; hash: string; mac: string; key_id: string };
const record = (r: Row): AuditRecord => ({ seq: Number(r.seq), shard: r.shard, shardSeq: Number(r.shard_seq), at: r.at, kind: r.kind, actor: r.actor, subject: r.subject, data: JSON.parse(r.data) as Record<string, unknown>, prev: r.prev, hash: r.hash, mac: r.mac, keyId: r.key_id });

export class PgAudit implements AuditStore {
  private readonly pool: Pool;

  constructor(private readonly database: PgDatabase) {
    this.pool = database.pool;
  }

  async appendAudit(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.database.appendWith(entries);
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
    const { rows } = await this.pool.query<Row>(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $${args.length}`, args);
    return rows.map(record);
  }

  async readAuditChains(q: { after?: { shard: number; shardSeq: number }; limit: number }): Promise<AuditRecord[]> {
    const { rows } = q.after
      ? await this.pool.query<Row>('SELECT * FROM audit_log WHERE (shard, shard_seq) > ($1, $2) ORDER BY shard, shard_seq LIMIT $3', [q.after.shard, q.after.shardSeq, q.limit])
      : await this.pool.query<Row>('SELECT * FROM audit_log ORDER BY shard, shard_seq LIMIT $1', [q.limit]);
    return rows.map(record);
  }

  async auditHeads(): Promise<ChainHead[]> {
    const { rows } = await this.pool.query<{ shard: number; shard_seq: string; hash: string }>('SELECT shard, shard_seq, hash FROM audit_heads WHERE shard_seq > 0 ORDER BY shard');
    return rows.map((r) => ({ shard: r.shard, shardSeq: Number(r.shard_seq), hash: r.hash }));
  }

  async listOperatorActions(q: { beforeSeq?: number; limit: number }): Promise<AuditRecord[]> {
    // The kind is written out, not bound: a generic plan could not prove the partial index's predicate.
    const args: unknown[] = q.beforeSeq !== undefined ? [q.beforeSeq, q.limit] : [q.limit];
    const { rows } = await this.pool.query<Row>(`SELECT * FROM audit_log WHERE kind = 'operator.action'${q.beforeSeq !== undefined ? ' AND seq < $1' : ''} ORDER BY seq DESC LIMIT $${args.length}`, args);
    return rows.map(record);
  }

  async addAuditSeal(seal: Seal): Promise<boolean> {
    const r = await this.pool.query('INSERT INTO audit_seals (n, at, seal) VALUES ($1, $2, $3) ON CONFLICT (n) DO NOTHING', [seal.n, seal.at, JSON.stringify(seal)]);
    return r.rowCount === 1;
  }

  async auditSeals(after = 0): Promise<Seal[]> {
    const { rows } = await this.pool.query<{ seal: string }>('SELECT seal FROM audit_seals WHERE n > $1 ORDER BY n', [after]);
    return rows.map((r) => JSON.parse(r.seal) as Seal);
  }

  async lastAuditSeal(): Promise<Seal | undefined> {
    const { rows } = await this.pool.query<{ seal: string }>('SELECT seal FROM audit_seals ORDER BY n DESC LIMIT 1');
    return rows[0] ? (JSON.parse(rows[0].seal) as Seal) : undefined;
  }

  async readLegacyAudit(q: { afterSeq?: number; limit: number }): Promise<LegacyRecord[]> {
    const { rows } = await this.pool.query<Omit<LegacyRecord, 'data' | 'seq'> & { seq: string; data: string }>('SELECT seq, at, kind, actor, subject, data, prev, hash FROM audit_log_v1 WHERE seq > $1 ORDER BY seq LIMIT $2', [q.afterSeq ?? 0, q.limit]);
    return rows.map((r) => ({ ...r, seq: Number(r.seq), data: JSON.parse(r.data) as Record<string, unknown> }));
  }
}
