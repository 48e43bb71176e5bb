/**
 * Steady load of orders across the catalogue, submitted as the channels do: each order with its
 * own Idempotency-Key, and — like a counter application that lost its connection — sent again
 * with the same key and body until the gateway answers, however long it is away. An order is
 * "accepted" when the gateway answered 202 (or gave the same order back for the same key).
 */
import { request } from 'undici';
import type { ChannelKind, Order, OrderRequest } from '../contracts/types';

export interface Planned {
  channel: ChannelKind;
  body: OrderRequest;
  /** The service's ministry (the provider of its definition). */
  provider: string;
}

export class Load {
  readonly accepted = new Map<string, { id: string; provider: string }>();
  readonly refused: Array<{ key: string; status: number; body: string }> = [];
  /** Answers that were not a decision (connection refused or cut, 5xx, 429): each was sent again. */
  resent = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private next = 0;
  private stopped = false;

  constructor(
    private readonly url: () => string,
    private readonly keys: Record<ChannelKind, string>,
    private readonly plan: (i: number) => Planned,
    private readonly prefix: string,
  ) {}

  start(perSecond: number): void {
    this.timer = setInterval(() => {
      const i = this.next++;
      const p = this.submit(i).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, Math.round(1000 / perSecond));
  }

  /** Stops sending new orders and waits for the ones under way to be decided. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
    this.stopped = true;
  }

  get submitted(): number {
    return this.next;
  }

  private async submit(i: number): Promise<void> {
    const p = this.plan(i);
    const key = `${this.prefix}-${i}`;
    const body = JSON.stringify(p.body);
    const giveUp = Date.now() + 300_000;
    for (let attempt = 0; Date.now() < giveUp && !this.stopped; attempt++) {
      try {
        const res = await request(`${this.url()}/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.keys[p.channel]}`, 'idempotency-key': key, 'content-type': 'application/json' },
          body,
          headersTimeout: 15_000,
          bodyTimeout: 15_000,
        });
        const text = await res.body.text();
        if (res.statusCode === 202 || res.statusCode === 200 || res.statusCode === 201) {
          this.accepted.set(key, { id: (JSON.parse(text) as Order).id, provider: p.provider });
          return;
        }
        if (res.statusCode < 500 && res.statusCode !== 429) {
          this.refused.push({ key, status: res.statusCode, body: text.slice(0, 300) });
          return;
        }
      } catch {
        // The gateway is away (killed, restarting): the same request again, as a channel would.
      }
      this.resent++;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * (attempt + 1))));
    }
    this.refused.push({ key, status: 0, body: 'no answer within 300 s' });
  }
}
