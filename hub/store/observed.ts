/**
 * Listeners on every order step, whoever makes it (the gateway, a flow, an operator, a replay):
 * a store decorator, so no caller can forget. The hub hangs the step log line on it (ids and
 * statuses, never the citizen), and the relay its wake-up.
 */
import type { Order } from '../../contracts/types';
import type { Logger } from '../log';
import type { OrderStore } from './store';
import { traceCarrier } from '../tracing';

export type StepListener = (order: Order) => void;

/** The same store (every role it has), each of its order steps heard by every listener. */
export function observeSteps<S extends OrderStore>(store: S, ...listeners: StepListener[]): S {
  const emit = (order: Order) => {
    for (const l of listeners) l(order);
  };
  const overrides: Partial<OrderStore> = {
    async createOrder(order, idem, trace) {
      // The step is made in the active trace (hub/tracing.ts; none when tracing is off): its event carries it.
      const result = await store.createOrder(order, idem, trace ?? traceCarrier());
      if (!result.replayed) emit(result.order);
      return result;
    },
    async transition(id, req) {
      const trace = req.trace ? undefined : traceCarrier();
      const order = await store.transition(id, trace ? { ...req, trace } : req);
      emit(order);
      return order;
    },
    async note(id, req) {
      const order = await store.note(id, req);
      emit(order);
      return order;
    },
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop in overrides) return overrides[prop as keyof OrderStore];
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function stepLogger(logger: Logger): StepListener {
  return (order) => {
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
  };
}
