/**
 * The hub's document store, on the database its store uses (docs/documents.md): SQLite's file or
 * PostgreSQL's pool — so documents share the orders' backups, replication and access control, and
 * a document and the order that cites it are never in two places that can disagree. Keys from
 * WASL_SECRET, or the sandbox's key file in the data directory (hub/documents/keys.ts).
 *
 * And the purge: documents past their retention lose their content (their metadata and SHA-256
 * stay), run by the process with the relay role, as the other singular jobs are.
 */
import type { HubConfig } from '../config';
import type { Logger } from '../log';
import type { Store } from '../store';
import { PostgresStore } from '../store/postgres';
import { SqliteStore } from '../store/sqlite';
import { DocumentKeys } from './keys';
import { openDocumentStore as openOnPostgres } from './postgres';
import { DEFAULT_DOCUMENT_RETENTION_DAYS } from './retention';
import { openDocumentStore as openOnSqlite } from './sqlite';
import type { DocumentStore } from './store';

export type DocumentConfig = Pick<HubConfig, 'secret' | 'dataDir' | 'documentRetentionDays'>;

/**
 * The document store on `store`'s database, or undefined for a store that is neither of wasl's
 * (a test's fake): the hub then runs without documents, and the document routes answer 404.
 */
export async function openHubDocuments(store: Store, config: DocumentConfig, clock?: () => Date): Promise<DocumentStore | undefined> {
  const opts = {
    keys: DocumentKeys.from({ ...(config.secret ? { secret: config.secret } : {}), dataDir: config.dataDir }),
    // A put that names no retention (a flow that forgot retentionFor) still expires.
    defaultRetentionDays: config.documentRetentionDays ?? DEFAULT_DOCUMENT_RETENTION_DAYS,
    ...(clock ? { clock } : {}),
  };
  if (store instanceof SqliteStore) return openOnSqlite(store.database, opts);
  if (store instanceof PostgresStore) return openOnPostgres({ pool: store.pool, batch: store.batch }, opts);
  return undefined;
}

/**
 * Purges now and then every `everyMs` (unref'd: it keeps no process alive); returns what stops it.
 * Logs counts only — never an id, which would tie a log line to a citizen's order. Idempotent and
 * safe in several processes at once (PostgreSQL skips rows another holds; SQLite has one writer).
 */
export function schedulePurge(documents: Pick<DocumentStore, 'purgeExpired'>, everyMs: number, logger: Logger, now: () => Date = () => new Date()): () => Promise<void> {
  let running: Promise<void> | undefined;
  const purge = () => {
    // One pass at a time: a slow pass is not overtaken by the next tick.
    running ??= documents
      .purgeExpired(now())
      .then((r) => {
        if (r.purged > 0 || r.abandoned > 0) logger.info({ purged: r.purged, abandoned: r.abandoned }, 'documents past their retention purged');
      })
      .catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'could not purge the documents past their retention'))
      .finally(() => (running = undefined));
  };
  purge();
  const timer = setInterval(purge, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    // The store closes after this: a pass in flight ends first.
    await running;
  };
}
