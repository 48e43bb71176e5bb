/** Calls of one read of the same moment as one named prepared statement over arrays (hub/store/postgres/prepared-batch.ts), against the real server. */
import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { PgPreparedBatch } from '../../../hub/store/postgres/prepared-batch';
import { dropSchema, PG_URL, requirePostgres } from '../../helpers';

describe('PostgreSQL: calls of one read of the same moment as one prepared statement (issue 25)', function () {
  this.timeout(30_000);
  const schema = `prepared_batch_${process.pid}_${Date.now()}`;
  let pool: Pool;
  const LOOKUP = `SELECT k.i, k.key, t.n FROM unnest($1::text[]) WITH ORDINALITY AS k (key, i) LEFT JOIN LATERAL (SELECT n FROM t WHERE t.key = k.key) t ON true ORDER BY k.i`;

  before(async function () {
    await requirePostgres(this);
    const setup = new Pool({ connectionString: PG_URL, max: 1 });
    await setup.query(`CREATE SCHEMA ${schema}`);
    await setup.end();
    // One connection: what it has prepared can be read back on it.
    pool = new Pool({ connectionString: PG_URL, max: 1, options: `-c search_path=${schema}` });
    await pool.query('CREATE TABLE t (key text PRIMARY KEY, n integer)');
  });
  after(async () => {
    await pool?.end();
    await dropSchema(schema).catch(() => undefined);
  });

  const tricky = ['plain', "it's", 'back\\slash', 'نص عربي', '{braced,comma}', '"quoted"', 'NULL', ''];

  it('answers the calls of one turn in one round trip, each with its own row, under a name the connection keeps', async () => {
    for (const [n, key] of tricky.entries()) await pool.query('INSERT INTO t VALUES ($1, $2)', [key, n]);
    const batch = new PgPreparedBatch<[key: string], { key: string; n: number | null }>(pool, 'test_lookup', LOOKUP);
    const rows = await Promise.all([...tricky, 'absent'].map((k) => batch.call(k)));
    assert.deepEqual(rows.map((r) => r.key), [...tricky, 'absent']);
    assert.deepEqual(rows.map((r) => r.n), [...tricky.map((_, n) => n), null]);
    assert.deepEqual(batch.stats, { calls: tricky.length + 1, roundTrips: 1 });
    // Calls of later turns go in round trips of their own, on the statement already prepared.
    assert.equal((await batch.call("it's")).n, 1);
    assert.equal(batch.stats.roundTrips, 2);
    const { rows: prepared } = await pool.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name = 'test_lookup'");
    assert.equal(prepared.length, 1);
  });

  it('sends at most its bound of calls in a round trip', async () => {
    const batch = new PgPreparedBatch<[key: string], { n: number | null }>(pool, 'test_lookup', LOOKUP, 3);
    const rows = await Promise.all(tricky.map((k) => batch.call(k)));
    assert.deepEqual(rows.map((r) => r.n), tricky.map((_, n) => n));
    assert.equal(batch.stats.roundTrips, Math.ceil(tricky.length / 3));
  });

  it('fails every call of a round trip whose statement fails, each with the error', async () => {
    const batch = new PgPreparedBatch<[n: string], { n: number }>(pool, 'test_cast', 'SELECT k.i, k.v::int AS n FROM unnest($1::text[]) WITH ORDINALITY AS k (v, i) ORDER BY k.i');
    const results = await Promise.allSettled(['1', 'not a number', '3'].map((v) => batch.call(v)));
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
    for (const r of results) assert.match(String((r as PromiseRejectedResult).reason), /invalid input syntax/);
    // The next turn is not affected.
    assert.equal((await batch.call('7')).n, 7);
  });

  it('refuses a call the statement gave no row of its own, rather than hand it another call\'s', async () => {
    const batch = new PgPreparedBatch<[key: string], { n: number }>(pool, 'test_inner', 'SELECT k.i, t.n FROM unnest($1::text[]) WITH ORDINALITY AS k (key, i) JOIN t ON t.key = k.key ORDER BY k.i');
    const results = await Promise.allSettled(['absent', 'plain'].map((k) => batch.call(k)));
    assert.equal(results[0]!.status, 'rejected');
    assert.equal(results[1]!.status, 'rejected', 'the second call got the first row: refused too');
    assert.match(String((results[0] as PromiseRejectedResult).reason), /no row for call 1 of 2/);
  });
});
