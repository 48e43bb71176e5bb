/** Single statements of the same moment in one round trip (hub/store/postgres/batch.ts), against the real server. */
import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { inline, PgBatch } from '../../../hub/store/postgres/batch';
import { dropSchema, PG_URL, requirePostgres } from '../../helpers';

describe('PostgreSQL: statements of the same moment batched (issue 25)', function () {
  this.timeout(30_000);
  const schema = `batch_${process.pid}_${Date.now()}`;
  let pool: Pool;
  let batch: PgBatch;

  before(async function () {
    await requirePostgres(this);
    const setup = new Pool({ connectionString: PG_URL, max: 1 });
    await setup.query(`CREATE SCHEMA ${schema}`);
    await setup.end();
    pool = new Pool({ connectionString: PG_URL, max: 4, options: `-c search_path=${schema}` });
    await pool.query('CREATE TABLE t (id text PRIMARY KEY, n integer, doc jsonb, at timestamptz, tags text[])');
  });
  beforeEach(() => {
    batch = new PgBatch(pool);
  });
  after(async () => {
    await pool?.end();
    await dropSchema(schema).catch(() => undefined);
  });

  const tricky = ["plain", "it's", 'back\\slash', 'نص عربي', "semi;colon -- not a comment", '$1 inside', 'E\'x\''];

  it('sends what is issued in one turn as one round trip, each caller getting what it would have got alone', async () => {
    const insert = 'INSERT INTO t (id, n, doc, at, tags) VALUES ($1, $2, $3, $4, $5) RETURNING *';
    const at = new Date('2031-05-06T07:08:09.123Z');
    const rows = await Promise.all(tricky.map((id, i) => batch.query(insert, [id, i, { id, nested: [id, null, i] }, at, [id, 'b']])));
    assert.equal(batch.stats.roundTrips, 1);
    assert.equal(batch.stats.statements, tricky.length);
    const alone = await Promise.all(tricky.map((id) => pool.query('SELECT * FROM t WHERE id = $1', [id])));
    rows.forEach((r, i) => assert.deepEqual(r.rows, alone[i]!.rows, tricky[i]));
    assert.deepEqual(rows[1]!.rows[0], { id: "it's", n: 1, doc: { id: "it's", nested: ["it's", null, 1] }, at, tags: ["it's", 'b'] });
    // Reads, NULLs and counts too.
    const [count, missing, nul] = await Promise.all([
      batch.query('SELECT count(*)::int AS c FROM t WHERE n < $1', [3]),
      batch.query('SELECT * FROM t WHERE id = $1', ['nobody']),
      batch.query('SELECT $1::text IS NULL AS isnull', [null]),
    ]);
    assert.equal(batch.stats.roundTrips, 2);
    assert.deepEqual([count.rows, missing.rows, missing.rowCount, nul.rows], [[{ c: 3 }], [], 0, [{ isnull: true }]]);
  });

  it('inlines arrays of hostile text and of JSON as the driver sends them as parameters (the store functions\' calls go so)', async () => {
    const json = tricky.map((t) => JSON.stringify({ name: t, quote: '"', braces: '{a,b}', nul: null }));
    const sql = 'SELECT $1::text[] AS texts, $2::jsonb[] AS docs, $3::int[] AS none';
    const text = inline(sql, [[...tricky, '{a,b}', '"q"', 'NULL', ''], json, []]);
    assert.ok(text);
    const [inlined, bound] = await Promise.all([pool.query(text), pool.query(sql, [[...tricky, '{a,b}', '"q"', 'NULL', ''], json, []])]);
    assert.deepEqual(inlined.rows, bound.rows);
    assert.deepEqual(inlined.rows[0].texts, [...tricky, '{a,b}', '"q"', 'NULL', '']);
    assert.deepEqual(inlined.rows[0].docs, json.map((j) => JSON.parse(j)));
    assert.deepEqual(inlined.rows[0].none, []);
  });

  it('runs a failed batch again statement by statement: the others succeed, the failing one gets its own error', async () => {
    const results = await Promise.allSettled([
      batch.query('INSERT INTO t (id, n) VALUES ($1, $2)', ['f1', 1]),
      batch.query('INSERT INTO t (id, n) VALUES ($1, $2)', ['f1', 2]),
      batch.query('INSERT INTO t (id, n) VALUES ($1, $2)', ['f2', 3]),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /duplicate key/);
    assert.equal(batch.stats.fallbacks, 1);
    assert.deepEqual((await pool.query("SELECT id, n FROM t WHERE id IN ('f1', 'f2') ORDER BY id")).rows, [{ id: 'f1', n: 1 }, { id: 'f2', n: 3 }]);
  });

  it('sends alone what cannot be inlined (bytes, a statement of its own several) and what is alone in its turn', async () => {
    const [bytes, several] = await Promise.all([batch.query('SELECT length($1::bytea) AS l', [Buffer.from([0, 1, 2])]), batch.query('SELECT 1 AS a; SELECT 2 AS b')]);
    assert.deepEqual(bytes.rows, [{ l: 3 }]);
    assert.equal((several as unknown as unknown[]).length, 2);
    const alone = await batch.query('SELECT $1::int + 1 AS x', [41]);
    assert.deepEqual(alone.rows, [{ x: 42 }]);
    assert.equal(batch.stats.roundTrips, 3);
  });
});
