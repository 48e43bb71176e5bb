/**
 * The outbox relay: moves events the store wrote with each order step to the bus, at least once
 * and in outbox order (so in order per order), then marks them published.
 *
 * With several hub processes, exactly one relays at a time: it holds the `outbox-relay` lease in
 * the store, renewed on every pass; when it dies another takes over once the lease runs out.
 * One publisher at a time is what keeps events of one order in order — concurrent relays could
 * publish a later event of an order before an earlier one. A crash between publishing and marking
 * publishes a batch again: consumers drop the duplicates by event id.
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
        this.leader = await this.opts.store.tryLease(RELAY_LEASE, this.holder, this.leaseTtlMs);
        if (this.leader) moved = await this.pass();
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

  /** Publishes one batch; returns how many events it moved. */
  async pass(): Promise<number> {
    const pending = await this.opts.store.outboxPending(this.batchSize);
    if (pending.length === 0) return 0;
    await this.opts.bus.publish(pending.map((r) => eventMessage(r.event)));
    await this.opts.store.markPublished(pending.map((r) => r.seq));
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
    if (this.leader) await this.opts.store.releaseLease(RELAY_LEASE, this.holder).catch(() => undefined);
    this.leader = false;
  }
}
