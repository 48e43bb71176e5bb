/**
 * A subscription: the decision from hub/bus/consume.ts, carried out with RabbitMQ. The original
 * message is acknowledged only once what the decision asks for is safe: ack at once; retry once
 * the next attempt is confirmed in the retry queue of its delay; dead once the dead letter is in
 * the store and confirmed in the dead queue. If any step fails the message is not acknowledged
 * and comes back (at least once); it is never lost between two places.
 */
import type * as amqp from 'amqplib';
import { DEFAULT_RETRY, type AttemptRecord, type BusMessage, type DeadLetterSink, type ProcessedLog, type SubscribeOptions, type Subscription } from '../bus';
import { describeError, handle, type Decision } from '../consume';
import type { Logger } from '../../log';
import { MalformedMessageError, decode, publishOptions } from './codec';
import { RabbitConsumer, type Settle } from './consumer';
import type { Link } from './link';
import type { Publisher } from './publisher';
import type { Topology } from './topology';

export interface SubscriptionDeps {
  link: Link;
  topology: Topology;
  publisher: Publisher;
  store: DeadLetterSink & ProcessedLog;
  logger: Logger;
  /** Delays for a subscription without its own retry policy. */
  defaultDelaysMs: number[];
  /**
   * Pause before giving back a message whose settling failed (store or broker unavailable),
   * doubled with each broker delivery of it, up to 30 s: every give-back counts towards the
   * delivery limit, so an outage of the store must take minutes, not seconds, to dead-letter it.
   */
  failurePauseMs: number;
  /** Counts deliveries in flight per service, for depth(). */
  track: (service: string, delta: number) => void;
}

export async function subscribe(deps: SubscriptionDeps, opts: SubscribeOptions): Promise<Subscription> {
  const { topology, publisher, store, logger } = deps;
  const n = topology.names;
  const service = opts.service;
  const policy = opts.retry ?? { maxAttempts: DEFAULT_RETRY.maxAttempts, delaysMs: deps.defaultDelaysMs };
  const effective: SubscribeOptions = { ...opts, retry: policy };
  const log = logger.child({ service, types: opts.types });

  async function settleDecision(msg: amqp.ConsumeMessage, settle: Settle, message: BusMessage, attempt: number, decision: Decision): Promise<void> {
    if (decision.action === 'ack') return settle.ack();
    const ids = { eventId: message.eventId, orderId: message.orderId };
    // The channel is gone: the broker already gave the message back; a retry or dead copy now
    // would only be a duplicate.
    if (!settle.open) return;
    if (decision.action === 'retry') {
      await topology.retryLevel(decision.delayMs);
      await publisher.send([
        {
          exchange: n.retry(decision.delayMs),
          // Where the retry queue dead-letters it when the delay is over: back to this service.
          routingKey: n.service(service),
          content: msg.content,
          options: publishOptions(message, attempt + 1, decision.history),
        },
      ]);
      settle.ack();
      log.info({ ...ids, attempt, nextAttempt: attempt + 1, delayMs: decision.delayMs, error: lastError(decision.history) }, 'bus retry scheduled');
      return;
    }
    await store.recordDeadLetter({ message, reason: decision.reason, history: decision.history });
    await publisher.send([
      {
        exchange: '',
        routingKey: n.dead,
        content: msg.content,
        options: publishOptions(message, attempt, decision.history, decision.reason),
      },
    ]);
    settle.ack();
    log.warn({ ...ids, attempt, reason: decision.reason, error: lastError(decision.history) }, 'bus message dead-lettered');
  }

  async function process(msg: amqp.ConsumeMessage, settle: Settle): Promise<void> {
    deps.track(service, 1);
    let message: BusMessage | undefined;
    try {
      let attempt: number;
      let decision: Decision;
      try {
        const delivery = decode(msg, service);
        ({ message, attempt } = delivery);
        decision = await handle(delivery, effective, store);
      } catch (err) {
        if (!(err instanceof MalformedMessageError)) throw err;
        // A poison message no handler can read: dead at once, with what could be read of it.
        message = err.partial;
        attempt = 1;
        const history: AttemptRecord[] = [...err.history, { attempt, at: new Date().toISOString(), error: `malformed-message: ${err.message}` }];
        decision = { action: 'dead', reason: 'malformed-message', history };
      }
      if (decision.action === 'ack') settle.ack();
      else await settleDecision(msg, settle, message, attempt, decision);
    } catch (err) {
      // The store or the broker failed under us: leave the message to come back, after a pause
      // so that an outage does not spin (each return counts towards the delivery limit).
      const ids = { eventId: message?.eventId ?? msg.properties.messageId, orderId: message?.orderId };
      log.warn({ ...ids, err: describeError(err) }, 'bus message not settled; it will be delivered again');
      const deliveries = Number(msg.properties.headers?.['x-delivery-count'] ?? 0) || 0;
      await settle.pause(Math.min(30_000, deps.failurePauseMs * 2 ** Math.min(deliveries, 15)));
      settle.requeue();
    } finally {
      deps.track(service, -1);
    }
  }

  const consumer = new RabbitConsumer({
    link: deps.link,
    queue: n.service(service),
    prefetch: opts.prefetch ?? 16,
    logger: log,
    key: (msg) => (typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined),
    prepare: async () => {
      await topology.service(service, true);
      await Promise.all([...new Set(policy.delaysMs)].map((ms) => topology.retryLevel(ms)));
    },
    process,
  });
  await consumer.start();
  log.info({ prefetch: opts.prefetch ?? 16 }, 'bus subscription started');
  return {
    stop: async () => {
      await consumer.stop();
      log.info('bus subscription stopped');
    },
  };
}

function lastError(history: AttemptRecord[]): string | undefined {
  return history[history.length - 1]?.error;
}
