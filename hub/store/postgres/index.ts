/**
 * The PostgreSQL back end, for many gateway and worker processes. Each write is one transaction
 * (database.ts); a status change locks its order row so concurrent workers serialise on the
 * order, not on the table. Each role is a file of its own beside this one, over the one pool;
 * this class opens and migrates the database and is every role at once (the Store the hub holds).
 */
import type { Pool } from 'pg';
import type { Order, OrderStatus } from '../../../contracts/types';
import type { AuditEntry } from '../../audit/chain';
import type { Seal } from '../../audit/seal';
import type { AttemptRecord, BusMessage } from '../../bus/bus';
import type { CallRecord } from '../../../connectors/connector';
import type { AuditQuery, CallbackQuery, CallbackRecord, DeadLetterQuery, IdempotencyClaim, NoteRequest, OrderQuery, ProviderCallQuery, RelayPassRequest, Store, TransitionRequest, CallRecords } from '../store';
import type { TraceCarrier } from '../../tracing';
import type { PgBatch } from './batch';
import { PgAudit } from './audit';
import { PgCallbacks } from './callbacks';
import { PgCounts } from './counts';
import { PgDatabase, type PostgresStoreOptions } from './database';
import { PgDeadLetters } from './dead-letters';
import { PgJournal } from './journal';
import { PgLeases } from './leases';
import { PgOrders } from './orders';
import { PgOutbox } from './outbox';
import { PgProcessedLog } from './processed';
import { PgProviderCalls } from './provider-calls';

export type { PostgresStoreOptions } from './database';

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  /** The store's pool: what the hub opens its document store on (hub/documents/postgres.ts), the same database and schema. The store ends it at close. */
  readonly pool: Pool;
  /** Single statements of the same moment in one round trip (batch.ts): the document store's go with them. */
  readonly batch: PgBatch;
  private readonly orders: PgOrders;
  private readonly outbox: PgOutbox;
  private readonly journal: PgJournal;
  private readonly callbacks: PgCallbacks;
  private readonly deadLetters: PgDeadLetters;
  private readonly processed: PgProcessedLog;
  private readonly audit: PgAudit;
  private readonly providerCalls: PgProviderCalls;
  private readonly leases: PgLeases;
  private readonly counts: PgCounts;

  private constructor(private readonly database: PgDatabase) {
    const pool = (this.pool = database.pool);
    this.batch = database.batch;
    this.orders = new PgOrders(database);
    this.outbox = new PgOutbox(pool);
    this.journal = new PgJournal(database.batch);
    this.callbacks = new PgCallbacks(pool);
    this.deadLetters = new PgDeadLetters(database, this.orders);
    this.processed = new PgProcessedLog(database);
    this.audit = new PgAudit(database);
    this.providerCalls = new PgProviderCalls(pool, database);
    this.leases = new PgLeases(pool);
    this.counts = new PgCounts(pool);
  }

  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
    return new PostgresStore(await PgDatabase.open(opts));
  }

  /** Appends run again with their shard's head locked after losing their place in its chain (database.ts appendingAfterHeads). */
  get chainRetries(): number {
    return this.database.chainRetries;
  }

  /** Steps written from the order as this process last read it, and those that had to read it again (known-orders.ts). */
  get knownOrders(): { hits: number; rewrites: number; misses: number } {
    return { ...this.database.known.stats };
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
  relayPass(req: RelayPassRequest) { return this.outbox.relayPass(req); }
  // StepJournal (journal.ts)
  journalGet(orderId: string, step: string) { return this.journal.journalGet(orderId, step); }
  journalStart(orderId: string, step: string) { return this.journal.journalStart(orderId, step); }
  /** With the calls' records: one transaction (two round trips with their audit records) instead of two. */
  journalFinish(orderId: string, step: string, status: 'succeeded' | 'failed', outcome: unknown, calls?: CallRecords) {
    if (!calls?.records.length) return this.journal.journalFinish(orderId, step, status, outcome);
    return this.providerCalls.recordProviderCalls(calls.records, calls.audit, { orderId, step, status, outcome });
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
  checkAndRead(consumer: string, eventId: string, orderId: string) { return this.processed.checkAndRead(consumer, eventId, orderId); }
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
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
