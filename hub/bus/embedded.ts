/**
 * The embedded bus: durable queues in the hub's SQLite database, with the semantics of the
 * RabbitMQ back end — acknowledgement after the work, delayed retries, dead letters with their
 * reason, bounded prefetch — and a visibility timeout: a message claimed by a process that dies
 * is delivered again once its lease runs out. Several processes on one machine may share the
 * file; a publish in this process wakes its consumers at once, others poll.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../log';
import type { SqliteDatabase } from '../sqlite/database';
import type { AttemptRecord, Bus, BusHealth, BusMessage, DeadLetterSink, Delivery, FreedSlot, InlinePublisher, InlineSettler, ProcessedLog, QueueDepth, SubscribeOptions, Subscription } from './bus';
import { consumerName, describeError, handle, takesType, type Decision } from './consume';

export interface EmbeddedBusOptions {
  database: SqliteDatabase;
  store: DeadLetterSink & ProcessedLog;
  logger: Logger;
  /** How long a claimed message stays invisible to other consumers; renewed while its handler runs. */
  visibilityMs?: number;
  /** How often an idle consumer looks for messages published by other processes or due retries. */
  pollMs?: number;
  /** Deliveries without an acknowledgement (crashes) after which a message is dead-lettered. */
  deliveryLimit?: number;
}

interface Claimed {
  id: number;
  token: string;
  /** Including this one. */
  deliveries: number;
  delivery: Delivery;
}

/** A message a subscription of this process is handling: a step that completes it may take it off the queue (settlerWithin). */
interface Handling {
  id: number;
  token: string;
  /** Taken off the queue, processed, in a step's commit now on disk: nothing is left to settle. */
  acked: boolean;
  /** The subscription handling it, whose slot the step that completes it leaves to that step's event. */
  sub: EmbeddedSubscription;
}

/** A FreedSlot as this bus makes it (settlerWithin): the subscription a write's step leaves a slot in; taken once. */
class Freed implements FreedSlot {
  readonly freedSlot = true as const;
  taken = false;
  constructor(readonly sub: EmbeddedSubscription) {}
}

const handlingKey = (consumer: string, eventId: string) => `${consumer}\u0000${eventId}`;

/** The subscription among `subs` that takes a `type` event in the slot `freed` leaves it, if any (publisherWithin). */
function heirOf(freed: FreedSlot | undefined, type: string, subs: readonly EmbeddedSubscription[]): EmbeddedSubscription | undefined {
  if (!(freed instanceof Freed) || freed.taken || !subs.includes(freed.sub) || !freed.sub.takes(type) || !freed.sub.inherit()) return undefined;
  freed.taken = true;
  return freed.sub;
}

interface Row {
  id: number;
  message: string;
  attempt: number;
  history: string;
  deliveries: number;
}

export class EmbeddedBus implements Bus {
  readonly kind = 'embedded' as const;
  private readonly db: SqliteDatabase;
  private readonly store: DeadLetterSink & ProcessedLog;
  private readonly logger: Logger;
  private readonly visibilityMs: number;
  private readonly pollMs: number;
  private readonly deliveryLimit: number;
  private readonly published = new EventEmitter();
  /** This process's subscriptions by queue (a commit here hands them what it queued). */
  private readonly subscriptions = new Map<string, EmbeddedSubscription[]>();
  private readonly stmt;
  private closed = false;
  /** Records a processed event inside this bus's own writes, when the store shares its database. */
  private readonly recorder?: (consumer: string, eventId: string) => void;
  /** What this process's subscriptions are handling, by consumer and event id; kept only once a settler was given out. */
  private readonly handling = new Map<string, Handling>();
  private settling = false;

  constructor(opts: EmbeddedBusOptions) {
    this.db = opts.database;
    this.store = opts.store;
    this.logger = opts.logger;
    this.visibilityMs = opts.visibilityMs ?? 60_000;
    this.pollMs = opts.pollMs ?? 1_000;
    this.deliveryLimit = opts.deliveryLimit ?? 20;
    this.published.setMaxListeners(0);
    const recorder = opts.store.recorderWithin?.(opts.database);
    if (recorder) this.recorder = recorder;
    this.db.migrate('bus', join(__dirname, 'migrations', 'sqlite'));
    const db = this.db.db;
    this.stmt = {
      insert: db.prepare('INSERT INTO bus_messages (queue, event_id, message, available_at) VALUES (?, ?, ?, ?)'),
      insertLeased: db.prepare('INSERT INTO bus_messages (queue, event_id, message, available_at, delivery, deliveries) VALUES (?, ?, ?, ?, ?, 1)'),
      ready: db.prepare<[string, number, number], Row>(
        'SELECT id, message, attempt, history, deliveries FROM bus_messages WHERE queue = ? AND available_at <= ? ORDER BY available_at, id LIMIT ?',
      ),
      lease: db.prepare('UPDATE bus_messages SET available_at = ?, delivery = ?, deliveries = deliveries + 1 WHERE id = ?'),
      extend: db.prepare('UPDATE bus_messages SET available_at = ? WHERE id = ? AND delivery = ?'),
      ack: db.prepare('DELETE FROM bus_messages WHERE id = ? AND delivery = ?'),
      retry: db.prepare('UPDATE bus_messages SET available_at = ?, attempt = attempt + 1, history = ?, deliveries = 0, delivery = NULL WHERE id = ? AND delivery = ?'),
      release: db.prepare('UPDATE bus_messages SET available_at = ?, delivery = NULL WHERE id = ? AND delivery = ?'),
      next: db.prepare<[string], { at: number | null }>('SELECT min(available_at) AS at FROM bus_messages WHERE queue = ?'),
      depth: db.prepare<[number, number, number, string], { ready: number; leased: number; delayed: number }>(
        `SELECT coalesce(sum(available_at <= ?), 0) AS ready,
                coalesce(sum(available_at > ? AND delivery IS NOT NULL), 0) AS leased,
                coalesce(sum(available_at > ? AND delivery IS NULL), 0) AS delayed
         FROM bus_messages WHERE queue = ?`,
      ),
    };
  }

  async publish(messages: BusMessage[]): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    if (messages.length === 0) return;
    await this.db.write(() => this.enqueue(messages));
    for (const service of new Set(messages.map((m) => m.service))) this.published.emit(service);
  }

  /** Inside a write of this bus's database. */
  private enqueue(messages: BusMessage[]): void {
    const now = Date.now();
    for (const m of messages) this.stmt.insert.run(m.service, m.eventId, JSON.stringify(m), now);
  }

  /**
   * When this bus lives in `database`: a publisher to call inside one of that database's writes,
   * so an order step and its event enter the queue in one commit. On one machine that leaves the
   * relay nothing to move: no outbox pass, no second and third commit, no 5 ms wait per step. A
   * write that fails takes its messages with it.
   *
   * A message for a queue that a subscription of this process has room for is queued already
   * leased to it, as its claim would have left it, and handed to it once the commit is on disk:
   * no claim, no second commit; with the order as that commit left it (the publisher's `order`),
   * and not looked up in the processed log, since no one can have processed an event that did not
   * exist before that commit (Delivery.fresh). A crash before its ack brings it back when the lease runs out,
   * like any claimed message; the subscription's prefetch counts it. Other messages wake this
   * process's consumers once the commit is on disk (a claim is a later write, so none can run
   * before).
   *
   * A subscription without room still takes the event of a step that completes one of its own
   * deliveries (`freed`, from settlerWithin in the same write), in the slot that delivery leaves
   * once its flow ends: an order under way goes on to its next stage at once, where it would
   * otherwise queue behind every order not yet started — under a backlog, its result waited in
   * the queue for as long as the backlog took, and was then claimed (a write) and its order read
   * again. A subscription holds at most twice its prefetch (inherit): an event that took a passed
   * slot may itself complete before the delivery that passed it has ended, and would pass on again.
   */
  publisherWithin(database: unknown): InlinePublisher | undefined {
    if (database !== this.db) return undefined;
    const woken = new Set<string>();
    this.db.onCommit(() => {
      if (woken.size === 0) return;
      const services = [...woken];
      woken.clear();
      for (const service of services) this.published.emit(service);
    });
    return (messages, order, freed) => {
      for (const m of messages) {
        const subs = this.closed ? [] : (this.subscriptions.get(m.service) ?? []);
        // To a subscription that takes its type, when one has room: another with room that does
        // not would only acknowledge it untouched.
        const roomy = subs.find((s) => s.takes(m.type) && s.hasRoom());
        // No subscription here takes its type and one has room: handed over, it would be
        // acknowledged untouched — the same end without the queue's insert and the ack's write.
        // The outbox keeps the event.
        if (!roomy && subs.some((s) => s.hasRoom()) && !subs.some((s) => s.takes(m.type))) continue;
        const sub = roomy?.reserve() ? roomy : heirOf(freed, m.type, subs);
        if (!sub) {
          this.enqueue([m]);
          woken.add(m.service);
          continue;
        }
        const token = randomUUID();
        const id = Number(this.stmt.insertLeased.run(m.service, m.eventId, JSON.stringify(m), Date.now() + this.visibilityMs, token).lastInsertRowid);
        const claimed: Claimed = { id, token, deliveries: 1, delivery: { message: m, attempt: 1, redelivered: false, history: [], fresh: true } };
        this.db.afterWrite(
          () => {
            if (order) claimed.delivery.order = order();
            sub.accept(claimed);
          },
          () => sub.unreserve(),
        );
      }
    };
  }

  /**
   * When the store shares this bus's database: a settler its steps call inside their writes.
   * The step that completes a delivery (Settlement) records its event processed there, and the
   * message leaves the queue in the same commit when a subscription of this process holds it
   * under its current lease: the step, its processed record and the ack are one commit, and the
   * subscription has no write left to make (issue 25). A message whose lease was lost meanwhile
   * (another delivery holds it) is left to that delivery, which finds the event processed.
   */
  settlerWithin(database: unknown): InlineSettler | undefined {
    const record = this.recorder;
    if (database !== this.db || !record) return undefined;
    this.settling = true;
    return (consumer, eventId) => {
      record(consumer, eventId);
      const held = this.handling.get(handlingKey(consumer, eventId));
      if (!held || this.stmt.ack.run(held.id, held.token).changes !== 1) return;
      this.db.afterWrite(
        () => void (held.acked = true),
        () => undefined,
      );
      return new Freed(held.sub);
    };
  }

  /** A subscription starts handling a message; undefined when another delivery of the same event already is. */
  beginHandling(sub: EmbeddedSubscription, consumer: string, eventId: string, id: number, token: string): Handling | undefined {
    if (!this.settling) return undefined;
    const key = handlingKey(consumer, eventId);
    if (this.handling.has(key)) return undefined;
    const held: Handling = { id, token, acked: false, sub };
    this.handling.set(key, held);
    return held;
  }

  endHandling(consumer: string, eventId: string, held: Handling | undefined): void {
    const key = handlingKey(consumer, eventId);
    if (held && this.handling.get(key) === held) this.handling.delete(key);
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed');
    const sub = new EmbeddedSubscription(this, opts);
    this.subscriptions.set(opts.service, [...(this.subscriptions.get(opts.service) ?? []), sub]);
    sub.start();
    return {
      stop: async () => {
        await sub.stop();
        this.subscriptions.set(opts.service, (this.subscriptions.get(opts.service) ?? []).filter((s) => s !== sub));
      },
    };
  }

  async depth(service: string): Promise<QueueDepth> {
    const now = Date.now();
    const r = this.stmt.depth.get(now, now, now, service);
    return { ready: r?.ready ?? 0, inFlight: r?.leased ?? 0, delayed: r?.delayed ?? 0 };
  }

  health(): BusHealth {
    return this.closed ? { ok: false, detail: 'closed' } : { ok: true, detail: 'embedded' };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions.values()].flat().map((s) => s.stop()));
    this.subscriptions.clear();
  }

  // ---- used by subscriptions ----

  /** Leases up to `n` ready messages of `queue` to a new delivery token. */
  claim(queue: string, n: number): Promise<Claimed[]> {
    return this.db.write(() => {
      const now = Date.now();
      const token = randomUUID();
      const out: Claimed[] = [];
      for (const row of this.stmt.ready.all(queue, now, n)) {
        this.stmt.lease.run(now + this.visibilityMs, token, row.id);
        out.push({
          id: row.id,
          token,
          deliveries: row.deliveries + 1,
          delivery: {
            message: JSON.parse(row.message) as BusMessage,
            attempt: row.attempt,
            redelivered: row.deliveries > 0,
            history: JSON.parse(row.history) as AttemptRecord[],
          },
        });
      }
      return out;
    });
  }

  get limits() {
    return { visibilityMs: this.visibilityMs, pollMs: this.pollMs, deliveryLimit: this.deliveryLimit };
  }

  extend(id: number, token: string): Promise<void> {
    return this.db.write(() => {
      this.stmt.extend.run(Date.now() + this.visibilityMs, id, token);
    });
  }

  /** Carries out a handler's decision; the message leaves the queue only once that is durable. */
  async settle(id: number, token: string, delivery: Delivery, decision: Decision): Promise<void> {
    if (decision.action === 'dead') {
      await this.store.recordDeadLetter({ message: delivery.message, reason: decision.reason, history: decision.history });
      this.logger.warn({ eventId: delivery.message.eventId, orderId: delivery.message.orderId, service: delivery.message.service, reason: decision.reason }, 'dead-lettered');
    }
    await this.db.write(() => {
      if (decision.action === 'retry') this.stmt.retry.run(Date.now() + decision.delayMs, JSON.stringify(decision.history), id, token);
      else {
        // Processed and gone from the queue in one commit: a crash leaves both or neither. Only
        // asked for (handle's recordOnAck) when this bus has the recorder.
        const record = decision.action === 'ack' ? decision.record : undefined;
        if (record) this.recorder?.(record.consumer, record.eventId);
        this.stmt.ack.run(id, token);
      }
    });
  }

  /** Whether a processed event is recorded with its ack, in the same commit. */
  get recordsOnAck(): boolean {
    return this.recorder !== undefined;
  }

  /** Gives a claimed message back at once (a stopping consumer that had not started it). */
  release(id: number, token: string): Promise<void> {
    return this.db.write(() => {
      this.stmt.release.run(Date.now(), id, token);
    });
  }

  nextDue(queue: string): number | undefined {
    return this.stmt.next.get(queue)?.at ?? undefined;
  }

  onPublish(service: string, listener: () => void): () => void {
    this.published.on(service, listener);
    return () => this.published.off(service, listener);
  }

  get processed(): ProcessedLog {
    return this.store;
  }

  get log(): Logger {
    return this.logger;
  }
}

/** One subscription's pump: keeps up to `prefetch` messages in flight, sleeps when the queue is empty. */
class EmbeddedSubscription {
  private running = false;
  private inFlight = new Set<Promise<void>>();
  private wake?: () => void;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private loop?: Promise<void>;
  private readonly prefetch: number;
  private readonly consumer: string;
  /** Slots promised to messages a commit of this process is handing over (EmbeddedBus.publisherWithin). */
  private reserved = 0;
  /** Slots a claim under way may fill: a hand-over does not take them from what waits in the queue. */
  private claiming = 0;
  /**
   * Publishes heard for this queue. One heard while a claim was under way may have come too late
   * for it, and its wake-up found no sleep to end: the pump then claims again before sleeping.
   */
  private heard = 0;

  constructor(
    private readonly bus: EmbeddedBus,
    private readonly opts: SubscribeOptions,
  ) {
    this.prefetch = opts.prefetch ?? 16;
    this.consumer = consumerName(opts);
  }

  start(): void {
    this.running = true;
    this.unsubscribe = this.bus.onPublish(this.opts.service, () => {
      this.heard++;
      this.wake?.();
    });
    this.loop = this.run().catch((err: unknown) => {
      this.bus.log.error({ err, service: this.opts.service }, 'embedded consumer stopped on an error');
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      const room = this.prefetch - this.inFlight.size - this.reserved;
      const heard = this.heard;
      // Looked for first: the pump wakes whenever a message in flight finishes, and with this
      // process's own commits handing their messages over (publisherWithin) the queue mostly
      // has nothing ready — a claim that finds nothing would still be a write and a commit.
      // (A read, where a claim is a write; what it finds is also when to wake if nothing is ready.)
      const due = room > 0 ? this.bus.nextDue(this.opts.service) : undefined;
      const claiming = due !== undefined && due <= Date.now();
      this.claiming = claiming ? room : 0;
      const claimed = claiming ? await this.bus.claim(this.opts.service, room).catch((err: unknown) => this.claimFailed(err)) : [];
      this.claiming = 0;
      if (!this.running) {
        // Stopped while claiming: give the messages back rather than hold them for a whole lease.
        await Promise.all(claimed.map((c) => this.bus.release(c.id, c.token)));
        break;
      }
      for (const c of claimed) this.process(c);
      if (claiming && claimed.length === room) continue;
      if (this.heard !== heard) continue;
      await this.sleep(claiming || room <= 0 ? this.bus.nextDue(this.opts.service) : due);
    }
  }

  /** Whether a message handed over now would have a slot (reserve). */
  hasRoom(): boolean {
    return this.running && this.inFlight.size + this.reserved + this.claiming < this.prefetch;
  }

  /** Takes a slot for a message being handed over, if running and within prefetch. */
  reserve(): boolean {
    if (!this.hasRoom()) return false;
    this.reserved++;
    return true;
  }

  /**
   * Takes a slot beyond prefetch for the event of a step that completes one of this subscription's
   * deliveries, whose slot frees when that delivery's flow ends (publisherWithin). Never past twice
   * the prefetch: a delivery leaves its slot once, but the event that took it can complete its own
   * step while the flow before it still runs, and pass on again — a chain of stages would
   * otherwise hold a slot each. Past the bound the event is queued.
   */
  inherit(): boolean {
    if (!this.running || this.inFlight.size + this.reserved >= 2 * this.prefetch) return false;
    this.reserved++;
    return true;
  }

  /** Whether this subscription's handler would see an event of `type` (the others it acknowledges untouched). */
  takes(type: string): boolean {
    return takesType(this.opts, type);
  }

  /** The write that queued the handed-over message failed: the slot is free again. */
  unreserve(): void {
    this.reserved--;
    this.wake?.();
  }

  /** The handed-over message is on disk, leased to this subscription: process it as if claimed. */
  accept(c: Claimed): void {
    this.reserved--;
    if (this.running) {
      this.process(c);
      return;
    }
    // Stopped meanwhile: give it back at once rather than hold it for a whole lease.
    this.track(this.bus.release(c.id, c.token).catch(() => undefined));
  }

  private claimFailed(err: unknown): [] {
    this.bus.log.error({ err: { message: describeError(err) }, service: this.opts.service }, 'claim failed');
    return [];
  }

  private process({ id, token, deliveries, delivery }: Claimed): void {
    const { deliveryLimit, visibilityMs } = this.bus.limits;
    const task = (async () => {
      const heartbeat = setInterval(() => void this.bus.extend(id, token).catch(() => undefined), visibilityMs / 2);
      const { eventId } = delivery.message;
      const held = this.bus.beginHandling(this, this.consumer, eventId, id, token);
      try {
        const decision: Decision =
          // Delivered again and again without an outcome: it kills its consumers. Stop the loop.
          deliveries > deliveryLimit
            ? { action: 'dead', reason: 'delivery-limit', history: delivery.history }
            : await handle(delivery, this.opts, this.bus.processed, this.bus.recordsOnAck);
        // A step took it off the queue, processed, in its own commit (settlerWithin): whatever the
        // flow did after that step, the event is processed and its message gone.
        if (!held?.acked) await this.bus.settle(id, token, delivery, decision);
      } catch (err) {
        // Settling failed (the database refused): the lease runs out and the message comes back.
        this.bus.log.error({ err: { message: describeError(err) }, eventId }, 'could not settle a message');
      } finally {
        clearInterval(heartbeat);
        this.bus.endHandling(this.consumer, eventId, held);
      }
    })();
    this.track(task);
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => {
      this.inFlight.delete(task);
      this.wake?.();
    });
  }

  /** Until woken, `next` (when the queue's next message is due: undefined if it has none), or the poll interval. */
  private sleep(next: number | undefined): Promise<void> {
    const wait = next === undefined ? this.bus.limits.pollMs : Math.max(0, Math.min(this.bus.limits.pollMs, next - Date.now()));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      this.timer = setTimeout(done, wait);
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
    // Messages being handed over land within a commit; each is then processed or given back.
    while (this.reserved > 0) await new Promise((r) => setTimeout(r, 2));
    await Promise.all(this.inFlight);
  }
}
