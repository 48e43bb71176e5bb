/**
 * A consumer that survives its connection: one channel with a bounded prefetch and one basic.consume
 * on one queue, re-attached after every reconnect or channel loss — and never twice: attaching is
 * serialised and does nothing while the current channel lives, so a queue has exactly one consumer
 * per RabbitConsumer whatever the sequence of 'close' and 'up' events.
 *
 * A delivery is settled on the channel that delivered it, or not at all: when that channel is gone
 * the broker has already put the message back, and acknowledging its tag on another channel would
 * make the broker close that one.
 */
import type * as amqp from 'amqplib';
import type { Logger } from '../../log';
import type { Link } from './link';

/** How a processor settles a delivery; each does nothing when the channel has gone. */
export interface Settle {
  ack(): void;
  /** Back to the queue at once (counts towards the quorum queue's delivery limit). */
  requeue(): void;
  /** The delivering channel is still open: settling it can still succeed. */
  readonly open: boolean;
  /** Waits ms, or less if the consumer is stopping (shutdown must not wait out a back-off). */
  pause(ms: number): Promise<void>;
}

export interface ConsumerOptions {
  link: Link;
  queue: string;
  prefetch: number;
  logger: Logger;
  /** Declares what the consumer needs, before each attach. */
  prepare: () => Promise<void>;
  /** Handles one delivery; must settle it (or leave it to come back) and never throw. */
  process: (msg: amqp.ConsumeMessage, settle: Settle) => Promise<void>;
  /** Key under which deliveries are serialised (the event id): see RabbitConsumer.onMessage. */
  key: (msg: amqp.ConsumeMessage) => string | undefined;
}

export class RabbitConsumer {
  private channel?: amqp.Channel;
  private consumerTag?: string;
  private readonly closed = new WeakSet<amqp.Channel>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly byKey = new Map<string, Promise<void>>();
  private retryTimer?: NodeJS.Timeout;
  /** Rejects on stop(), so an attach waiting for a connection gives up at once. */
  private abort!: (err: Error) => void;
  private readonly aborted = new Promise<never>((_, reject) => (this.abort = reject));
  private readonly wakers = new Set<() => void>();

  constructor(private readonly opts: ConsumerOptions) {
    this.aborted.catch(() => undefined);
  }

  /** Attaches now (rejecting, and staying stopped, if that fails) and after every reconnect. */
  async start(): Promise<void> {
    this.opts.link.on('up', this.onUp);
    try {
      await this.serial(() => this.attach());
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private readonly onUp = (): void => {
    this.reattach();
  };

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private reattach(delayMs = 0): void {
    if (this.stopped) return;
    const run = () => {
      this.retryTimer = undefined;
      this.serial(() => this.attach()).catch((err: Error) => {
        if (this.stopped) return;
        this.opts.logger.warn({ queue: this.opts.queue, err: err.message }, 'rabbitmq consumer could not attach; retrying');
        if (!this.retryTimer) this.reattach(1_000);
      });
    };
    if (delayMs === 0) run();
    else if (!this.retryTimer) this.retryTimer = setTimeout(run, delayMs);
  }

  private async attach(): Promise<void> {
    if (this.stopped || (this.channel && !this.closed.has(this.channel))) return;
    const { conn } = await Promise.race([this.opts.link.ready(10_000), this.aborted]);
    await Promise.race([this.opts.prepare(), this.aborted]);
    const ch = await conn.createChannel();
    try {
      ch.on('error', (err: Error) => this.opts.logger.warn({ queue: this.opts.queue, err: err.message }, 'rabbitmq consumer channel error'));
      ch.on('close', () => {
        this.closed.add(ch);
        if (this.channel !== ch) return;
        this.channel = undefined;
        // A channel lost while its connection lives (a channel error) is re-attached here; a
        // lost connection is re-attached by 'up'. Either way attach() refuses a second consumer.
        if (!this.stopped) this.reattach(500);
      });
      await ch.prefetch(this.opts.prefetch);
      this.channel = ch;
      const { consumerTag } = await ch.consume(this.opts.queue, (msg) => this.onMessage(ch, msg), { noAck: false });
      this.consumerTag = consumerTag;
      this.opts.logger.debug({ queue: this.opts.queue, consumerTag }, 'rabbitmq consumer attached');
    } catch (err) {
      if (this.channel === ch) this.channel = undefined;
      await ch.close().catch(() => undefined);
      throw err;
    }
  }

  private onMessage(ch: amqp.Channel, msg: amqp.ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled us (the queue was deleted): a new channel will declare it again.
      this.opts.logger.warn({ queue: this.opts.queue }, 'rabbitmq cancelled the consumer');
      if (this.channel === ch) this.channel = undefined;
      ch.close().catch(() => undefined);
      this.reattach(500);
      return;
    }
    const settle = new Settlement(this, ch, msg);
    // Two copies of one event in flight at once (a publish retried after a lost confirm, a
    // redelivery racing the first attempt) run one after the other, so the second sees the
    // first recorded as processed and is dropped instead of running the handler twice.
    const key = this.opts.key(msg);
    const before = key ? this.byKey.get(key) : undefined;
    const started = before ? before.then(() => this.opts.process(msg, settle)) : this.opts.process(msg, settle);
    const run: Promise<void> = started.then(
      () => this.finished(key, run),
      (err: Error) => {
        this.opts.logger.error({ queue: this.opts.queue, eventId: key, err: err.message }, 'rabbitmq delivery processing failed');
        this.finished(key, run);
      },
    );
    this.inFlight.add(run);
    if (key) this.byKey.set(key, run);
  }

  private finished(key: string | undefined, run: Promise<void>): void {
    this.inFlight.delete(run);
    if (key && this.byKey.get(key) === run) this.byKey.delete(key);
  }

  /** @internal for Settlement */
  isClosed(ch: amqp.Channel): boolean {
    return this.closed.has(ch);
  }

  /** @internal for Settlement */
  pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  /** Cancels the consumer, lets in-flight deliveries finish and settle, then closes the channel. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort(new Error('consumer stopped'));
    for (const wake of [...this.wakers]) wake();
    this.opts.link.off('up', this.onUp);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.chain;
    const ch = this.channel;
    if (ch && this.consumerTag && !this.closed.has(ch)) await ch.cancel(this.consumerTag).catch(() => undefined);
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
    this.channel = undefined;
    if (ch && !this.closed.has(ch)) await ch.close().catch(() => undefined);
  }
}

/**
 * The settling of one delivery. A class, not an object of closures: one is made per message, and
 * the hot path should allocate little.
 */
class Settlement implements Settle {
  constructor(
    private readonly consumer: RabbitConsumer,
    private readonly ch: amqp.Channel,
    private readonly msg: amqp.ConsumeMessage,
  ) {}

  get open(): boolean {
    return !this.consumer.isClosed(this.ch);
  }

  ack(): void {
    if (!this.open) return;
    try {
      this.ch.ack(this.msg);
    } catch {
      // The channel closed meanwhile: the broker redelivers the message.
    }
  }

  requeue(): void {
    if (!this.open) return;
    try {
      this.ch.nack(this.msg, false, true);
    } catch {
      // As above.
    }
  }

  pause(ms: number): Promise<void> {
    return this.consumer.pause(ms);
  }
}
