/**
 * Calls of one read made in the same turn of the event loop, sent as one named prepared statement
 * over arrays of their arguments: one round trip for all of them, as PgBatch (batch.ts) gives, and
 * a plan each connection keeps. PgBatch sends its statements inlined in a simple query, which
 * PostgreSQL parses and plans anew every time; for the bus deliveries' processed checks that
 * planning was the largest single item of PostgreSQL's time per order (docs/performance.md).
 *
 * The statement takes one array per argument (`$1` the first arguments of every call, …), unnests
 * them `WITH ORDINALITY AS … i` and answers one row per call, `ORDER BY i`: the rows are matched to
 * the calls by it, and a call without its row is refused rather than given another's. It reads
 * only: a statement that fails fails every call of its round trip (a read has no call of its own
 * to single out), each with the error.
 */
import type { Pool, QueryResultRow } from 'pg';

interface Pending<A, R> {
  args: A;
  resolve: (row: R) => void;
  reject: (err: unknown) => void;
}

export class PgPreparedBatch<A extends readonly unknown[], R extends QueryResultRow> {
  private queue: Array<Pending<A, R>> = [];
  private scheduled = false;
  /** Calls answered, and the round trips they took (for tests and benchmarks). */
  readonly stats = { calls: 0, roundTrips: 0 };

  /**
   * @param name the prepared statement's name on each connection: one text per name, since a
   *   connection that has prepared a name runs what it prepared under it.
   */
  constructor(
    private readonly pool: Pick<Pool, 'query'>,
    private readonly name: string,
    private readonly text: string,
    private readonly max = 256,
  ) {}

  call(...args: A): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ args, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const items = this.queue;
    this.queue = [];
    for (let i = 0; i < items.length; i += this.max) void this.run(items.slice(i, i + this.max));
  }

  private async run(items: Array<Pending<A, R>>): Promise<void> {
    const width = items[0]!.args.length;
    const values = Array.from({ length: width }, (_, j) => items.map((it) => it.args[j]));
    let rows: Array<R & { i: string | number }>;
    try {
      this.stats.roundTrips++;
      rows = (await this.pool.query<R & { i: string | number }>({ name: this.name, text: this.text, values })).rows;
    } catch (err) {
      for (const it of items) it.reject(err);
      return;
    }
    this.stats.calls += items.length;
    items.forEach((it, k) => {
      const row = rows[k];
      if (row && Number(row.i) === k + 1) it.resolve(row);
      else it.reject(new Error(`${this.name} answered no row for call ${k + 1} of ${items.length}`));
    });
  }
}
