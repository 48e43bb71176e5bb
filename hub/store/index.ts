import { join } from 'node:path';
import { AuditKeys } from '../audit/keys';
import type { HubConfig } from '../config';
import { PostgresStore } from './postgres';
import { SqliteStore } from './sqlite';
import type { Store } from './store';

export type {
  Store,
  StoreConnection,
  OrderStore,
  OutboxStore,
  RelayPassRequest,
  RelayPassResult,
  StepJournal,
  CallbackStore,
  DeadLetterStore,
  AuditStore,
  ProviderCallRecords,
  CallRecords,
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

/** The audit trail's keys as the configuration gives them (hub/audit/keys.ts). */
export function auditKeysOf(config: Pick<HubConfig, 'audit' | 'secret' | 'dataDir'>): AuditKeys {
  return AuditKeys.from({ ...optionalKeys(config), dataDir: config.dataDir });
}

function optionalKeys(config: Pick<HubConfig, 'audit' | 'secret'>) {
  const a = config.audit;
  return { ...(a.key ? { auditKey: a.key } : {}), ...(a.oldKeys ? { oldKeys: a.oldKeys } : {}), ...(a.signingKey ? { signingKey: a.signingKey } : {}), ...(config.secret ? { secret: config.secret } : {}) };
}

/** PostgreSQL when DATABASE_URL is set, otherwise SQLite at <data dir>/wasl.db; the audit trail chained with the configuration's keys. */
export async function openStore(config: Pick<HubConfig, 'databaseUrl' | 'dataDir' | 'audit' | 'secret'>, keys = auditKeysOf(config)): Promise<Store> {
  const audit = { keys, shards: config.audit.shards };
  if (config.databaseUrl) return PostgresStore.open({ connectionString: config.databaseUrl, audit });
  return new SqliteStore({ file: join(config.dataDir, 'wasl.db'), audit });
}
