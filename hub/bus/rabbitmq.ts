/**
 * The RabbitMQ back end of the bus (AMQP_URL set): what lets many worker processes on many
 * machines share the work. The pieces live in hub/bus/rabbitmq/: link (reconnection), topology,
 * codec, publisher (confirms), consumer (channel + re-attach), subscription (decisions),
 * collector (broker dead letters).
 *
 * Topology, all durable, names under a prefix (default 'wasl'):
 *   <p>.orders            topic exchange; routing key <service>.<type>
 *   <p>.svc.<service>     quorum queue per service, bound with <service>.#, shared by every worker;
 *                         x-delivery-limit (20) and at-least-once dead-lettering to <p>.dlx, so a
 *                         message that kills its consumers again and again ends dead, not looping
 *   <p>.retry.<ms>        one fanout exchange + quorum queue per delay level, SHARED by all services;
 *                         x-message-ttl = the delay, dead-lettered through the default exchange
 *   <p>.dlx → <p>.dlx.collect   broker dead letters (delivery limit), recorded by the collector
 *   <p>.dead              every dead letter, headers x-wasl-reason and x-wasl-history
 *
 * Retry routing. A retry is published to the level's fanout exchange with the routing key set to
 * the service queue's name; the retry queue has no dead-letter routing key, so on expiry the broker
 * re-publishes it to the default exchange with that key, i.e. straight into its service's queue.
 * (A CC header cannot do this: the broker routes CC at publish time too, skipping the delay.)
 * Trade-offs: a handful of queues whatever the number of services (48 services × 4 levels would be
 * 192 quorum queues, each a Raft group), and per-queue TTL expires strictly in order, with none of
 * the head-of-line blocking of per-message TTL. The cost: a shared queue cannot be counted per
 * service, so depth().delayed is 0 — retries are visible in the logs ('bus retry scheduled', with
 * eventId and orderId) and as the retry queues' depth in RabbitMQ. A delay not declared yet
 * (a subscription's own policy) gets its level declared on first use.
 *
 * Publishing goes on a confirm channel of its own connection (a broker blocking publishers for a
 * resource alarm must not stall consumers' acks); publish() declares each service's queue and
 * binding first, once per connection, so events for a service nobody consumes yet are kept.
 * Consumers run on a second connection, a channel per subscription with its prefetch.
 *
 * Reconnection is our own (rabbitmq/link.ts says why not amqp-connection-manager): both
 * connections come back with backoff, consumers re-attach exactly once, topology is declared
 * again; publish() waits a little for a lost connection, then fails, and never reports an
 * unconfirmed message as sent. A message whose settling fails (store or broker down) is not
 * acknowledged and is given back after a pause that grows with each delivery, so that an outage
 * takes minutes, not seconds, to reach the delivery limit.
 *
 * One queue per service means one subscription per service: two subscriptions to one service
 * with different `types` in one deployment would compete for its messages, each acknowledging
 * the other's types untouched.
 */
import type { Bus, BusHealth, BusMessage, DeadLetterSink, ProcessedLog, QueueDepth, SubscribeOptions, Subscription } from './bus';
import { DEFAULT_RETRY } from './bus';
import type { Logger } from '../log';
import { encodeBody, publishOptions } from './rabbitmq/codec';
import { startCollector } from './rabbitmq/collector';
import type { RabbitConsumer } from './rabbitmq/consumer';
import { BusUnavailableError, Link } from './rabbitmq/link';
import { Publisher } from './rabbitmq/publisher';
import { subscribe } from './rabbitmq/subscription';
import { Topology } from './rabbitmq/topology';

export { BusUnavailableError } from './rabbitmq/link';
export { PublishError } from './rabbitmq/publisher';
export { names as rabbitNames } from './rabbitmq/topology';

export interface RabbitBusOptions {
  url: string;
  store: DeadLetterSink & ProcessedLog;
  logger: Logger;
  /** Prefix of exchange and queue names; tests use a random one. */
  prefix?: string;
  /** Delay levels declared at start, and the delays of subscriptions without their own policy. */
  retryDelaysMs?: number[];
  /** x-delivery-limit of service queues. Changing it on existing queues needs them re-created. */
  deliveryLimit?: number;
  /** How long open() waits for the first connection (after that, reconnection never gives up). */
  connectTimeoutMs?: number;
  /** How long publish() waits for a lost connection to come back before failing. */
  publishConnectWaitMs?: number;
  /** How long publish() waits for the broker's confirms. */
  confirmTimeoutMs?: number;
  /** First pause before giving back a message whose settling failed (doubles per delivery, to 30 s). */
  failurePauseMs?: number;
  /** Reconnect backoff: first delay and cap. */
  reconnectDelayMs?: { initial: number; max: number };
}

export class RabbitBus implements Bus {
  readonly kind = 'rabbitmq' as const;
  private readonly subscriptions = new Set<Subscription>();
  private readonly inFlight = new Map<string, number>();
  private collector?: RabbitConsumer;
  private closing?: Promise<void>;

  private constructor(
    private readonly opts: RabbitBusOptions,
    private readonly logger: Logger,
    private readonly pubLink: Link,
    private readonly subLink: Link,
    private readonly topology: Topology,
    private readonly publisher: Publisher,
  ) {}

  static async open(opts: RabbitBusOptions): Promise<RabbitBus> {
    const logger = opts.logger.child({ bus: 'rabbitmq' });
    const prefix = opts.prefix ?? 'wasl';
    const link = (role: string) =>
      new Link({ url: opts.url, name: `wasl ${role} ${process.pid}`, logger, initialDelayMs: opts.reconnectDelayMs?.initial, maxDelayMs: opts.reconnectDelayMs?.max });
    const pubLink = link('publish');
    const subLink = link('consume');
    const timeout = opts.connectTimeoutMs ?? 10_000;
    try {
      await Promise.all([pubLink.start(timeout), subLink.start(timeout)]);
    } catch (err) {
      await Promise.all([pubLink.close(), subLink.close()]);
      throw err;
    }
    const deliveryLimit = opts.deliveryLimit ?? 20;
    const topology = new Topology(pubLink, { prefix, deliveryLimit }, logger);
    const publisher = new Publisher(pubLink, logger, {
      connectWaitMs: opts.publishConnectWaitMs ?? 5_000,
      confirmTimeoutMs: opts.confirmTimeoutMs ?? 30_000,
      onReturn: (msg) => {
        const service = msg.properties.headers?.service;
        if (typeof service === 'string') topology.forgetService(service);
      },
    });
    const bus = new RabbitBus(opts, logger, pubLink, subLink, topology, publisher);
    try {
      await topology.base();
      const delays = opts.retryDelaysMs ?? DEFAULT_RETRY.delaysMs;
      await Promise.all([...new Set(delays)].map((ms) => topology.retryLevel(ms)));
      // Every instance collects broker dead letters, so they reach the store even when the
      // process that would have handled them is gone.
      bus.collector = startCollector({ link: subLink, topology, publisher, store: opts.store, logger, failurePauseMs: opts.failurePauseMs ?? 1_000, deliveryLimit });
      await bus.collector.start();
    } catch (err) {
      await bus.close();
      throw err;
    }
    logger.info({ prefix }, 'rabbitmq bus open');
    return bus;
  }

  async publish(messages: BusMessage[]): Promise<void> {
    if (this.closing) throw new BusUnavailableError('the bus is closed');
    if (!messages.length) return;
    await Promise.all([...new Set(messages.map((m) => m.service))].map((s) => this.topology.service(s)));
    const exchange = this.topology.names.orders;
    await this.publisher.send(
      messages.map((m) => ({
        exchange,
        routingKey: `${m.service}.${m.type}`,
        content: encodeBody(m),
        options: publishOptions(m, 1, []),
      })),
    );
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.closing) throw new BusUnavailableError('the bus is closed');
    const sub = await subscribe(
      {
        link: this.subLink,
        topology: this.topology,
        publisher: this.publisher,
        store: this.opts.store,
        logger: this.logger,
        defaultDelaysMs: this.opts.retryDelaysMs ?? DEFAULT_RETRY.delaysMs,
        failurePauseMs: this.opts.failurePauseMs ?? 1_000,
        track: (service, delta) => this.inFlight.set(service, (this.inFlight.get(service) ?? 0) + delta),
      },
      opts,
    );
    let stopping: Promise<void> | undefined;
    const handle: Subscription = {
      stop: () =>
        (stopping ??= sub.stop().finally(() => {
          this.subscriptions.delete(handle);
        })),
    };
    this.subscriptions.add(handle);
    return handle;
  }

  /**
   * ready: the service queue's ready messages (all processes). inFlight: deliveries this process
   * is working on (other processes' unacked messages are not visible without the management API).
   * delayed: 0 — retry queues are shared by all services and cannot be counted per service.
   */
  async depth(service: string): Promise<QueueDepth> {
    const ready = await this.topology.ready(this.topology.names.service(service));
    return { ready, inFlight: this.inFlight.get(service) ?? 0, delayed: 0 };
  }

  health(): BusHealth {
    if (this.closing) return { ok: false, detail: 'rabbitmq bus closed' };
    const pub = this.pubLink.status();
    const sub = this.subLink.status();
    if (pub.ok && sub.ok) return { ok: true, detail: pub.detail.replace(/^[^:]*: /, '') };
    return { ok: false, detail: [pub, sub].filter((s) => !s.ok).map((s) => s.detail).join('; ') };
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      // Consumers first (their in-flight work may still publish retries), then pending publishes.
      await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
      await this.collector?.stop();
      await this.publisher.drain();
      await Promise.all([this.subLink.close(), this.pubLink.close()]);
      this.logger.info('rabbitmq bus closed');
    })());
  }
}
