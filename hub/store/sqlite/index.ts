/**
 * The embedded back end: the store's tables in the hub's SQLite database (hub/sqlite/database.ts:
 * WAL, synchronous=FULL, group commit), so an accepted order is on disk before the gateway answers.
 * Each role is a file of its own beside this one, over the one database; this class opens and
 * migrates the database and is every role at once (the Store the hub holds).
 */
import { join } from 'node:path';
import type { Order, OrderStatus } from '../../../contracts/types';
import { DEFAULT_SHARDS, type AuditEntry, type ChainOptions } from '../../audit/chain';
import { AuditKeys } from '../../audit/keys';
import type { Seal } from '../../audit/seal';
import type { AttemptRecord, BusMessage, InlinePublisher, InlineSettler } from '../../bus/bus';
import type { CallRecord } from '../../../connectors/connector';
import { SqliteDatabase } from '../../sqlite/database';
import type { AuditQuery, CallbackQuery, CallbackRecord, DeadLetterQuery, IdempotencyClaim, NoteRequest, OrderQuery, ProviderCallQuery, RelayPassRequest, RelayPassResult, Store, TransitionRequest, CallRecords } from '../store';
import type { TraceCarrier } from '../../tracing';
import { SqliteAudit } from './audit';
import { SqliteCallbacks } from './callbacks';
import { SqliteCounts } from './counts';
import { SqliteDeadLetters } from './dead-letters';
import { SqliteJournal } from './journal';
import { SqliteLeases } from './leases';
import { SqliteOrders } from './orders';
import { SqliteOutbox } from './outbox';
import { SqliteProcessedLog } from './processed';
import { SqliteProviderCalls } from './provider-calls';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for tests; the store then owns its database. */
  file?: string;
  /** A database shared with the embedded bus; the caller closes it. */
  database?: SqliteDatabase;
  /** How the audit trail is chained: its keys and shards (openStore gives the configuration's; otherwise a key of this process alone). */
  audit?: ChainOptions;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly database: SqliteDatabase;
  private readonly ownsDatabase: boolean;
  private readonly pingStmt;
  private readonly orders: SqliteOrders;
  private readonly outbox: SqliteOutbox;
  private readonly journal: SqliteJournal;
  private readonly callbacks: SqliteCallbacks;
  private readonly deadLetters: SqliteDeadLetters;
  private readonly processed: SqliteProcessedLog;
  private readonly audit: SqliteAudit;
  private readonly providerCalls: SqliteProviderCalls;
  private readonly leases: SqliteLeases;
  private readonly counts: SqliteCounts;

  constructor(opts: SqliteStoreOptions) {
    if (!opts.database && !opts.file) throw new Error('SqliteStore needs a file or a database');
    this.ownsDatabase = !opts.database;
    this.database = opts.database ?? new SqliteDatabase(opts.file as string);
    this.database.migrate('store', join(__dirname, '..', 'migrations', 'sqlite'));
    const database = this.database;
    this.pingStmt = database.db.prepare('SELECT 1');
    this.audit = new SqliteAudit(database, opts.audit ?? { keys: AuditKeys.ephemeral(), shards: DEFAULT_SHARDS });
    this.orders = new SqliteOrders(database, this.audit);
    this.outbox = new SqliteOutbox(database);
    this.journal = new SqliteJournal(database);
    this.callbacks = new SqliteCallbacks(database);
    this.deadLetters = new SqliteDeadLetters(database, this.orders);
    this.processed = new SqliteProcessedLog(database);
    this.providerCalls = new SqliteProviderCalls(database, this.audit);
    this.leases = new SqliteLeases(database);
    this.counts = new SqliteCounts(database);
    this.orders.settleWith(this.processed.recorderWithin(database));
  }

  /**
   * The embedded bus's publisher, when the bus shares this database (EmbeddedBus.publisherWithin):
   * from then on each step's event enters the queue in the step's own commit and its outbox row
   * is written as published, so the relay has nothing to move. Whether it is set.
   */
  publishWithin(publisher: InlinePublisher | undefined): boolean {
    return this.orders.publishWithin(publisher);
  }

  /**
   * The embedded bus's settler, when the bus shares this database (EmbeddedBus.settlerWithin):
   * a step that completes a delivery then also takes its message off the queue in its commit.
   * Without it a step records its event processed alone, and the bus acknowledges after.
   */
  settleWithin(settler: InlineSettler | undefined): void {
    if (settler) this.orders.settleWith(settler);
  }

  // OrderStore (orders.ts)
  createOrder(order: Order, idem: IdempotencyClaim, trace?: TraceCarrier) { return this.orders.createOrder(order, idem, trace); }
  getOrder(id: string) { return this.orders.getOrder(id); }
  listOrders(q: OrderQuery) { return this.orders.listOrders(q); }
  transition(id: string, req: TransitionRequest) { return this.orders.transition(id, req); }
  note(id: string, req: NoteRequest) { return this.orders.note(id, req); }
  findOrdersByNationalNumber(nationalNumber: string, limit: number) { return this.orders.findOrdersByNationalNumber(nationalNumber, limit); }
  getReceipt(orderId: string) { return this.orders.getReceipt(orderId); }
  // OutboxStore (outbox.ts)
  outboxPending(limit: number) { return this.outbox.outboxPending(limit); }
  markPublished(seqs: number[]) { return this.outbox.markPublished(seqs); }
  /** The marks and the lease in one group commit, then the read (local: no round trips to save). */
  async relayPass(req: RelayPassRequest): Promise<RelayPassResult> {
    const [, leader] = await Promise.all([req.published.length ? this.outbox.markPublished([...req.published]) : undefined, this.leases.tryLease(req.lease, req.holder, req.ttlMs)]);
    return { leader, pending: leader ? await this.outbox.outboxPending(req.limit) : [] };
  }
  // StepJournal (journal.ts)
  journalGet(orderId: string, step: string) { return this.journal.journalGet(orderId, step); }
  journalStart(orderId: string, step: string) { return this.journal.journalStart(orderId, step); }
  /** With the calls' records: in the same write. */
  journalFinish(orderId: string, step: string, status: 'succeeded' | 'failed', outcome: unknown, calls?: CallRecords) {
    if (!calls?.records.length) return this.journal.journalFinish(orderId, step, status, outcome);
    return this.providerCalls.recordProviderCalls(calls.records, calls.audit, () => this.journal.finishWithin(orderId, step, status, outcome));
  }
  // CallbackStore (callbacks.ts)
  recordCallback(r: CallbackRecord) { return this.callbacks.recordCallback(r); }
  getCallback(provider: string, eventId: string) { return this.callbacks.getCallback(provider, eventId); }
  listCallbacks(q: CallbackQuery) { return this.callbacks.listCallbacks(q); }
  // DeadLetterStore (dead-letters.ts)
  recordDeadLetter(dl: { message: BusMessage; reason: string; history: AttemptRecord[] }) { return this.deadLetters.recordDeadLetter(dl); }
  listDeadLetters(q: DeadLetterQuery) { return this.deadLetters.listDeadLetters(q); }
  removeDeadLetters(ids: string[]) { return this.deadLetters.removeDeadLetters(ids); }
  // ProcessedLog (processed.ts)
  isProcessed(consumer: string, eventId: string) { return this.processed.isProcessed(consumer, eventId); }
  recordProcessed(consumer: string, eventId: string) { return this.processed.recordProcessed(consumer, eventId); }
  recorderWithin(database: unknown) { return this.processed.recorderWithin(database); }
  // AuditStore (audit.ts)
  appendAudit(entries: AuditEntry[]) { return this.audit.appendAudit(entries); }
  readAudit(q: AuditQuery) { return this.audit.readAudit(q); }
  listOperatorActions(q: { beforeSeq?: number; limit: number }) { return this.audit.listOperatorActions(q); }
  readAuditChains(q: { after?: { shard: number; shardSeq: number }; limit: number }) { return this.audit.readAuditChains(q); }
  auditHeads() { return this.audit.auditHeads(); }
  addAuditSeal(seal: Seal) { return this.audit.addAuditSeal(seal); }
  auditSeals(after?: number) { return this.audit.auditSeals(after); }
  lastAuditSeal() { return this.audit.lastAuditSeal(); }
  readLegacyAudit(q: { afterSeq?: number; limit: number }) { return this.audit.readLegacyAudit(q); }
  // ProviderCallRecords (provider-calls.ts)
  recordProviderCalls(records: CallRecord[], audit?: AuditEntry[]) { return this.providerCalls.recordProviderCalls(records, audit); }
  listProviderCalls(q: ProviderCallQuery) { return this.providerCalls.listProviderCalls(q); }
  pruneProviderCalls(before: Date) { return this.providerCalls.pruneProviderCalls(before); }
  // LeaseStore (leases.ts)
  tryLease(name: string, holder: string, ttlMs: number) { return this.leases.tryLease(name, holder, ttlMs); }
  releaseLease(name: string, holder: string) { return this.leases.releaseLease(name, holder); }
  // MetricCounts (counts.ts)
  orderCounts() { return this.counts.orderCounts(); }
  countOrders(service: string, statuses: readonly OrderStatus[], before: Date) { return this.counts.countOrders(service, statuses, before); }
  deadLetterCounts() { return this.counts.deadLetterCounts(); }

  async ping(): Promise<void> {
    this.pingStmt.get();
  }

  async close(): Promise<void> {
    if (this.ownsDatabase) this.database.close();
  }
}
