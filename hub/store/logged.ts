/**
 * One log line per order step, whoever makes it (the gateway, a flow, an operator): a store
 * decorator, so no caller can forget. Lines carry ids and statuses, never the citizen.
 */
import type { Order } from '../../contracts/types';
import type { Logger } from '../log';
import type { Store } from './store';

function logStep(logger: Logger, order: Order): void {
  const step = order.timeline[order.timeline.length - 1];
  logger.info(
    {
      orderId: order.id,
      service: order.service.code,
      channel: order.channel.id,
      event: step?.event,
      from: step?.from,
      status: order.status,
      actor: step?.actor,
      reason: step?.reason?.code,
    },
    'order step',
  );
}

export function withStepLog(store: Store, logger: Logger): Store {
  return {
    kind: store.kind,
    async createOrder(order, idem) {
      const result = await store.createOrder(order, idem);
      if (!result.replayed) logStep(logger, result.order);
      return result;
    },
    async transition(id, req) {
      const order = await store.transition(id, req);
      logStep(logger, order);
      return order;
    },
    getOrder: (id) => store.getOrder(id),
    listOrders: (q) => store.listOrders(q),
    outboxPending: (limit) => store.outboxPending(limit),
    markPublished: (seqs) => store.markPublished(seqs),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
