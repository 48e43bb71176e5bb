/** The step journal on PostgreSQL: the outcome of each external call, per order and step. */
import type { PgBatch } from './batch';
import type { JournalEntry, StepJournal } from '../store';

interface JournalRow {
  order_id: string;
  step: string;
  status: JournalEntry['status'];
  attempts: number;
  outcome: unknown;
  started_at: Date;
  finished_at: Date | null;
}

function journalEntry(r: JournalRow): JournalEntry {
  const e: JournalEntry = { orderId: r.order_id, step: r.step, status: r.status, attempts: r.attempts, startedAt: r.started_at.toISOString() };
  if (r.outcome !== null && r.outcome !== undefined) e.outcome = r.outcome;
  if (r.finished_at) e.finishedAt = r.finished_at.toISOString();
  return e;
}

/** Every statement here goes with the others of the same moment (batch.ts). */
export class PgJournal implements StepJournal {
  constructor(private readonly pool: PgBatch) {}

  async journalGet(orderId: string, step: string): Promise<JournalEntry | undefined> {
    const { rows } = await this.pool.query<JournalRow>('SELECT * FROM step_journal WHERE order_id = $1 AND step = $2', [orderId, step]);
    return rows[0] ? journalEntry(rows[0]) : undefined;
  }

  async journalStart(orderId: string, step: string): Promise<JournalEntry> {
    // A finished step's row is left alone (the WHERE), and then returns nothing: read as it is.
    const { rows } = await this.pool.query<JournalRow>(
      `INSERT INTO step_journal (order_id, step, status, attempts, started_at) VALUES ($1, $2, 'started', 1, now())
       ON CONFLICT (order_id, step) DO UPDATE SET status = 'started', attempts = step_journal.attempts + 1, started_at = excluded.started_at, outcome = NULL, finished_at = NULL
       WHERE step_journal.status = 'started'
       RETURNING *`,
      [orderId, step],
    );
    if (rows[0]) return journalEntry(rows[0]);
    const finished = await this.journalGet(orderId, step);
    if (!finished) throw new Error(`the journal entry of ${orderId} ${step} vanished`);
    return finished;
  }

  async journalFinish(orderId: string, step: string, status: 'succeeded' | 'failed', outcome: unknown): Promise<void> {
    await this.pool.query('UPDATE step_journal SET status = $1, outcome = $2, finished_at = now() WHERE order_id = $3 AND step = $4', [
      status,
      JSON.stringify(outcome ?? null),
      orderId,
      step,
    ]);
  }
}
