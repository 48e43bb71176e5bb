import { join } from 'node:path';
import type { HubConfig } from '../config';
import { PostgresStore } from './postgres';
import { SqliteStore } from './sqlite';
import type { Store } from './store';

export type {
  Store,
  StoreConnection,
  OrderStore,
  OutboxStore,
  StepJournal,
  CallbackStore,
  DeadLetterStore,
  AuditStore,
  ProviderCallRecords,
  LeaseStore,
  MetricCounts,
  CallbackRecord,
  CallbackQuery,
  PaymentAnomaly,
  PaymentAnomalyKind,
  ReceiptDraft,
  ProviderCallRecord,
  JournalEntry,
} from './store';
export type { ProcessedLog } from '../bus/bus';

/** PostgreSQL when DATABASE_URL is set, otherwise SQLite at <data dir>/wasl.db. */
export async function openStore(config: Pick<HubConfig, 'databaseUrl' | 'dataDir'>): Promise<Store> {
  if (config.databaseUrl) return PostgresStore.open({ connectionString: config.databaseUrl });
  return new SqliteStore({ file: join(config.dataDir, 'wasl.db') });
}
