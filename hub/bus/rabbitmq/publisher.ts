/**
 * Publishing with publisher confirms: a send resolves only when the broker has confirmed every
 * message (persistent messages to quorum queues: confirmed once a majority has them on disk),
 * and rejects when one is nacked, returned as unroutable (every publish is mandatory), not
 * confirmed in time, or its channel or connection dies first. It never reports success for an
 * unconfirmed message; the caller — the outbox relay, a consumer settling a retry — tries again
 * and consumers drop the duplicates by event id.
 */
import type * as amqp from 'amqplib';
import type { Logger } from '../../log';
import type { PublishOptions } from './codec';
import { BusUnavailableError, type Link } from './link';

export interface Outgoing {
  exchange: string;
  routingKey: string;
  content: Buffer;
  /** messageId is required: returns are matched to their publish by it (with exchange and key). */
  options: PublishOptions;
}

export class PublishError extends Error {
  override name = 'PublishError';
  constructor(
    readonly code: 'bus-nacked' | 'bus-returned' | 'bus-unconfirmed',
    message: string,
  ) {
    super(message);
  }
}

/** One send: settled once every message in it is confirmed, or at its first failure. */
interface Batch {
  pending: number;
  settled: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface ChannelState {
  ch: amqp.ConfirmChannel;
  /** Sends with unconfirmed messages: failed all at once if the channel closes. */
  open: Set<Batch>;
  /**
   * Unroutable returns not yet matched to their confirm, by exchange, routing key and message id.
   * The broker sends basic.return before the confirm of the same message, and confirms in publish
   * order, so the next confirm of a message with that key is the returned one. (Two copies of one
   * event to one destination could swap which is blamed; either way one copy exists, and that is
   * what a consumer deduplicating by event id needs.) Almost always empty.
   */
  returned: Map<string, { count: number; why: string }>;
  closed: boolean;
  /** The channel's buffer is over its high-water mark: wait for 'drain' before the next send. */
  full: boolean;
  /** Woken by 'drain' or by the channel closing. */
  drainWaiters: Array<() => void>;
}

export interface PublisherOptions {
  /** How long a send waits for a connection before failing. */
  connectWaitMs: number;
  /** How long a send waits for the broker's confirms before failing. */
  confirmTimeoutMs: number;
  /** Told of every unroutable return (a queue deleted behind our back). */
  onReturn?: (msg: amqp.Message) => void;
}

const returnKey = (exchange: string, routingKey: string, id: string): string => `${exchange}\u0000${routingKey}\u0000${id}`;

export class Publisher {
  private state?: Promise<ChannelState>;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly link: Link,
    private readonly logger: Logger,
    private readonly opts: PublisherOptions,
  ) {}

  /** Sends every item; resolves once all are confirmed, rejects if any is not. */
  send(items: Outgoing[]): Promise<void> {
    const p = this.sendAll(items);
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Waits for sends under way (close() lets them finish before the connection goes). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async sendAll(items: Outgoing[]): Promise<void> {
    if (!items.length) return;
    const state = await this.channel();
    // Back pressure between sends, not inside one: a send is one bounded batch (the relay's), so
    // it goes out in one write burst; the next waits until the socket has drained.
    if (state.full && !state.closed) await new Promise<void>((r) => state.drainWaiters.push(r));
    if (state.closed) throw closedError();
    let batch!: Batch;
    const done = new Promise<void>((resolve, reject) => (batch = { pending: items.length, settled: false, resolve, reject }));
    state.open.add(batch);
    // One callback per message is how amqplib reports confirms; everything else is per send.
    const confirm = (item: Outgoing) => (err: unknown) => {
      // A return is consumed by its confirm even when the send has already failed, so that it
      // cannot be blamed on a later publish.
      let returned: string | undefined;
      if (state.returned.size) {
        const key = returnKey(item.exchange, item.routingKey, item.options.messageId);
        const r = state.returned.get(key);
        if (r) {
          if (--r.count === 0) state.returned.delete(key);
          returned = r.why;
        }
      }
      if (batch.settled) return;
      if (err) return fail(state, batch, /closed/i.test(String((err as Error)?.message)) ? closedError() : new PublishError('bus-nacked', 'RabbitMQ refused the message (nack)'));
      if (returned) return fail(state, batch, new PublishError('bus-returned', `RabbitMQ could not route the message: ${returned}`));
      if (--batch.pending === 0) {
        batch.settled = true;
        state.open.delete(batch);
        batch.resolve();
      }
    };
    try {
      for (const item of items) {
        // Mandatory always: an unroutable message must fail its send, not vanish.
        item.options.mandatory = true;
        const ok = state.ch.publish(item.exchange, item.routingKey, item.content, item.options, confirm(item));
        if (!ok && !state.full) {
          state.full = true;
          state.ch.once('drain', () => {
            state.full = false;
            for (const w of state.drainWaiters.splice(0)) w();
          });
        }
      }
    } catch (err) {
      // The channel closed under us (IllegalOperationError) or the headers are too big.
      fail(state, batch, err instanceof Error ? err : new Error(String(err)));
    }
    const timer = setTimeout(
      () => fail(state, batch, new PublishError('bus-unconfirmed', `RabbitMQ did not confirm within ${this.opts.confirmTimeoutMs} ms`)),
      this.opts.confirmTimeoutMs,
    );
    try {
      await done;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The confirm channel of the live connection, created when first needed after each loss. */
  private channel(): Promise<ChannelState> {
    if (!this.state) {
      const p = this.open();
      this.state = p;
      p.then(
        (s) => {
          if (s.closed && this.state === p) this.state = undefined;
        },
        () => {
          if (this.state === p) this.state = undefined;
        },
      );
    }
    return this.state;
  }

  private async open(): Promise<ChannelState> {
    const { conn } = await this.link.ready(this.opts.connectWaitMs);
    const ch = await conn.createConfirmChannel();
    ch.setMaxListeners(0);
    const state: ChannelState = { ch, open: new Set(), returned: new Map(), closed: false, full: false, drainWaiters: [] };
    const mine = this.state;
    ch.on('return', (msg: amqp.Message) => {
      const f = msg.fields as amqp.MessageFields & { replyCode?: number; replyText?: string };
      const id = String(msg.properties.messageId ?? '');
      const key = returnKey(f.exchange, f.routingKey, id);
      const r = state.returned.get(key);
      const why = `${f.replyCode ?? ''} ${f.replyText ?? 'unroutable'} (${f.exchange} ${f.routingKey})`;
      if (r) r.count++;
      else state.returned.set(key, { count: 1, why });
      this.logger.warn({ eventId: id, orderId: msg.properties.headers?.orderId, routingKey: f.routingKey }, 'rabbitmq returned an unroutable message');
      this.opts.onReturn?.(msg);
    });
    ch.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'rabbitmq publish channel error'));
    ch.on('close', () => {
      state.closed = true;
      if (this.state === mine) this.state = undefined;
      // Whatever the broker had not confirmed is unknown: report it as failed, the caller retries.
      for (const b of [...state.open]) fail(state, b, closedError());
      for (const w of state.drainWaiters.splice(0)) w();
    });
    return state;
  }
}

function closedError(): Error {
  return new BusUnavailableError('the RabbitMQ channel closed before the broker confirmed the message');
}

function fail(state: ChannelState, batch: Batch, err: Error): void {
  if (batch.settled) return;
  batch.settled = true;
  state.open.delete(batch);
  batch.reject(err);
}
