/** The events each bus consumer has processed, on SQLite: how duplicates are dropped by event id. */
import type { ProcessedLog } from '../../bus/bus';
import type { SqliteDatabase } from '../../sqlite/database';

export class SqliteProcessedLog implements ProcessedLog {
  private readonly stmt;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.stmt = {
      isProcessed: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM processed_events WHERE consumer = ? AND event_id = ?'),
      recordProcessed: db.prepare('INSERT OR IGNORE INTO processed_events (consumer, event_id, processed_at) VALUES (?, ?, ?)'),
    };
  }

  async isProcessed(consumer: string, eventId: string): Promise<boolean> {
    return this.stmt.isProcessed.get(consumer, eventId) !== undefined;
  }

  recordProcessed(consumer: string, eventId: string): Promise<void> {
    return this.database.write(() => {
      this.stmt.recordProcessed.run(consumer, eventId, new Date().toISOString());
    });
  }

  recorderWithin(database: unknown): ((consumer: string, eventId: string) => void) | undefined {
    if (database !== this.database) return undefined;
    return (consumer, eventId) => void this.stmt.recordProcessed.run(consumer, eventId, new Date().toISOString());
  }
}
