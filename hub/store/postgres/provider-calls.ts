/** The operational records of provider calls on PostgreSQL (row shape shared with SQLite: ../provider-calls.ts). */
import type { Pool } from 'pg';
import type { CallRecord } from '../../../connectors/connector';
import { CALL_COLUMNS, callRow, callValues } from '../provider-calls';
import type { AuditEntry } from '../../audit/chain';
import type { PgDatabase } from './database';
import type { ProviderCallQuery, ProviderCallRecord, ProviderCallRecords } from '../store';

export class PgProviderCalls implements ProviderCallRecords {
  constructor(
    private readonly pool: Pool,
    private readonly database: PgDatabase,
  ) {}

  async recordProviderCalls(records: CallRecord[], audit: AuditEntry[] = []): Promise<void> {
    if (records.length === 0) return;
    if (audit.length) {
      const values = (lit: (v: string) => string) => records.map((r) => `(${callValues(r).map((v) => (v === null || v === undefined ? 'NULL' : lit(String(v)))).join(', ')})`).join(', ');
      await this.database.appendWith(audit, (lit) => [`INSERT INTO provider_calls (${CALL_COLUMNS}) VALUES ${values(lit)}`]);
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
