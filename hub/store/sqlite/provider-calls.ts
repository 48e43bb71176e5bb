/** The operational records of provider calls on SQLite (row shape shared with PostgreSQL: ../provider-calls.ts). */
import type { CallRecord } from '../../../connectors/connector';
import type { SqliteDatabase } from '../../sqlite/database';
import { CALL_COLUMNS, callRow, callValues } from '../provider-calls';
import type { AuditEntry } from '../../audit/chain';
import type { SqliteAudit } from './audit';
import type { ProviderCallQuery, ProviderCallRecord, ProviderCallRecords } from '../store';

export class SqliteProviderCalls implements ProviderCallRecords {
  private readonly insertCall;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly audit: SqliteAudit,
  ) {
    this.insertCall = database.db.prepare(`INSERT INTO provider_calls (${CALL_COLUMNS}) VALUES (${CALL_COLUMNS.split(',').map(() => '?').join(', ')})`);
  }

  /** `more`: what else the same write does (the journal finish of the step that made the calls: hub/held-calls.ts). */
  recordProviderCalls(records: CallRecord[], audit: AuditEntry[] = [], more?: () => void): Promise<void> {
    return this.database.write(() => {
      more?.();
      for (const r of records) this.insertCall.run(...callValues(r));
      if (audit.length) this.audit.appendWithin(...audit);
    });
  }

  async listProviderCalls(q: ProviderCallQuery): Promise<ProviderCallRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      args.push(...values);
    };
    if (q.provider) add('provider = ?', q.provider);
    if (q.orderId) add('order_id = ?', q.orderId);
    if (q.from) add('started_at >= ?', q.from.toISOString());
    if (q.to) add('started_at < ?', q.to.toISOString());
    const sql = `SELECT ${CALL_COLUMNS} FROM provider_calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at, seq LIMIT ?`;
    return this.database.db.prepare<unknown[], Parameters<typeof callRow>[0]>(sql).all(...args, q.limit).map(callRow);
  }

  pruneProviderCalls(before: Date): Promise<number> {
    return this.database.write(() => this.database.db.prepare('DELETE FROM provider_calls WHERE started_at < ?').run(before.toISOString()).changes);
  }
}
