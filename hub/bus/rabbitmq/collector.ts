/**
 * The dead-letter collector: a message that went unacknowledged x-delivery-limit times (it kills
 * or hangs every consumer that takes it) is dead-lettered by the broker itself, into the DLX and
 * the collect queue. The collector gives it the same end as any other dead letter: recorded in the
 * store (where `wasl replay` finds it) with reason 'delivery-limit', copied to the dead queue with
 * its headers, then acknowledged. Every bus instance runs one; they compete on the queue, and the
 * store's record is idempotent per event and service.
 */
import type * as amqp from 'amqplib';
import type { DeadLetterSink } from '../bus';
import type { Logger } from '../../log';
import { H, publishOptions, readHistory, readLenient } from './codec';
import { RabbitConsumer } from './consumer';
import type { Link } from './link';
import type { Publisher } from './publisher';
import type { Topology } from './topology';

/**
 * Why the broker dead-lettered it, from its own queue's entry in x-death: a message that once
 * waited in a retry queue also carries that queue's 'expired' death (x-first-death-reason).
 */
function deathReason(headers: Record<string, unknown>, servicePrefix: string): string {
  const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as Array<Record<string, unknown>>) : [];
  const text = (v: unknown) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined);
  const own = deaths.find((d) => text(d.queue)?.startsWith(servicePrefix));
  const raw = text(own?.reason) ?? text(headers['x-first-death-reason']) ?? 'unknown';
  return raw === 'delivery_limit' ? 'delivery-limit' : `broker-${raw}`;
}

export function startCollector(deps: { link: Link; topology: Topology; publisher: Publisher; store: DeadLetterSink; logger: Logger; failurePauseMs: number; deliveryLimit: number }): RabbitConsumer {
  const { topology, publisher, store } = deps;
  const n = topology.names;
  const log = deps.logger.child({ component: 'dead-letter-collector' });
  const consumer = new RabbitConsumer({
    link: deps.link,
    queue: n.collect,
    prefetch: 16,
    logger: log,
    key: (msg) => (typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined),
    prepare: () => topology.base(),
    process: async (msg: amqp.ConsumeMessage, settle) => {
      const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
      const message = readLenient(msg, 'unknown');
      const ids = { eventId: message.eventId, orderId: message.orderId, service: message.service };
      try {
        const reason = deathReason(headers, n.service(''));
        const attempt = Number(headers[H.attempt]) || 1;
        // The broker does not say how often it delivered it; past the limit is all we know.
        const error = reason === 'delivery-limit' ? `delivery-limit: delivered ${deps.deliveryLimit + 1} times without an acknowledgement` : reason;
        const history = [...readHistory(headers), { attempt, at: new Date().toISOString(), error }];
        await store.recordDeadLetter({ message, reason, history });
        if (!settle.open) return;
        await publisher.send([
          { exchange: '', routingKey: n.dead, content: msg.content, options: publishOptions(message, attempt, history, reason) },
        ]);
        settle.ack();
        log.warn({ ...ids, reason }, 'bus message dead-lettered by the broker');
      } catch (err) {
        log.warn({ ...ids, err: (err as Error).message }, 'dead letter not recorded yet; it will be delivered again');
        await settle.pause(deps.failurePauseMs);
        settle.requeue();
      }
    },
  });
  return consumer;
}
