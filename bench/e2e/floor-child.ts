/**
 * The floor of a durable, exactly-once end-to-end path on this machine, for bench:e2e: the
 * least any implementation of "accept an order, call the ministry once, keep the outcome" pays,
 * whatever its framework. A node:http server; each POST is parsed and stored as an order with
 * its first timeline step through the hub's own group commit (hub/sqlite/database.ts: WAL,
 * fdatasync off the event loop) and answered 202 once on disk. Then, 50 at a time like the
 * flow: a journal entry is made durable before the call (so a crash cannot call twice unseen),
 * the SOAP request is written out by hand and POSTed on a keep-alive socket, the answer's
 * reference read with a regular expression, and the outcome stored with the order's new status
 * and timeline step in one durable write.
 *
 * Left out, on purpose: authentication, validation, idempotency keys, fees, the state machine,
 * the audit chain, the outbox and bus (a restart would have to find unfinished orders by
 * scanning), Node-RED, typed connectors, resilience policies, logs and metrics. Its tables
 * carry what bench:e2e reads from the hub's (orders.status and service_code, order_timeline
 * steps with their time), so both are measured the same way. Reports its URL over IPC.
 * Env: WASL_DATA_DIR (the database goes there), MINISTRY_URL, BENCH_E2E_SERVICE.
 */
import http, { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SqliteDatabase } from '../../hub/sqlite/database';
import { newOrderId } from '../../hub/ids';
import type { OrderRequest } from '../../contracts/types';
import { serveAsChild } from '../lib/child';
import { post } from '../lib/ministry';
import { envelope, ministryInput, SOAP_HEADERS } from './envelope';

const CONCURRENCY = 50;
const ministryUrl = process.env.MINISTRY_URL as string;
const service = process.env.BENCH_E2E_SERVICE as string;
const database = new SqliteDatabase(join(process.env.WASL_DATA_DIR as string, 'wasl.db'));
database.db.exec(`
  CREATE TABLE orders (id TEXT PRIMARY KEY, service_code TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE order_timeline (order_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (order_id, seq)) WITHOUT ROWID;
  CREATE TABLE journal (order_id TEXT PRIMARY KEY, status TEXT NOT NULL, outcome TEXT) WITHOUT ROWID;
`);
const stmt = {
  order: database.db.prepare('INSERT INTO orders (id, service_code, status, doc) VALUES (?, ?, ?, ?)'),
  status: database.db.prepare('UPDATE orders SET status = ? WHERE id = ?'),
  step: database.db.prepare('INSERT INTO order_timeline (order_id, seq, doc) VALUES (?, ?, ?)'),
  started: database.db.prepare("INSERT INTO journal (order_id, status) VALUES (?, 'started')"),
  finished: database.db.prepare("UPDATE journal SET status = 'succeeded', outcome = ? WHERE order_id = ?"),
};
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

interface Work {
  id: string;
  input: Record<string, unknown>;
}
const ready: Work[] = [];
let running = 0;

async function complete({ id, input }: Work): Promise<void> {
  await database.write(() => stmt.started.run(id));
  const answer = await post(ministryUrl, envelope(randomUUID(), input, id), SOAP_HEADERS, agent);
  if (answer.status !== 200) throw new Error(`ministry answered ${answer.status}`);
  const reference = /<cr:extractReference>([^<]+)</.exec(answer.body)?.[1];
  if (!reference) throw new Error('no extract reference in the answer');
  const at = new Date().toISOString();
  await database.write(() => {
    stmt.finished.run(JSON.stringify({ reference }), id);
    stmt.status.run('provider-completed', id);
    stmt.step.run(id, 2, JSON.stringify({ seq: 2, at, status: 'provider-completed' }));
  });
}

function pump(): void {
  while (running < CONCURRENCY && ready.length) {
    const work = ready.shift() as Work;
    running++;
    complete(work)
      .catch((err: unknown) => process.stderr.write(`floor: order ${work.id}: ${(err as Error).message}\n`))
      .finally(() => {
        running--;
        pump();
      });
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const id = newOrderId();
    let request: OrderRequest;
    try {
      request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OrderRequest;
    } catch {
      res.writeHead(400).end();
      return;
    }
    const at = new Date().toISOString();
    const doc = JSON.stringify({ id, status: 'received', createdAt: at, ...request });
    const input = ministryInput(request);
    database
      .write(() => {
        stmt.order.run(id, service, 'received', doc);
        stmt.step.run(id, 1, JSON.stringify({ seq: 1, at, status: 'received' }));
      })
      .then(
        () => {
          res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(doc) });
          res.end(doc);
          ready.push({ id, input });
          pump();
        },
        () => res.writeHead(503).end(),
      );
  });
});

serveAsChild(server, () => database.close());
