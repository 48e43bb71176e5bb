/**
 * The embedded bus against a bare better-sqlite3 loop with the same durability settings (WAL,
 * synchronous=FULL), in the same process: N events published in relay-sized batches and consumed
 * with acknowledgement (and the real dedup bookkeeping in the store), versus inserting each row
 * and deleting it, one statement at a time.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../hub/bus/embedded';
import type { BusMessage } from '../hub/bus/bus';
import { createLogger } from '../hub/log';
import { SqliteDatabase } from '../hub/sqlite/database';
import { SqliteStore } from '../hub/store/sqlite';
import { ratioLine } from './lib/ratio';

const PAYLOAD = { id: 'evt', type: 'order.received', orderId: 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAV', service: 'svc', at: new Date().toISOString(), seq: 1, status: 'received' };

export function bareLoop(n: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-bench-bare-'));
  try {
    const db = new Database(join(dir, 'bare.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE q (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, message TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO q (queue, message) VALUES (?, ?)');
    const del = db.prepare('DELETE FROM q WHERE id = ?');
    const body = JSON.stringify(PAYLOAD);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) del.run(insert.run('svc', body).lastInsertRowid);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    db.close();
    return n / s;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function embeddedBus(n: number, batch = 500, prefetch = 64): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-bench-bus-'));
  const database = new SqliteDatabase(join(dir, 'wasl.db'));
  try {
    const store = new SqliteStore({ database });
    const bus = new EmbeddedBus({ database, store, logger: createLogger('warn') });
    let done = 0;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const t0 = process.hrtime.bigint();
    const sub = await bus.subscribe({
      service: 'svc',
      prefetch,
      handler: async () => {
        if (++done === n) finish();
      },
    });
    for (let i = 0; i < n; i += batch) {
      const msgs: BusMessage[] = [];
      for (let j = i; j < Math.min(n, i + batch); j++) msgs.push({ eventId: `evt_${j}`, orderId: PAYLOAD.orderId, service: 'svc', type: 'order.received', payload: PAYLOAD });
      await bus.publish(msgs);
    }
    await finished;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    await sub.stop();
    await bus.close();
    return n / s;
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 20_000);
  void (async () => {
    const bare = bareLoop(n);
    const bus = await embeddedBus(n);
    console.log(`bare better-sqlite3 insert+delete (WAL, synchronous=FULL): ${bare.toFixed(0)} events/s`);
    console.log(`embedded bus publish+consume+ack:                          ${bus.toFixed(0)} events/s`);
    console.log(ratioLine('bus-embedded', bus / bare, 0.5));
  })();
}
