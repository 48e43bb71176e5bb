/**
 * The audit trail on SQLite: the keyed chains (hub/audit/chain.ts), kept in order by the single
 * writer — each append reads its shard's head and moves it in the same write — the seals' copies,
 * and the records of the unkeyed chain before the shards.
 */
import { linkAll, type AuditEntry, type AuditRecord, type ChainHead, type ChainOptions } from '../../audit/chain';
import type { LegacyRecord } from '../../audit/legacy';
import type { Seal } from '../../audit/seal';
import type { SqliteDatabase } from '../../sqlite/database';
import type { AuditQuery, AuditStore } from '../store';

type Row = Omit<AuditRecord, 'data' | 'shardSeq' | 'keyId'> & { data: string; shard_seq: number; key_id: string };
const record = (r: Row): AuditRecord => ({ seq: r.seq, shard: r.shard, shardSeq: r.shard_seq, at: r.at, kind: r.kind, actor: r.actor, subject: r.subject, data: JSON.parse(r.data) as Record<string, unknown>, prev: r.prev, hash: r.hash, mac: r.mac, keyId: r.key_id });

export class SqliteAudit implements AuditStore {
  private readonly stmt;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly chain: ChainOptions,
  ) {
    const db = database.db;
    this.stmt = {
      head: db.prepare<[number], { shardSeq: number; hash: string }>('SELECT shard_seq AS shardSeq, hash FROM audit_heads WHERE shard = ?'),
      moveHead: db.prepare('INSERT INTO audit_heads (shard, shard_seq, hash) VALUES (?, ?, ?) ON CONFLICT (shard) DO UPDATE SET shard_seq = excluded.shard_seq, hash = excluded.hash'),
      insert: db.prepare('INSERT INTO audit_log (shard, shard_seq, at, kind, actor, subject, data, prev, hash, mac, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    };
  }

  /** Inside a write (an order step's, or appendAudit's): the single writer keeps each chain in order. */
  appendWithin(...entries: AuditEntry[]): void {
    const { records, heads } = linkAll(entries, this.chain.shards, (shard) => this.stmt.head.get(shard), this.chain.keys);
    for (const r of records) this.stmt.insert.run(r.shard, r.shardSeq, r.at, r.kind, r.actor, r.subject, JSON.stringify(r.data), r.prev, r.hash, r.mac, r.keyId);
    for (const h of heads) this.stmt.moveHead.run(h.shard, h.shardSeq, h.hash);
  }

  appendAudit(entries: AuditEntry[]): Promise<void> {
    return this.database.write(() => this.appendWithin(...entries));
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
    return this.database.db.prepare<unknown[], Row>(sql).all(...args, q.limit).map(record);
  }

  async readAuditChains(q: { after?: { shard: number; shardSeq: number }; limit: number }): Promise<AuditRecord[]> {
    const rows = q.after
      ? this.database.db.prepare<unknown[], Row>('SELECT * FROM audit_log WHERE (shard, shard_seq) > (?, ?) ORDER BY shard, shard_seq LIMIT ?').all(q.after.shard, q.after.shardSeq, q.limit)
      : this.database.db.prepare<unknown[], Row>('SELECT * FROM audit_log ORDER BY shard, shard_seq LIMIT ?').all(q.limit);
    return rows.map(record);
  }

  async auditHeads(): Promise<ChainHead[]> {
    return this.database.db.prepare<[], ChainHead>('SELECT shard, shard_seq AS shardSeq, hash FROM audit_heads WHERE shard_seq > 0 ORDER BY shard').all();
  }

  async listOperatorActions(q: { beforeSeq?: number; limit: number }): Promise<AuditRecord[]> {
    // The kind is written out, not bound: SQLite uses a partial index only when the query's WHERE visibly implies the index's.
    const sql = `SELECT * FROM audit_log INDEXED BY audit_log_operator_actions WHERE kind = 'operator.action'${q.beforeSeq !== undefined ? ' AND seq < ?' : ''} ORDER BY seq DESC LIMIT ?`;
    const args = q.beforeSeq !== undefined ? [q.beforeSeq, q.limit] : [q.limit];
    return this.database.db.prepare<unknown[], Row>(sql).all(...args).map(record);
  }

  addAuditSeal(seal: Seal): Promise<boolean> {
    return this.database.write(() => this.database.db.prepare('INSERT OR IGNORE INTO audit_seals (n, at, seal) VALUES (?, ?, ?)').run(seal.n, seal.at, JSON.stringify(seal)).changes === 1);
  }

  async auditSeals(after = 0): Promise<Seal[]> {
    return this.database.db.prepare<[number], { seal: string }>('SELECT seal FROM audit_seals WHERE n > ? ORDER BY n').all(after).map((r) => JSON.parse(r.seal) as Seal);
  }

  async lastAuditSeal(): Promise<Seal | undefined> {
    const row = this.database.db.prepare<[], { seal: string }>('SELECT seal FROM audit_seals ORDER BY n DESC LIMIT 1').get();
    return row ? (JSON.parse(row.seal) as Seal) : undefined;
  }

  async readLegacyAudit(q: { afterSeq?: number; limit: number }): Promise<LegacyRecord[]> {
    const rows = this.database.db.prepare<unknown[], Omit<LegacyRecord, 'data'> & { data: string }>('SELECT seq, at, kind, actor, subject, data, prev, hash FROM audit_log_v1 WHERE seq > ? ORDER BY seq LIMIT ?').all(q.afterSeq ?? 0, q.limit);
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
  }
}
