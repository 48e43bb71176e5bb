/**
 * The outbox relay: moves events the store wrote with each order step to the bus, at least once
 * and in outbox order (so in order per order), then marks them published.
 *
 * With several hub processes, exactly one relays at a time: it holds the `outbox-relay` lease in
 * the store, renewed on every pass; when it dies another takes over once the lease runs out.
 * One publisher at a time is what keeps events of one order in order — concurrent relays could
 * publish a later event of an order before an earlier one.
 *
 * A pass is one round trip to the store (OutboxStore.relayPass): it renews the lease, marks what
 * the previous pass published, and reads the next batch. The marks wait for that next pass — the
 * next kick, or at most one poll interval when idle — and for stop(). A crash before they are
 * written publishes that batch again, as a crash between publishing and marking always could:
 * consumers drop the duplicates by event id.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log';
import type { LeaseStore, OutboxStore } from '../store';
import { eventMessage, type Bus } from './bus';

export interface RelayOptions {
  store: OutboxStore & LeaseStore;
  bus: Bus;
  logger: Logger;
  batchSize?: number;
  /** How often an idle relay, or one without the lease, looks again. */
  pollMs?: number;
  leaseTtlMs?: number;
  /** After a kick, how long to wait for more events before a pass. */
  coalesceMs?: number;
}

export const RELAY_LEASE = 'outbox-relay';

export class OutboxRelay {
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private kicked = false;
  private leader = false;
  private failures = 0;
  /** Published by the last pass, not yet marked: the next pass marks them. */
  private unmarked: number[] = [];
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly leaseTtlMs: number;
  private readonly coalesceMs: number;

  constructor(private readonly opts: RelayOptions) {
    this.coalesceMs = opts.coalesceMs ?? 5;
    this.batchSize = opts.batchSize ?? 500;
    this.pollMs = opts.pollMs ?? 1_000;
    this.leaseTtlMs = opts.leaseTtlMs ?? 15_000;
  }

  /** Whether this process holds the lease now. */
  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Something was written to the outbox: look now instead of at the next poll. */
  kick(): void {
    if (this.kicked) return;
    this.kicked = true;
    // Gather what else is written meanwhile: under load one pass then moves many events with
    // two commits, instead of two commits per event.
    if (this.wake) setTimeout(() => this.wake?.(), this.coalesceMs);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let moved = 0;
      try {
        moved = await this.pass();
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.opts.logger.error({ err: { message: (err as Error).message }, failures: this.failures }, 'relay pass failed; will retry');
      }
      if (!this.running) break;
      if (moved === this.batchSize) continue;
      await this.sleep(this.failures ? Math.min(30_000, this.pollMs * 2 ** Math.min(this.failures, 5)) : this.pollMs);
    }
  }

  /** Renews the lease, marks the previous batch, publishes the next one if it leads; returns how many events it moved. */
  async pass(): Promise<number> {
    const { leader, pending } = await this.opts.store.relayPass({
      lease: RELAY_LEASE,
      holder: this.holder,
      ttlMs: this.leaseTtlMs,
      published: this.unmarked,
      limit: this.batchSize,
    });
    // Written with the lease: a failed pass keeps them for the next one.
    this.unmarked = [];
    this.leader = leader;
    if (pending.length === 0) return 0;
    await this.opts.bus.publish(pending.map((r) => eventMessage(r.event)));
    this.unmarked = pending.map((r) => r.seq);
    return pending.length;
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked && this.leader && !this.failures) {
      this.kicked = false;
      return new Promise((resolve) => setTimeout(resolve, this.coalesceMs));
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.kicked = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** Finishes the pass in progress, then gives the lease up so another process takes over at once. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    // What the last pass published is marked before the lease goes, so the next relay does not publish it again.
    if (this.unmarked.length) {
      await this.opts.store.markPublished(this.unmarked).then(
        () => (this.unmarked = []),
        (err: unknown) => this.opts.logger.warn({ err: { message: (err as Error).message }, events: this.unmarked.length }, 'could not mark the last published events; the next relay publishes them again'),
      );
    }
    if (this.leader) await this.opts.store.releaseLease(RELAY_LEASE, this.holder).catch(() => undefined);
    this.leader = false;
  }
}
