/**
 * Counts what the hub asks of SQLite, for bench:e2e's BENCH_E2E_COUNT_SQL: each prepared
 * statement's executions by SQL text, the writes (SqliteDatabase.write: one savepoint each) and
 * the commits that carried them. Installed in the hub child before the hub opens its database;
 * the counts are written as JSON to `file` when the process exits.
 */
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SqliteDatabase } from '../../hub/sqlite/database';

export interface SqlCounts {
  statements: Record<string, number>;
  writes: number;
  commits: number;
}

export function countSql(file: string): void {
  const counts: SqlCounts = { statements: {}, writes: 0, commits: 0 };
  const proto = Database.prototype as unknown as { prepare: (sql: string) => Database.Statement; transaction: (fn: (...a: unknown[]) => unknown) => unknown };
  const prepare = proto.prepare;
  proto.prepare = function (this: Database.Database, sql: string) {
    const statement = prepare.call(this, sql);
    const key = sql.replace(/\s+/g, ' ').trim();
    for (const method of ['run', 'get', 'all', 'iterate'] as const) {
      const original = statement[method] as (...a: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
        counts.statements[`${method} ${key}`] = (counts.statements[`${method} ${key}`] ?? 0) + 1;
        return original.apply(this, args);
      };
    }
    return statement;
  };
  // Every database the hub writes to, for their commit counts at exit.
  const databases = new Set<SqliteDatabase>();
  const databaseProto = SqliteDatabase.prototype as unknown as { write: (fn: () => unknown) => Promise<unknown> };
  const write = databaseProto.write;
  databaseProto.write = function (this: SqliteDatabase, fn: () => unknown) {
    counts.writes++;
    databases.add(this);
    return write.call(this, fn);
  };
  process.on('exit', () => {
    for (const d of databases) counts.commits += d.commits;
    writeFileSync(file, JSON.stringify(counts));
  });
}
