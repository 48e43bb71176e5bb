/** The step journal on SQLite: the outcome of each external call, per order and step. */
import type { SqliteDatabase } from '../../sqlite/database';
import type { JournalEntry, StepJournal } from '../store';

interface JournalRow {
  order_id: string;
  step: string;
  status: JournalEntry['status'];
  attempts: number;
  outcome: string | null;
  started_at: string;
  finished_at: string | null;
}

function journalEntry(r: JournalRow): JournalEntry {
  const e: JournalEntry = { orderId: r.order_id, step: r.step, status: r.status, attempts: r.attempts, startedAt: r.started_at };
  if (r.outcome !== null) e.outcome = JSON.parse(r.outcome);
  if (r.finished_at) e.finishedAt = r.finished_at;
  return e;
}

export class SqliteJournal implements StepJournal {
  private readonly stmt;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.stmt = {
      journalGet: db.prepare<[string, string], JournalRow>('SELECT * FROM step_journal WHERE order_id = ? AND step = ?'),
      journalStart: db.prepare(
        `INSERT INTO step_journal (order_id, step, status, attempts, started_at) VALUES (?, ?, 'started', 1, ?)
         ON CONFLICT (order_id, step) DO UPDATE SET status = 'started', attempts = attempts + 1, started_at = excluded.started_at, outcome = NULL, finished_at = NULL
         WHERE status = 'started'`,
      ),
      journalFinish: db.prepare('UPDATE step_journal SET status = ?, outcome = ?, finished_at = ? WHERE order_id = ? AND step = ?'),
    };
  }

  async journalGet(orderId: string, step: string): Promise<JournalEntry | undefined> {
    const row = this.stmt.journalGet.get(orderId, step);
    return row ? journalEntry(row) : undefined;
  }

  journalStart(orderId: string, step: string): Promise<JournalEntry> {
    return this.database.write(() => {
      this.stmt.journalStart.run(orderId, step, new Date().toISOString());
      return journalEntry(this.stmt.journalGet.get(orderId, step) as JournalRow);
    });
  }

  journalFinish(orderId: string, step: string, status: 'succeeded' | 'failed', outcome: unknown): Promise<void> {
    return this.database.write(() => this.finishWithin(orderId, step, status, outcome));
  }

  /** The finish, inside a write of this database. */
  finishWithin(orderId: string, step: string, status: 'succeeded' | 'failed', outcome: unknown): void {
    this.stmt.journalFinish.run(status, JSON.stringify(outcome ?? null), new Date().toISOString(), orderId, step);
  }
}
