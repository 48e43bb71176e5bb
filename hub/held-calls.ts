/**
 * A provider call's operational and audit records, held a moment in memory so that they go to
 * the store in the transaction of the journal finish that follows the call (hub/journal.ts): on
 * PostgreSQL one transaction and round trip fewer per ministry, payment or post call (issue 25).
 * A finish takes only its own order's records: its transaction then locks the order's audit
 * shard alone (hub/audit/chain.ts), as the records' own transaction did, instead of the heads of
 * every shard whose order had a call held. Records no finish takes — a call outside a journaled
 * step, a transient failure the step will retry — are written after `holdMs`, each order's in a
 * transaction of its own; but those of an order whose journaled step has started and not finished
 * wait for its finish (up to `maxHoldMs` from its start): with the machine busy, the finish can
 * come more than `holdMs` after the call, and the records then went alone — a transaction more,
 * and a count that depended on timing (test/hub/order-cost.test.ts).
 *
 * What a crash loses is what it lost before: records on their way to the store (a call's
 * records were never in the step's transaction; the journal, not these, is what resumes a step).
 */
import type { CallRecord } from '../connectors/connector';
import type { AuditEntry } from './audit/chain';
import type { CallRecords, ProviderCallRecords, StepJournal } from './store';

export class HeldCalls {
  /** Each call's operational record with its audit entry. */
  private held: Array<{ record: CallRecord; entry: AuditEntry }> = [];
  private timer: NodeJS.Timeout | undefined;
  private writing = new Set<Promise<void>>();
  /** Orders with a journaled step started in this process and not finished, and when it started. */
  private readonly open = new Map<string, number>();

  constructor(
    private readonly write: (records: CallRecord[], audit: AuditEntry[]) => Promise<void>,
    private readonly onError: (err: unknown, records: readonly CallRecord[]) => void,
    private readonly holdMs = 20,
    private readonly maxHoldMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {}

  add(record: CallRecord, entry: AuditEntry): void {
    this.held.push({ record, entry });
    this.timer ??= setTimeout(() => this.flushDue(), this.holdMs);
  }

  /** `orderId`'s journaled step started: its calls' records wait for its finish. */
  opened(orderId: string): void {
    this.open.set(orderId, this.now());
  }

  /** `orderId`'s journaled step finished (its records taken with the finish). */
  closed(orderId: string): void {
    this.open.delete(orderId);
  }

  /** The hold's end: what no open step waits for is written; the rest is looked at again after another `holdMs`. */
  private flushDue(): void {
    this.timer = undefined;
    const now = this.now();
    // A step that started and never finished here (a transient failure, retried later) waits no longer.
    for (const [orderId, at] of this.open) if (now - at >= this.maxHoldMs) this.open.delete(orderId);
    const waiting = (h: { record: CallRecord }) => h.record.orderId !== undefined && this.open.has(h.record.orderId);
    const due = this.held.filter((h) => !waiting(h));
    this.held = this.held.filter(waiting);
    if (this.held.length) this.timer = setTimeout(() => this.flushDue(), this.holdMs);
    void this.writeGrouped(due);
  }

  /** What is held of `orderId`'s calls, for its finish to write in its transaction; undefined when nothing is. */
  take(orderId: string): CallRecords | undefined {
    const mine = this.held.filter((h) => h.record.orderId === orderId);
    if (mine.length === 0) return undefined;
    this.held = this.held.filter((h) => h.record.orderId !== orderId);
    if (this.held.length === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return recordsOf(mine);
  }

  /** Writes what is held now, each order's records (and those of no order) in a transaction of their own. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = this.held;
    this.held = [];
    return this.writeGrouped(all);
  }

  private writeGrouped(held: ReadonlyArray<{ record: CallRecord; entry: AuditEntry }>): Promise<void> {
    const byOrder = new Map<string | undefined, Array<{ record: CallRecord; entry: AuditEntry }>>();
    for (const h of held) byOrder.set(h.record.orderId, [...(byOrder.get(h.record.orderId) ?? []), h]);
    return Promise.all([...byOrder.values()].map((group) => this.track(recordsOf(group)))).then(() => undefined);
  }

  /** Writes `taken` on its own (a finish that failed gives its records back this way). */
  track(taken: CallRecords): Promise<void> {
    const p = this.write(taken.records, taken.audit).catch((err: unknown) => this.onError(err, taken.records));
    this.writing.add(p);
    void p.finally(() => this.writing.delete(p));
    return p;
  }

  /** Everything held or being written is in the store (before the audit trail is sealed, before the store closes). */
  async close(): Promise<void> {
    await this.flush();
    await Promise.all(this.writing);
  }
}

/** The store, its journal finishes carrying the call records held meanwhile. */
export function finishWithCalls<S extends StepJournal & ProviderCallRecords>(store: S, held: HeldCalls): S {
  const journalStart: StepJournal['journalStart'] = async (orderId, step) => {
    const entry = await store.journalStart(orderId, step);
    if (entry.status === 'started') held.opened(orderId);
    return entry;
  };
  const journalFinish: StepJournal['journalFinish'] = async (orderId, step, status, outcome, calls) => {
    held.closed(orderId);
    const taken = merge(calls, held.take(orderId));
    if (!taken) return store.journalFinish(orderId, step, status, outcome);
    try {
      await store.journalFinish(orderId, step, status, outcome, taken);
    } catch {
      // Rolled back. The records may be what failed, and a finish that is not written makes a
      // redelivery call the provider again: the finish alone, then, with its own error if it
      // fails again; the calls were made all the same, so their records go on their own.
      void held.track(taken);
      await store.journalFinish(orderId, step, status, outcome);
    }
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'journalFinish') return journalFinish;
      if (prop === 'journalStart') return journalStart;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function merge(a: CallRecords | undefined, b: CallRecords | undefined): CallRecords | undefined {
  if (!a || !b) return a ?? b;
  return { records: [...a.records, ...b.records], audit: [...a.audit, ...b.audit] };
}

const recordsOf = (held: ReadonlyArray<{ record: CallRecord; entry: AuditEntry }>): CallRecords => ({ records: held.map((h) => h.record), audit: held.map((h) => h.entry) });
