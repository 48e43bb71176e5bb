import { join } from 'node:path';
import type { HubConfig } from '../config';
import { PostgresStore } from './postgres';
import { SqliteStore } from './sqlite';
import type { Store } from './store';

export type { Store, CallbackRecord, CallbackQuery, PaymentAnomaly, PaymentAnomalyKind, ReceiptDraft, ProviderCallRecord, JournalEntry } from './store';

/** PostgreSQL when DATABASE_URL is set, otherwise SQLite at <data dir>/wasl.db. */
export async function openStore(config: Pick<HubConfig, 'databaseUrl' | 'dataDir'>): Promise<Store> {
  if (config.databaseUrl) return PostgresStore.open({ connectionString: config.databaseUrl });
  return new SqliteStore({ file: join(config.dataDir, 'wasl.db') });
}
