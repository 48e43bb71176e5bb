/**
 * What this process last saw of orders and of their audit shards' heads, so that the step that
 * follows a read — a bus delivery's processed check reads the order (processed.ts checkAndRead),
 * the flow then steps it (orders.ts) — writes in one round trip instead of first reading the
 * order, its timeline and the shard's head again (issue 25).
 *
 * Why this never writes an order from a stale copy: every write of an order (its creation, a
 * step, a receipt, a dead letter's note: orders.ts) adds a step to its timeline and appends to
 * the order's own audit shard (hub/audit/chain.ts shardOf), in one transaction. A step from a
 * known order moves the shard's head only from the head as last seen here, and only if the order
 * has no step after the last one known (PgDatabase.guardedChain: a compare-and-set, which waits
 * for a transaction holding the head and then looks again); everything else it writes is
 * conditional on that move. When the head had moved, the same round trip reads where it is now
 * with the order's last step, in one snapshot: if the order has no new step, only other orders
 * moved the shard, and the step is written again after the head as it is now; if it has, the
 * step reads the order and is planned afresh, as it always was. A wrong guess costs a round
 * trip, never a write.
 *
 * The heads are those this process read or wrote last, per shard: with one worker, the shard an
 * order's step goes to has mostly moved by this process's own appends since the order was read
 * (others' orders in the same shard), and those it knows. An order is taken once (the step that
 * uses it removes it), and kept as the texts PostgreSQL gave, parsed when taken: whatever a flow
 * does to the order it was handed cannot reach them.
 */
import type { TimelineEvent } from '../../../contracts/types';
import type { ChainHead } from '../../audit/chain';
import type { OrderDoc } from '../order-records';

export type Head = Omit<ChainHead, 'shard'>;

interface Entry {
  shard: number;
  doc: string;
  timeline: string;
}

export interface KnownOrder {
  doc: OrderDoc;
  timeline: TimelineEvent[];
}

export class KnownOrders {
  private readonly orders = new Map<string, Entry>();
  private readonly heads = new Map<number, Head>();
  /**
   * Writes that went after the head this process saw last, without reading it first — a step from
   * a known order (orders.ts), an append (PgDatabase.appendWith): `hits` landed, `rewrites` were
   * made again after a head others had moved (the round trips, not the writes), `misses` gave up
   * and read again (the order had moved on, or the head kept moving).
   */
  readonly stats = { hits: 0, rewrites: 0, misses: 0 };

  /** At most `max` orders are kept: the oldest go first (an order read and never stepped here). */
  constructor(private readonly max = 4_096) {}

  remember(id: string, shard: number, doc: string, timeline: string): void {
    this.orders.delete(id);
    this.orders.set(id, { shard, doc, timeline });
    if (this.orders.size > this.max) this.orders.delete(this.orders.keys().next().value!);
  }

  /** The order as last read here, removed: a step takes it once, and a second step reads for itself. */
  take(id: string, shard: number): KnownOrder | undefined {
    const e = this.orders.get(id);
    if (!e) return undefined;
    this.orders.delete(id);
    if (e.shard !== shard) return undefined;
    return { doc: JSON.parse(e.doc) as OrderDoc, timeline: JSON.parse(e.timeline) as TimelineEvent[] };
  }

  /** A shard's head as a read or a write of this process found it: kept if it is the furthest seen. */
  saw(shard: number, head: Head): void {
    const known = this.heads.get(shard);
    if (!known || head.shardSeq > known.shardSeq) this.heads.set(shard, { shardSeq: head.shardSeq, hash: head.hash });
  }

  /** The furthest head of `shard` this process has seen. */
  head(shard: number): Head | undefined {
    return this.heads.get(shard);
  }

  get size(): number {
    return this.orders.size;
  }
}
