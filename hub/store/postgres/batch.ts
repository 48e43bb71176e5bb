/**
 * Single statements of many callers, sent together: those issued in the same turn of the event
 * loop go as one simple query — one round trip and one transaction for all of them instead of one
 * each (issue 25). Under load a worker receives many bus deliveries at once (a socket read holds
 * several), and their processed checks, order reads and journal writes meet here.
 *
 * - A simple query of several statements is one implicit transaction: a statement that fails
 *   rolls back the others, so a failed batch is run again statement by statement, each caller
 *   then getting its own result or error, as if it had never been batched. Only templates with
 *   no `;` of their own are batched, so the results map one to one onto the callers.
 * - The extended protocol takes one statement per round trip, so the values go inline: each
 *   turned into the text the driver would have sent as a parameter (prepareValue), then escaped
 *   as a literal by the driver (escapeLiteral). A value that has no such text (bytes) makes its
 *   statement go alone.
 * - Alone in its turn, a statement goes as it is, with its parameters: nothing changes at low load.
 */
import { escapeLiteral, type Pool, type QueryResult, type QueryResultRow } from 'pg';

/** The driver's own conversion of a parameter to the text it sends (node-postgres' lib/utils, untyped). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require('pg/lib/utils') as { prepareValue: (v: unknown) => unknown };

interface Pending {
  sql: string;
  values: unknown[];
  text: string | undefined;
  resolve: (r: QueryResult) => void;
  reject: (err: unknown) => void;
}

export class PgBatch {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Statements sent, and the round trips they took (for tests and benchmarks). */
  readonly stats = { statements: 0, roundTrips: 0, fallbacks: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly max = 64,
  ) {}

  query<R extends QueryResultRow = QueryResultRow>(sql: string, values: unknown[] = []): Promise<QueryResult<R>> {
    return new Promise<QueryResult<R>>((resolve, reject) => {
      this.queue.push({ sql, values, text: inline(sql, values), resolve: resolve as (r: QueryResult) => void, reject });
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
    const batchable = items.filter((it) => it.text !== undefined);
    for (const it of items) if (it.text === undefined) this.alone(it);
    for (let i = 0; i < batchable.length; i += this.max) void this.run(batchable.slice(i, i + this.max));
  }

  private alone(it: Pending): void {
    this.stats.statements++;
    this.stats.roundTrips++;
    this.pool.query(it.sql, it.values).then(it.resolve, it.reject);
  }

  private async run(items: Pending[]): Promise<void> {
    if (items.length === 1) return this.alone(items[0]!);
    let results: QueryResult[];
    try {
      this.stats.roundTrips++;
      results = (await this.pool.query(items.map((it) => it.text).join(';\n'))) as unknown as QueryResult[];
    } catch {
      // Rolled back as a whole: each again on its own, in the order they were issued (two
      // statements on one row must meet as their callers sent them), for its own result or error.
      this.stats.fallbacks++;
      for (const it of items) {
        this.stats.statements++;
        this.stats.roundTrips++;
        await this.pool.query(it.sql, it.values).then(it.resolve, it.reject);
      }
      return;
    }
    this.stats.statements += items.length;
    items.forEach((it, i) => it.resolve(results[i]!));
  }
}

/** The statement with its values as literals, or undefined when it cannot be sent so. */
export function inline(sql: string, values: readonly unknown[]): string | undefined {
  if (sql.includes(';')) return undefined;
  let ok = true;
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    const v = values[Number(n) - 1];
    if (Number(n) > values.length) ok = false;
    if (v === null || v === undefined) return 'NULL';
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
      ok = false;
      return '';
    }
    return escapeLiteral(String(prepareValue(v)));
  });
  return ok ? text : undefined;
}
