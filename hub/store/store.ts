/**
 * The store, seen through its roles: one interface per concern (orders, outbox, step journal,
 * callbacks, dead letters, processed events, audit trail, provider-call records, leases, metric
 * counts), each caller typed with only the roles it uses. `Store` is all of them together: what
 * a back end implements (SQLite by default, PostgreSQL with DATABASE_URL; hub/store/sqlite/,
 * hub/store/postgres/, a file per role) and what openStore hands the hub.
 *
 * It owns the truth about orders: every write of an order, its timeline step, its outbox event,
 * its audit record and its idempotency key happens in one transaction, and every status change
 * goes through the state machine inside that transaction.
 */
import type { Actor, Order, OrderEvent, OrderStatus, OrderSummary, Reason, Receipt, Rejection, Results, Payment, Shipment } from '../../contracts/types';
import type { TraceCarrier } from '../tracing';
import type { DeadLetter, DeadLetterSink, ProcessedLog, Settlement } from '../bus/bus';
import type { AuditEntry, AuditRecord, ChainHead } from '../audit/chain';
import type { LegacyRecord } from '../audit/legacy';
import type { Seal } from '../audit/seal';
import type { CallRecord } from '../../connectors/connector';

export interface IdempotencyClaim {
  channel: string;
  key: string;
  /** sha256 of the canonical request body: the same key with another body is refused. */
  requestHash: string;
}

export interface CreateResult {
  order: Order;
  /** True when the key had been used with the same body: nothing was written. */
  replayed: boolean;
}

/** What a step may change on the order besides its status. */
export interface OrderPatch {
  payment?: Payment;
  results?: Results;
  shipment?: Shipment;
  /** A provider's refusal, as the citizen reads it (a step to rejected; hub/order-outcome.ts). */
  rejection?: Rejection;
}

/** A receipt before the store numbers it. */
export type ReceiptDraft = Omit<Receipt, 'number'>;

export interface TransitionRequest {
  to: OrderStatus;
  actor: Actor;
  reason?: Reason;
  /** Timeline event name; order.<to> by default. */
  event?: string;
  patch?: OrderPatch;
  /** Issues the order's receipt in the same transaction: numbered, stored, its number on payment.receiptNumber. */
  receipt?: ReceiptDraft;
  /** The trace the step is made in (hub/tracing.ts): its id on the step, its context on the event. Set by the hub's store decorator (observed.ts). */
  trace?: TraceCarrier;
  /** The bus event this step finishes: recorded processed in the step's transaction where the store can (PostgreSQL). */
  settles?: Settlement;
}

/** A timeline step that changes nothing else: a replay, a dead letter, an operator's remark. */
export interface NoteRequest {
  event: string;
  actor: Actor;
  reason?: Reason;
}

export interface OrderQuery {
  /** Only this channel's orders (always set for a channel that may not read all). */
  channel?: string;
  status?: OrderStatus;
  service?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  /** Opaque, from a previous page. */
  cursor?: string;
  limit: number;
}

export interface OrderPage {
  items: OrderSummary[];
  nextCursor?: string;
}

/**
 * Orders: the central model, its timeline, the idempotency keys of the requests that created
 * them and the receipts issued with their payment. Every step writes, in its own transaction,
 * the timeline event, the audit record and the outbox event (read by the OutboxStore role).
 */
export interface OrderStore {
  /** Writes a new order (status received, first timeline step) with its outbox event and idempotency key. */
  createOrder(order: Order, idem: IdempotencyClaim, trace?: TraceCarrier): Promise<CreateResult>;
  getOrder(id: string): Promise<Order | undefined>;
  listOrders(query: OrderQuery): Promise<OrderPage>;
  /** Moves an order through the state machine; throws illegal-transition or order-not-found. */
  transition(id: string, req: TransitionRequest): Promise<Order>;
  /** Appends a step that leaves the status as it is; no outbox event. */
  note(id: string, req: NoteRequest): Promise<Order>;
  /** Orders whose applicant or beneficiary has this national number, newest first (the monitoring dashboard's search). */
  findOrdersByNationalNumber(nationalNumber: string, limit: number): Promise<Order[]>;
  /** The receipt a transition to paid issued (TransitionRequest.receipt). */
  getReceipt(orderId: string): Promise<Receipt | undefined>;
}

export interface OutboxRecord {
  seq: number;
  event: OrderEvent;
}

/** The outbox as the relay sees it: the events each order step wrote, to be moved to the bus. */
export interface OutboxStore {
  /** Unpublished outbox events, oldest first. */
  outboxPending(limit: number): Promise<OutboxRecord[]>;
  markPublished(seqs: number[]): Promise<void>;
  /**
   * One pass of the relay, in one round trip where the store can: marks `published` (what the
   * relay's previous pass moved to the bus), takes or renews the lease `lease` for `holder`, and
   * only if it holds it reads the next `limit` unpublished events. The marks are written whether
   * or not the lease is still held: those events are on the bus either way.
   */
  relayPass(req: RelayPassRequest): Promise<RelayPassResult>;
}

export interface RelayPassRequest {
  lease: string;
  holder: string;
  ttlMs: number;
  published: readonly number[];
  limit: number;
}

export interface RelayPassResult {
  leader: boolean;
  pending: OutboxRecord[];
}

/** The recorded outcome of one external call of one order step. */
export interface JournalEntry {
  orderId: string;
  step: string;
  status: 'started' | 'succeeded' | 'failed';
  /** How many times the call was started. */
  attempts: number;
  /** The call's result when it succeeded, its error (code and safe fields) when it failed for good. */
  outcome?: unknown;
  startedAt: string;
  finishedAt?: string;
}

/** The outcome of each external call per order and step, so a redelivered message resumes instead of calling again (hub/journal.ts). */
export interface StepJournal {
  journalGet(orderId: string, step: string): Promise<JournalEntry | undefined>;
  /**
   * Records that the step's call starts (again): status started, attempts + 1 — unless the step
   * finished (succeeded or failed), which is returned as it is: one round trip for what was a
   * read and then a write on every call (issue 25).
   */
  journalStart(orderId: string, step: string): Promise<JournalEntry>;
  /**
   * Records the step's outcome; with `calls`, the operational and audit records of the provider
   * calls made meanwhile in the same transaction (hub/held-calls.ts).
   */
  journalFinish(orderId: string, step: string, status: 'succeeded' | 'failed', outcome: unknown, calls?: CallRecords): Promise<void>;
}

/** Provider calls' operational records and their audit records, written together. */
export interface CallRecords {
  records: CallRecord[];
  audit: AuditEntry[];
}

export type PaymentAnomalyKind = 'invoice-mismatch' | 'currency-mismatch' | 'amount-mismatch';

/** What a reported payment was, next to what the order's invoice asked (hub/payments/matching.ts). */
export interface PaymentAnomaly {
  /** What differs, the weightiest first: the invoice, the currency, the amount. */
  kinds: PaymentAnomalyKind[];
  expected: { invoiceId?: string; amount?: number; currency?: string };
  received: { invoiceId?: string; amount?: number; currency?: string };
}

/** A verified provider callback, as recorded (hub/callbacks/). */
export interface CallbackRecord {
  provider: string;
  /** The provider's own id of the event: a second delivery of it is a repeat. */
  eventId: string;
  type: string;
  orderId?: string;
  /** The provider's reference: invoice, payment intent, transaction or tracking number. */
  reference?: string;
  amount?: number;
  currency?: string;
  /** What the hub did with it: applied, duplicate, unknown-order, late, paid-twice, anomaly, unconfirmed, ignored… */
  outcome: string;
  /** With outcome `anomaly`: why the payment was not applied. */
  anomaly?: PaymentAnomaly;
  occurredAt?: string;
  receivedAt: string;
}

export interface CallbackQuery {
  provider?: string;
  orderId?: string;
  /** Received at or after / before. */
  from?: Date;
  to?: Date;
  outcome?: string;
  /** Newest first (the dashboard); oldest first otherwise. */
  newestFirst?: boolean;
  limit: number;
}

/** Verified callbacks of the e-payment company and the post, once per provider and event id. */
export interface CallbackStore {
  /** Records a callback; false (and nothing written) when its event id was recorded before. */
  recordCallback(record: CallbackRecord): Promise<boolean>;
  getCallback(provider: string, eventId: string): Promise<CallbackRecord | undefined>;
  /** Oldest first, unless `newestFirst`. */
  listCallbacks(query: CallbackQuery): Promise<CallbackRecord[]>;
}

export interface DeadLetterQuery {
  service?: string;
  reason?: string;
  /** Dead-lettered before this time. */
  before?: Date;
  ids?: string[];
  limit: number;
}

/**
 * Dead letters, whatever the bus: recorded by it (DeadLetterSink, which also notes the step on
 * the order), listed, replayed and discarded by `wasl replay` and the dashboard.
 */
export interface DeadLetterStore extends DeadLetterSink {
  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetter[]>;
  removeDeadLetters(ids: string[]): Promise<number>;
}

export interface AuditQuery {
  afterSeq?: number;
  from?: Date;
  to?: Date;
  subject?: string;
  limit: number;
}

/** The audit trail (hub/audit/): keyed chains in shards, their heads, and the copies of their seals. */
export interface AuditStore {
  /** Appends to the audit trail (order steps are appended by the store itself, in their transaction). */
  appendAudit(entries: AuditEntry[]): Promise<void>;
  /** Audit records in the order they were appended (seq): after `afterSeq`, from `from` to `to` (half-open, by time). */
  readAudit(query: AuditQuery): Promise<AuditRecord[]>;
  /** Audit records in chain order, shard by shard: those after `after` (a shard and a place in it). */
  readAuditChains(query: { after?: { shard: number; shardSeq: number }; limit: number }): Promise<AuditRecord[]>;
  /** Every shard's head as the store has it (what a seal signs). */
  auditHeads(): Promise<ChainHead[]>;
  /**
   * The `operator.action` audit records, newest first, those before `beforeSeq` (paging). Served
   * by an index of those records alone: the order steps that make up nearly all of the trail are
   * neither read nor slowed down.
   */
  listOperatorActions(query: { beforeSeq?: number; limit: number }): Promise<AuditRecord[]>;
  /** Keeps a copy of a seal (the witness has the original); false when seal `n` is there already. */
  addAuditSeal(seal: Seal): Promise<boolean>;
  /** The copies of the seals, by n (those after `after`). */
  auditSeals(after?: number): Promise<Seal[]>;
  /** The copy of the last seal: sealing reads only that, not every seal since the first. */
  lastAuditSeal(): Promise<Seal | undefined>;
  /** The records of the unkeyed chain written before the shards (audit_log_v1), by seq. */
  readLegacyAudit(query: { afterSeq?: number; limit: number }): Promise<LegacyRecord[]>;
}

/** A provider call as the operational records keep it. */
export interface ProviderCallRecord extends Omit<CallRecord, 'orderId' | 'status' | 'faultCode'> {
  orderId?: string;
  status?: number;
  faultCode?: string;
  finishedAt: string;
}

export interface ProviderCallQuery {
  provider?: string;
  orderId?: string;
  from?: Date;
  to?: Date;
  limit: number;
}

/** The operational record of every provider call (timings, sizes, outcome), kept for WASL_CALL_RECORDS_DAYS. */
export interface ProviderCallRecords {
  /** Keeps the operational record of provider calls, with `audit` (their audit entries) appended in the same transaction. */
  recordProviderCalls(records: CallRecord[], audit?: AuditEntry[]): Promise<void>;
  /** Operational records, oldest first, by provider and time window (half-open, on the start time). */
  listProviderCalls(query: ProviderCallQuery): Promise<ProviderCallRecord[]>;
  /** Drops the records of calls started before `before`; how many went. */
  pruneProviderCalls(before: Date): Promise<number>;
}

/** How one process at a time does a singular job (the outbox relay, the fulfilment watch). */
export interface LeaseStore {
  /** Takes or renews the lease `name` for `holder` for `ttlMs`; false while another holder's lease runs. */
  tryLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
}

/** The aggregates the metrics and the dashboard read: orders and dead letters, counted. */
export interface MetricCounts {
  /** How many orders each service has in each status (metrics). */
  orderCounts(): Promise<Array<{ service: string; status: OrderStatus; count: number }>>;
  /** How many of a service's orders created before `before` are in one of `statuses` (SLA breaches). */
  countOrders(service: string, statuses: readonly OrderStatus[], before: Date): Promise<number>;
  /** Dead letters by service and reason (metrics). */
  deadLetterCounts(): Promise<Array<{ service: string; reason: string; count: number }>>;
}

/** The database under the roles: which back end, whether it answers (/ready), closing it. */
export interface StoreConnection {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * PostgreSQL: order steps and creations that found their audit shard's head moved by another
   * append between their two round trips, and ran again with it locked (postgres/database.ts
   * appendingAfterHeads), in this process; none on SQLite, whose one writer never loses its place.
   */
  readonly chainRetries?: number;
  /**
   * PostgreSQL: writes in this process that went after the audit head it saw last, without
   * reading it first (a worker's step from the order its delivery read, an append): landed; made
   * again after a head others had moved; gave up and read again (postgres/known-orders.ts).
   * None on SQLite (its own: SqliteOrders.stored).
   */
  readonly knownOrders?: { hits: number; rewrites: number; misses: number };
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Every role: what a back end implements and the hub's composition holds. Callers take the roles they use. */
export interface Store
  extends StoreConnection,
    OrderStore,
    OutboxStore,
    StepJournal,
    CallbackStore,
    DeadLetterStore,
    ProcessedLog,
    AuditStore,
    ProviderCallRecords,
    LeaseStore,
    MetricCounts {}
