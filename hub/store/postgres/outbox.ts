/** The outbox on PostgreSQL, as the relay reads it (each order step writes its row: orders.ts). */
import { escapeLiteral, type Pool, type QueryResult } from 'pg';
import type { OutboxRecord, OutboxStore, RelayPassRequest, RelayPassResult } from '../store';
import { leaseUpsert } from './leases';

type PendingRow = { seq: string; payload: OutboxRecord['event'] };

export class PgOutbox implements OutboxStore {
  constructor(private readonly pool: Pool) {}

  async outboxPending(limit: number): Promise<OutboxRecord[]> {
    const { rows } = await this.pool.query<PendingRow>('SELECT seq, payload FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1', [limit]);
    return rows.map(toRecord);
  }

  async markPublished(seqs: number[]): Promise<void> {
    if (seqs.length) await this.pool.query('UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])', [seqs]);
  }

  /**
   * The lease, the previous pass's marks and the next batch in one simple query (one implicit
   * transaction, one round trip, where separately they were three): the extended protocol takes
   * one statement per round trip. The values are integers checked here and names escaped by the
   * driver. The read sees the lease and the marks written before it in the same query.
   */
  async relayPass(req: RelayPassRequest): Promise<RelayPassResult> {
    for (const n of [...req.published, req.limit, req.ttlMs]) if (!Number.isSafeInteger(n) || n < 0) throw new Error(`relay pass: not a count: ${n}`);
    const name = escapeLiteral(req.lease);
    const holder = escapeLiteral(req.holder);
    const statements = [
      `${leaseUpsert(name, holder, String(req.ttlMs))} RETURNING holder`,
      `SELECT seq, payload FROM outbox WHERE published_at IS NULL AND EXISTS (SELECT 1 FROM leases WHERE name = ${name} AND holder = ${holder}) ORDER BY seq LIMIT ${req.limit}`,
    ];
    if (req.published.length) statements.splice(1, 0, `UPDATE outbox SET published_at = now() WHERE seq IN (${req.published.join(', ')})`);
    const results = (await this.pool.query(statements.join('; '))) as unknown as QueryResult[];
    const [lease, pending] = [results[0], results[results.length - 1]] as [QueryResult, QueryResult<PendingRow>];
    return { leader: (lease.rowCount ?? 0) > 0, pending: pending.rows.map(toRecord) };
  }
}

const toRecord = (r: PendingRow): OutboxRecord => ({ seq: Number(r.seq), event: r.payload });
