/** Leases on PostgreSQL: one holder at a time across every process, until it releases or its lease runs out. */
import type { Pool } from 'pg';
import type { LeaseStore } from '../store';

/**
 * Takes or renews lease `name` for `holder` for `ttlMs` milliseconds: a row only if `holder` holds
 * it now. The arguments are SQL: parameters here, escaped values in the relay's pass (outbox.ts).
 */
export const leaseUpsert = (name: string, holder: string, ttlMs: string): string =>
  `INSERT INTO leases (name, holder, expires_at) VALUES (${name}, ${holder}, now() + make_interval(secs => ${ttlMs}::double precision / 1000))
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at < now()`;

export class PgLeases implements LeaseStore {
  constructor(private readonly pool: Pool) {}

  async tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const r = await this.pool.query(leaseUpsert('$1', '$2', '$3'), [name, holder, ttlMs]);
    return (r.rowCount ?? 0) > 0;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.pool.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
  }
}
