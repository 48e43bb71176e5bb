/**
 * What one catalogue order costs the stores and the bus (issue 25): the statements, commits and
 * bus messages of one civil-registry extract (cash at the counter, collected there: received →
 * submitted to the ministry → answered → ready for pickup), counted — not timed — on the embedded
 * default (SQLite and its queue) and on the deployment that scales out (PostgreSQL and
 * RabbitMQ), and held under ceilings so the cost cannot creep back. The ceilings are the counts
 * measured when this test was written (with a little room where group commits depend on timing);
 * lower them as the per-order work shrinks, never raise them to make a change pass.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { Order } from '../../contracts/types';
import { overrideSandbox } from '../../connectors/sandbox-overrides';
import { auditConfig } from '../../hub/config';
import { auditKeysOf, type Store } from '../../hub/store';
import { SqliteStore } from '../../hub/store/sqlite';
import { PostgresStore } from '../../hub/store/postgres';
import { RabbitBus } from '../../hub/bus/rabbitmq';
import type { Bus, BusMessage } from '../../hub/bus/bus';
import { AuditKeys } from '../../hub/audit/keys';
import { startCivilRegistry, type RunningSimulator } from '../../sandbox/simulators';
import { auth, dropSchema, KEYS, newKey, PG_URL, requirePostgres, testConfig, testHub, validRequest, type TestHub } from '../helpers';
import { createVhost, randomPrefix, requireRabbitmqctl, testLogger, waitFor, type TestVhost } from './bus/rabbitmq-helpers';

const SERVICE = 'civil-registry-individual-extract';

/**
 * What the pollers ask whatever the orders (the queue's next due message, the outbox relay's
 * pass): how often depends on timing, not on the order, so it is left out of the counts held
 * under ceilings (PostgreSQL transactions included). The relay's pass is one round trip that
 * renews its lease, marks what the previous pass published and reads the next batch: the marks,
 * once a round trip of their own per pass, ride on a pass that runs anyway (hub/bus/relay.ts).
 */
const POLLING = /^(SELECT id, message, attempt, history, deliveries FROM bus_messages WHERE queue = \? AND available_at|SELECT min\(available_at\)|SELECT coalesce\(sum\(available_at|SELECT seq, payload FROM outbox WHERE published_at IS NULL|INSERT INTO leases)/;

/** Counted while `on`: statements by text (SQLite prepared statements, PostgreSQL queries), and the bus messages published. */
class Counts {
  on = false;
  statements = new Map<string, number>();
  busMessages = 0;
  /** PostgreSQL transactions, explicit or not (countPg). */
  transactions = 0;
  count(sql: string): void {
    if (!this.on) return;
    const key = sql.replace(/\s+/g, ' ').trim().slice(0, 120);
    this.statements.set(key, (this.statements.get(key) ?? 0) + 1);
  }
  total(match: RegExp = /./): number {
    let n = 0;
    for (const [k, v] of this.statements) if (match.test(k) && !POLLING.test(k)) n += v;
    return n;
  }
  reset(): void {
    this.statements.clear();
    this.busMessages = 0;
    this.transactions = 0;
  }
}

/** Connections the counters leave out: the test's own probes. */
const ignored = new WeakSet<object>();

/** Every statement a better-sqlite3 database prepares from now on is counted when it runs. */
function countSqlite(counts: Counts): () => void {
  const proto = Database.prototype as unknown as { prepare: (sql: string) => Database.Statement };
  const prepare = proto.prepare;
  proto.prepare = function (this: Database.Database, sql: string) {
    const statement = prepare.call(this, sql);
    if (ignored.has(this)) return statement;
    for (const method of ['run', 'get', 'all', 'iterate'] as const) {
      const original = statement[method] as (...a: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
        counts.count(sql);
        return original.apply(this, args);
      };
    }
    return statement;
  };
  return () => {
    proto.prepare = prepare;
  };
}

/**
 * Every query of a pg client (pooled or not) is a round trip. Transactions: a BEGIN opens one on
 * its client until a statement carries COMMIT or ROLLBACK; a statement outside one is a
 * transaction of its own (autocommit).
 */
function countPg(counts: Counts): () => void {
  const proto = Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const query = proto.query;
  const open = new WeakSet<Client>();
  proto.query = function (this: Client, ...args: unknown[]) {
    if (ignored.has(this)) return query.apply(this, args);
    const q = args[0];
    const text = typeof q === 'string' ? q : String((q as { text?: string })?.text ?? 'query');
    counts.count(text);
    if (counts.on && !POLLING.test(text.replace(/\s+/g, ' ').trim())) {
      if (/^\s*BEGIN/i.test(text)) {
        open.add(this);
        counts.transactions++;
      } else if (!open.has(this)) counts.transactions++;
      if (/\b(COMMIT|ROLLBACK)\b/i.test(text)) open.delete(this);
    }
    return query.apply(this, args);
  };
  return () => {
    proto.query = query;
  };
}

function countPublishes(bus: Bus, counts: Counts): void {
  const publish = bus.publish.bind(bus);
  bus.publish = async (messages: BusMessage[]) => {
    if (counts.on) counts.busMessages += messages.length;
    return publish(messages);
  };
}

interface Probe {
  order(id: string): Promise<Pick<Order, 'status'> | undefined>;
  quiet(): Promise<boolean>;
}

async function settledOrder(hub: TestHub, probe: Probe): Promise<string> {
  const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre!), 'idempotency-key': newKey() }, payload: validRequest({ service: SERVICE, paymentMethod: 'cash-at-counter', delivery: { method: 'counter' } }) });
  assert.equal(res.statusCode, 202, res.body);
  const id = (res.json() as { id: string }).id;
  // The test's own reads go through connections the counters ignore (probe): they are not the order's cost.
  await waitFor(`order ${id} ready for pickup`, async () => (await probe.order(id))?.status === 'ready-for-pickup', 30_000, 10);
  // Every event of the order relayed and consumed: nothing left to publish or deliver.
  await waitFor('the bus quiet', () => probe.quiet(), 10_000, 20);
  return id;
}

interface Measured {
  statements: number;
  commits: number;
  busMessages: number;
  byStatement: Array<[string, number]>;
}

describe('the cost of one order: statements, commits and bus messages (issue 25)', function () {
  this.timeout(120_000);
  let ministry: RunningSimulator;
  let restore: () => void;

  before(async () => {
    ministry = await startCivilRegistry({ port: 0 });
    restore = overrideSandbox({ endpoints: { 'moi-civil-registry': ministry.url } });
  });
  after(async () => {
    restore?.();
    await ministry?.close();
  });

  const report = (where: string, m: Measured) => {
    // The figures, for whoever lowers the ceilings next.
    process.stdout.write(`      ${where}: ${m.statements} statements, ${m.commits} commits, ${m.busMessages} bus messages per order\n`);
    if (process.env.WASL_COST_DETAIL) for (const [k, v] of m.byStatement) process.stdout.write(`        ${v} × ${k}\n`);
  };

  it('on the embedded default (SQLite, its queue): under the ceilings', async () => {
    const counts = new Counts();
    const uncount = countSqlite(counts);
    const dataDir = mkdtempSync(join(tmpdir(), 'wasl-cost-'));
    const config = testConfig({ dataDir, audit: auditConfig({}, dataDir) });
    const store = new SqliteStore({ file: join(dataDir, 'wasl.db'), audit: { keys: auditKeysOf(config), shards: config.audit.shards } });
    const hub = await testHub({ dataDir, audit: config.audit }, store, { runtime: true });
    try {
      await hub.startBackground();
      const db = new Database(join(dataDir, 'wasl.db'), { readonly: true });
      ignored.add(db);
      const probe: Probe = {
        order: async (id) => db.prepare<[string], Pick<Order, 'status'>>('SELECT status FROM orders WHERE id = ?').get(id),
        quiet: async () => (db.prepare('SELECT count(*) AS n FROM bus_messages').get() as { n: number }).n === 0,
      };
      await settledOrder(hub, probe); // warm: statements prepared, caches filled
      counts.reset();
      const commitsBefore = store.database.commits;
      const writesBefore = store.database.writes;
      counts.on = true;
      await settledOrder(hub, probe);
      counts.on = false;
      db.close();
      const m: Measured = { statements: counts.total(), commits: store.database.commits - commitsBefore, busMessages: counts.total(/^INSERT INTO bus_messages/), byStatement: [...counts.statements].sort((a, b) => b[1] - a[1]) };
      const writes = store.database.writes - writesBefore;
      report('SQLite', m);
      process.stdout.write(`      SQLite: ${writes} writes (the most commits there can be)\n`);
      // Ceilings: measured 2026-12-06 on this design (four stages, each transition → timeline → outbox → audit → queue → claim → flow → processed).
      assert.ok(m.statements <= SQLITE_CEILING.statements, `statements ${m.statements} > ${SQLITE_CEILING.statements}: ${JSON.stringify(m.byStatement.slice(0, 15))}`);
      // Which writes share a group commit depends on timing; how many writes there are no longer
      // does (it did while a consumer's empty claims were writes). Each write is its own
      // savepoint, at most a commit of its own.
      assert.ok(writes <= SQLITE_CEILING.writes, `writes ${writes} > ${SQLITE_CEILING.writes}`);
      assert.ok(m.commits <= writes, `commits ${m.commits} > writes ${writes}`);
      assert.ok(m.busMessages <= SQLITE_CEILING.busMessages, `bus messages ${m.busMessages} > ${SQLITE_CEILING.busMessages}`);
      assert.ok(m.busMessages >= 3, 'the order went through its stages on the bus (a count of nothing is no measure)');
    } finally {
      await hub.close();
      uncount();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('on PostgreSQL and RabbitMQ', () => {
    const schema = `wasl_cost_${process.pid}`;
    let vhost: TestVhost | undefined;
    before(async function () {
      await requirePostgres(this);
      await requireRabbitmqctl(this);
      vhost = await createVhost();
      await dropSchema(schema);
    });
    after(async () => {
      await vhost?.drop();
      if (vhost) await dropSchema(schema);
    });

    it('under the ceilings: transactions, round trips and messages per order', async () => {
      const counts = new Counts();
      const { logger } = testLogger('warn');
      const store: Store = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys: AuditKeys.ephemeral(), shards: 16 } });
      const bus = await RabbitBus.open({ url: vhost!.url, store: store as PostgresStore, logger, prefix: randomPrefix() });
      countPublishes(bus, counts);
      const uncount = countPg(counts);
      const hub = await testHub({}, store, { runtime: true, bus });
      try {
        await hub.startBackground();
        const client = new Client({ connectionString: PG_URL });
        ignored.add(client);
        await client.connect();
        const probe: Probe = {
          order: async (id) => (await client.query(`SELECT status FROM ${schema}.orders WHERE id = $1`, [id])).rows[0] as Pick<Order, 'status'> | undefined,
          quiet: async () => {
            const pending = await client.query(`SELECT count(*)::int AS n FROM ${schema}.outbox WHERE published_at IS NULL`);
            const d = await bus.depth(SERVICE);
            return (pending.rows[0] as { n: number }).n === 0 && d.ready + d.inFlight + d.delayed === 0;
          },
        };
        await settledOrder(hub, probe);
        counts.reset();
        counts.on = true;
        const id = await settledOrder(hub, probe);
        counts.on = false;
        // Each event a flow took is recorded processed — by the step that completed it, in its own
        // transaction (no INSERT INTO processed_events of its own) — and ready-for-pickup, which no
        // flow takes, is not: nothing was checked or recorded for it.
        const recorded = await client.query(`SELECT o.type FROM ${schema}.processed_events p JOIN ${schema}.outbox o ON o.event_id = p.event_id WHERE o.order_id = $1 ORDER BY o.seq`, [id]);
        assert.deepEqual(recorded.rows.map((r: { type: string }) => r.type), ['order.received', 'order.submitted-to-provider', 'order.provider-completed']);
        assert.equal(counts.total(/^INSERT INTO processed_events/), 0, 'the steps recorded their events with their own transactions');
        await client.end();
        const m: Measured = { statements: counts.total(), commits: counts.transactions, busMessages: counts.busMessages, byStatement: [...counts.statements].sort((a, b) => b[1] - a[1]) };
        report('PostgreSQL + RabbitMQ', m);
        assert.ok(m.statements <= PG_CEILING.statements, `round trips ${m.statements} > ${PG_CEILING.statements}: ${JSON.stringify(m.byStatement.slice(0, 15))}`);
        assert.ok(m.commits <= PG_CEILING.commits, `transactions ${m.commits} > ${PG_CEILING.commits}`);
        assert.ok(m.busMessages <= PG_CEILING.busMessages, `bus messages ${m.busMessages} > ${PG_CEILING.busMessages}`);
        assert.ok(m.busMessages >= 3, 'the order went through its stages on the bus');
      } finally {
        await hub.close();
        uncount();
      }
    });
  });
});

// Measured 2026-12-06 over several runs, the pollers left out (WASL_COST_DETAIL=1 lists every statement). Group
// commits vary a little with timing (11–13 seen): the commit ceiling leaves that much room.
// Issue 25's targets for PostgreSQL are 8 transactions and 20 round trips.
// First measured: SQLite 64–65 statements, 12–13 commits; PostgreSQL + RabbitMQ 65 round trips, 29 transactions.
// Now: an order step on PostgreSQL in two round trips (read and lock, then write and commit), a
// journal start that returns a finished step as it is, a provider call's operational and audit
// records in one transaction, each event's processed check and its order read in one query on
// PostgreSQL, an event no flow takes (ready-for-pickup here) acknowledged without a processed
// check or record, and on PostgreSQL each event recorded processed by the step that completes it,
// in the step's own transaction. Since issue 27 the order also stores the ministry's PDF (the
// document's row, its chunk and its completion, then wasl-order-update's check of it, and its
// verification code issued: the document's row, a look for the code, the code's row — 7 statements
// on SQLite, 5 round trips and transactions on PostgreSQL): SQLite 68–69 statements (a claim more
// or less, by timing), 11–13 commits; PostgreSQL 25 round trips, 20 transactions (20 and 15
// without the document); 4 bus messages.
// Then: the relay's marks carried by its next pass (one round trip with the lease and the read),
// and the document's code written first by the step that stores it, with the metadata its check
// read (no read of the row, no look for the code), and a provider call's records written with the
// journal finish that follows the call (hub/held-calls.ts), and a document's metadata answered
// from memory for the step that checks it in the process that just stored it: SQLite 65–66
// statements, PostgreSQL 17 round trips, 12 transactions.
// 2026-12-07: SQLite's commits (13 here) came to 14 with the machine busy, over a ceiling of 13:
// the ceiling is now on the writes, and the commits under the writes. The writes were 14 in every
// run beside busy loops, 13 in a few and 15 once in a fresh clone's full suite: the ceiling is the
// most seen, as the commits' was.
// 2026-12-07, later: 9 writes in every run, idle or beside four busy loops. The step that
// completes a delivery takes its message off the queue in its own write (EmbeddedBus.settlerWithin:
// three acks fewer), and a consumer looks for ready messages with a read before it claims (a
// claim that found nothing was a write: one to three per order, by timing — the writes' spread).
// And 56 statements in every run: an event handed over by the commit that created it comes with
// the order as that commit left it, and is not looked up in the processed log (Delivery.fresh):
// three processed checks and three reads of the order and its timeline fewer. Then 54 and 8,
// with 3 messages queued instead of 4: an event the subscription it would be handed to does not
// take (ready-for-pickup here) is left out of the queue, where it was queued and acknowledged
// untouched by a write of its own (the outbox keeps it).
// 2026-12-07, evening: 50 in every run. A step or a read of an order this process wrote last
// starts from what that write stored (SqliteOrders.stored), checked by one PRAGMA data_version,
// instead of reading the order and its whole timeline back: two statements become one.
// 2026-12-07, night: PostgreSQL 13 round trips in every run. A worker's step is written from the
// order its delivery's processed check read, with the audit head this process saw last, in one
// round trip (hub/store/postgres/known-orders.ts): three reads of the order, its timeline and the
// head fewer; and a provider call's records with the journal finish go after the head this
// process saw last, without reading it first. The transactions stay 12: each is still its own.
const SQLITE_MEASURED = { statements: 50, writes: 8, busMessages: 3 };
const PG_MEASURED = { statements: 13, commits: 12 };
const SQLITE_CEILING = { statements: SQLITE_MEASURED.statements, writes: SQLITE_MEASURED.writes, busMessages: SQLITE_MEASURED.busMessages };
const PG_CEILING = { statements: PG_MEASURED.statements, commits: PG_MEASURED.commits, busMessages: 4 };
