/**
 * The order state machine. Every status change of an order goes through `assertTransition`;
 * the store calls it inside the transaction that writes the change.
 */
import type { OrderStatus } from '../contracts/types';
import { WaslError } from './errors';

const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  received: ['awaiting-payment', 'submitted-to-provider', 'rejected', 'failed', 'cancelled'],
  'awaiting-payment': ['paid', 'rejected', 'failed', 'cancelled'],
  paid: ['submitted-to-provider', 'rejected', 'failed', 'cancelled'],
  'submitted-to-provider': ['provider-completed', 'rejected', 'failed'],
  // Electronic delivery completes at once; counter and post go through their own step.
  'provider-completed': ['ready-for-pickup', 'dispatched', 'delivered', 'failed'],
  dispatched: ['delivered', 'returned', 'failed'],
  // Returned to sender: the document waits at the centre, or is posted again.
  returned: ['ready-for-pickup', 'dispatched'],
  'ready-for-pickup': ['delivered'],
  delivered: [],
  // A paid order that ends without its document is refunded.
  rejected: ['refunded'],
  failed: ['refunded'],
  cancelled: ['refunded'],
  refunded: [],
};

export const ORDER_STATUSES = Object.keys(TRANSITIONS) as OrderStatus[];

/** States from which an order may still be cancelled: before the ministry has the request. */
export const CANCELLABLE: readonly OrderStatus[] = ORDER_STATUSES.filter((s) => TRANSITIONS[s].includes('cancelled'));

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function nextStatuses(from: OrderStatus): readonly OrderStatus[] {
  return TRANSITIONS[from];
}

export function isFinal(status: OrderStatus): boolean {
  return status === 'delivered' || status === 'refunded' || (TRANSITIONS[status].length === 1 && TRANSITIONS[status][0] === 'refunded');
}

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw new WaslError('illegal-transition', {
      detail: `An order that is ${from} cannot become ${to}.`,
      detailAr: `لا يمكن لطلب حالته ${from} أن يصبح ${to}.`,
      extra: { currentStatus: from },
    });
  }
}

/** The event type written to the outbox when an order reaches `status`. */
export const eventType = (status: OrderStatus): string => `order.${status}`;
