/**
 * The floor of durable intake on this machine: a node:http server that reads the body, parses
 * it, stores it as one row through the hub's own group commit (hub/sqlite/database.ts: WAL,
 * one transaction per event-loop turn, fdatasync off the event loop) and answers 202 with the
 * stored document once it is on disk. No framework, no authentication, no validation, no
 * idempotency, timeline, outbox, audit or log line: what any durable intake pays at least.
 * Run as a child of bench/intake.ts (--floor); reports its URL over IPC.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../hub/sqlite/database';
import { newOrderId } from '../hub/ids';
import { serveAsChild } from './lib/child';

const dir = mkdtempSync(join(tmpdir(), 'wasl-bench-floor-'));
const database = new SqliteDatabase(join(dir, 'floor.db'));
database.db.exec('CREATE TABLE orders (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID');
const insert = database.db.prepare('INSERT INTO orders (id, doc) VALUES (?, ?)');

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const id = newOrderId();
    let doc: string;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      doc = JSON.stringify({ id, status: 'received', ...body });
    } catch {
      res.writeHead(400).end();
      return;
    }
    database.write(() => insert.run(id, doc)).then(
      () => {
        res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(doc) });
        res.end(doc);
      },
      () => res.writeHead(503).end(),
    );
  });
});

serveAsChild(server, () => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});
