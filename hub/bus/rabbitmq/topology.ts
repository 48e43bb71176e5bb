/**
 * The RabbitMQ topology of the bus, its names and its idempotent declarations. Every declaration
 * is an assert with the same arguments, so any number of processes may run them at once; a
 * process declares what it is about to use (once per connection, cached), so nothing depends on
 * who started first.
 */
import type * as amqp from 'amqplib';
import type { Logger } from '../../log';
import type { Link } from './link';

export interface Names {
  /** Topic exchange of order events, routing key `<service>.<type>`. */
  orders: string;
  /** Where service queues dead-letter a message that exceeded x-delivery-limit. */
  dlx: string;
  /** Bound to dlx; the collector records what lands here in the store. */
  collect: string;
  /** Every dead letter, with x-wasl-reason and x-wasl-history: the broker-side copy. */
  dead: string;
  service(service: string): string;
  /** Fanout exchange and queue of one delay level (same name, separate namespaces). */
  retry(delayMs: number): string;
}

export function names(prefix: string): Names {
  return {
    orders: `${prefix}.orders`,
    dlx: `${prefix}.dlx`,
    collect: `${prefix}.dlx.collect`,
    dead: `${prefix}.dead`,
    service: (s) => `${prefix}.svc.${s}`,
    retry: (ms) => `${prefix}.retry.${ms}`,
  };
}

/** A service code becomes a routing-key word: no dots, no wildcards. */
export const SERVICE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export interface TopologyOptions {
  prefix: string;
  /** x-delivery-limit of service queues: deliveries without an ack before a message is dead. */
  deliveryLimit: number;
}

// Quorum queues: replicated, and the only type with a delivery limit and at-least-once
// dead-lettering (which needs reject-publish overflow; no max length is set, so it never rejects).
const quorum = { 'x-queue-type': 'quorum' };
const atLeastOnceDlx = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' };

export class Topology {
  readonly names: Names;
  private declared = new Map<string, Promise<void>>();
  private admin?: Promise<amqp.Channel>;
  private adminGeneration = 0;

  constructor(
    private readonly link: Link,
    private readonly opts: TopologyOptions,
    private readonly logger: Logger,
  ) {
    this.names = names(opts.prefix);
    // A new connection may face a broker that lost its definitions (a reset node): declare again.
    link.on('up', () => this.declared.clear());
  }

  /** Exchanges and queues every process needs: orders, the DLX and its collector queue, dead. */
  base(): Promise<void> {
    const n = this.names;
    return this.once('base', async (ch) => {
      await ch.assertExchange(n.orders, 'topic', { durable: true });
      await ch.assertExchange(n.dlx, 'fanout', { durable: true });
      await ch.assertQueue(n.collect, { durable: true, arguments: { ...quorum } });
      await ch.bindQueue(n.collect, n.dlx, '');
      await ch.assertQueue(n.dead, { durable: true, arguments: { ...quorum } });
    });
  }

  /**
   * The service's queue and its binding, before anything is published to or consumed from it.
   * `fresh` declares again even if done on this connection: a consumer attaching after a failure
   * may be facing a queue deleted behind our back.
   */
  service(service: string, fresh = false): Promise<void> {
    if (!SERVICE_PATTERN.test(service)) return Promise.reject(new Error(`service "${service}" cannot name a queue: letters, digits, - and _ only`));
    if (fresh) this.forgetService(service);
    const n = this.names;
    return this.once(`svc:${service}`, async (ch) => {
      await this.base();
      const q = n.service(service);
      await ch.assertQueue(q, {
        durable: true,
        arguments: { ...quorum, ...atLeastOnceDlx, 'x-delivery-limit': this.opts.deliveryLimit, 'x-dead-letter-exchange': n.dlx },
      });
      await ch.bindQueue(q, n.orders, `${service}.#`);
    });
  }

  /**
   * One delay level, shared by all services: a fanout exchange into a queue whose messages expire
   * after delayMs and are dead-lettered through the default exchange with the routing key they
   * were published with — the service queue's name — so they land back in their service's queue.
   */
  retryLevel(delayMs: number): Promise<void> {
    if (!Number.isInteger(delayMs) || delayMs < 0) return Promise.reject(new Error(`retry delay ${delayMs} is not a whole number of ms`));
    const name = this.names.retry(delayMs);
    return this.once(`retry:${delayMs}`, async (ch) => {
      await ch.assertExchange(name, 'fanout', { durable: true });
      await ch.assertQueue(name, {
        durable: true,
        arguments: { ...quorum, ...atLeastOnceDlx, 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '' },
      });
      await ch.bindQueue(name, name, '');
    });
  }

  /** After an unroutable return: the queue was deleted behind our back; declare it next time. */
  forgetService(service: string): void {
    this.declared.delete(`svc:${service}`);
  }

  /** Ready messages in a queue, or 0 when it does not exist. */
  async ready(queue: string): Promise<number> {
    const { conn } = await this.link.ready(5_000);
    // checkQueue on a missing queue closes its channel (404): use a throwaway one.
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    try {
      return (await ch.checkQueue(queue)).messageCount;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return 0;
      throw err;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  private once(key: string, declare: (ch: amqp.Channel) => Promise<void>): Promise<void> {
    let p = this.declared.get(key);
    if (!p) {
      p = this.channel().then(declare);
      this.declared.set(key, p);
      // A failure is not cached: the next caller tries again.
      p.catch((err: Error) => {
        if (this.declared.get(key) === p) this.declared.delete(key);
        this.logger.warn({ declaration: key, err: err.message }, 'rabbitmq topology declaration failed');
      });
    }
    return p;
  }

  /** A channel for declarations, replaced when it or its connection closes. */
  private async channel(): Promise<amqp.Channel> {
    const { conn, generation } = await this.link.ready(5_000);
    if (!this.admin || this.adminGeneration !== generation) {
      this.adminGeneration = generation;
      const p = conn.createChannel().then((ch) => {
        ch.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'rabbitmq declaration channel error'));
        ch.on('close', () => {
          if (this.admin === p) this.admin = undefined;
        });
        return ch;
      });
      this.admin = p;
      p.catch(() => {
        if (this.admin === p) this.admin = undefined;
      });
    }
    return this.admin;
  }
}
