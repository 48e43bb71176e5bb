/**
 * The PostgreSQL database under the store's roles: the pool, the migrations and the transaction
 * every write runs in. Each transaction carries the audit entries its writes queued, appended to
 * the one chain with its COMMIT. PostgreSQL commits durably and groups commits itself.
 */
import { Pool, type PoolClient } from 'pg';
import { bodyAroundSeq, type AuditEntry } from '../../audit/chain';
import { loadMigrations } from '../migrations';

// The advisory lock that orders appends to the audit chain (0x7761736c, 'wasl') is taken by wasl_audit_append, migration 007.

export interface PostgresStoreOptions {
  connectionString: string;
  /** A schema of its own (tests use one per run); public by default. */
  schema?: string;
  poolSize?: number;
}

// Any fixed 64-bit number: the advisory lock that keeps two starting processes from migrating at once.
const MIGRATION_LOCK = 0x7761736c;

export class PgDatabase {
  /** Audit entries of each open transaction, appended to the chain with its COMMIT. */
  private readonly pendingAudit = new WeakMap<PoolClient, AuditEntry[]>();

  private constructor(readonly pool: Pool) {}

  static async open(opts: PostgresStoreOptions): Promise<PgDatabase> {
    const schema = opts.schema;
    if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    const pool = new Pool({
      connectionString: opts.connectionString,
      max: opts.poolSize ?? 20,
      connectionTimeoutMillis: 5000,
      options: schema ? `-c search_path=${schema}` : undefined,
    });
    // An idle client that loses its server must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const database = new PgDatabase(pool);
    try {
      await database.migrate(schema);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return database;
  }

  private async migrate(schema?: string): Promise<void> {
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      if (schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
      const { rows } = await c.query<{ version: number }>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => r.version));
      for (const m of loadMigrations('postgres')) {
        if (done.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [m.version, m.name]);
      }
    });
  }

  async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await this.commitWithChain(c, this.pendingAudit.get(c) ?? []);
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      this.pendingAudit.delete(c);
      c.release();
    }
  }

  /**
   * One chain for every process: a transaction-scoped advisory lock orders the appends. They are
   * made last, in the same round trip as the COMMIT: wasl_audit_append (migration 007) takes the
   * lock, reads the head, hashes and inserts in the server, and the lock is released by the commit
   * that follows it in the same simple query (values escaped by the driver). Every order step of
   * every process waits for this lock, so no Node process may hold it across a round trip
   * (bench:scale: held 100 % of the time when it did). Without entries, just the COMMIT.
   */
  private async commitWithChain(c: PoolClient, entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) {
      await c.query('COMMIT');
      return;
    }
    const cols: string[][] = [[], [], [], [], [], [], []];
    for (const e of entries) {
      const { prefix, suffix } = bodyAroundSeq(e);
      [e.at, e.kind, e.actor, e.subject, JSON.stringify(e.data), prefix, suffix].forEach((v, i) => cols[i]!.push(v));
    }
    const arrays = cols.map((vs) => `ARRAY[${vs.map((v) => c.escapeLiteral(v)).join(', ')}]::text[]`);
    // An error in the append skips the COMMIT (the rest of a failed simple query is not run); tx() rolls back.
    await c.query(`SELECT wasl_audit_append(${arrays.join(', ')}); COMMIT`);
  }

  /** Queues an audit entry on the caller's transaction; tx() appends it to the chain with its COMMIT. */
  audit(c: PoolClient, entry: AuditEntry): void {
    const queued = this.pendingAudit.get(c);
    if (queued) queued.push(entry);
    else this.pendingAudit.set(c, [entry]);
  }
}
