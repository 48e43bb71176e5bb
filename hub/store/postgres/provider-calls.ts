/** The operational records of provider calls on PostgreSQL (row shape shared with SQLite: ../provider-calls.ts). */
import { escapeLiteral, type Pool } from 'pg';
import type { CallRecord } from '../../../connectors/connector';
import { CALL_COLUMNS, callRow, callValues } from '../provider-calls';
import type { AuditEntry } from '../../audit/chain';
import { rowStatements, type AppendRows, type PgDatabase } from './database';
import type { ProviderCallQuery, ProviderCallRecord, ProviderCallRecords } from '../store';

export class PgProviderCalls implements ProviderCallRecords {
  constructor(
    private readonly pool: Pool,
    private readonly database: PgDatabase,
  ) {}

  /**
   * `finish`: the journal finish of the step that made the calls (hub/held-calls.ts), in the same
   * transaction; with audit records, all of it one append (PgDatabase.appendWith).
   */
  async recordProviderCalls(records: CallRecord[], audit: AuditEntry[] = [], finish?: AppendRows['finish']): Promise<void> {
    if (records.length === 0 && !finish) return;
    if (audit.length) {
      await this.database.appendWith(audit, { calls: records, finish });
      return;
    }
    if (finish) {
      // One simple query: one implicit transaction, one round trip.
      await this.pool.query(rowStatements({ calls: records, finish }, escapeLiteral).join('; '));
      return;
    }
    const n = CALL_COLUMNS.split(',').length;
    const values = records.map((_, i) => `(${Array.from({ length: n }, (__, j) => `$${i * n + j + 1}`).join(', ')})`).join(', ');
    await this.pool.query(`INSERT INTO provider_calls (${CALL_COLUMNS}) VALUES ${values}`, records.flatMap(callValues));
  }

  async listProviderCalls(q: ProviderCallQuery): Promise<ProviderCallRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.provider) add('provider = ?', q.provider);
    if (q.orderId) add('order_id = ?', q.orderId);
    if (q.from) add('started_at >= ?', q.from.toISOString());
    if (q.to) add('started_at < ?', q.to.toISOString());
    args.push(q.limit);
    const { rows } = await this.pool.query<Parameters<typeof callRow>[0]>(`SELECT ${CALL_COLUMNS} FROM provider_calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at, seq LIMIT $${args.length}`, args);
    return rows.map(callRow);
  }

  async pruneProviderCalls(before: Date): Promise<number> {
    const r = await this.pool.query('DELETE FROM provider_calls WHERE started_at < $1', [before.toISOString()]);
    return r.rowCount ?? 0;
  }
}
