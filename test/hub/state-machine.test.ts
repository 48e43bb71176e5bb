import assert from 'node:assert/strict';
import type { OrderStatus } from '../../contracts/types';
import { assertTransition, CANCELLABLE, canTransition, isFinal, ORDER_STATUSES } from '../../hub/state-machine';
import { isWaslError } from '../../hub/errors';
import orderSchema from '../../contracts/order.schema.json';

describe('order state machine', () => {
  it('knows exactly the statuses of the order contract', () => {
    assert.deepEqual([...ORDER_STATUSES].sort(), [...orderSchema.$defs.OrderStatus.enum].sort());
  });

  it('carries an order along the happy paths', () => {
    const paths: OrderStatus[][] = [
      ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'provider-completed', 'ready-for-pickup', 'delivered'],
      ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'provider-completed', 'dispatched', 'delivered'],
      ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'provider-completed', 'delivered'],
      ['received', 'submitted-to-provider', 'provider-completed', 'delivered'],
      ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'rejected', 'refunded'],
      ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'failed', 'refunded'],
      ['received', 'awaiting-payment', 'paid', 'cancelled', 'refunded'],
      ['received', 'rejected'],
    ];
    for (const path of paths) for (let i = 1; i < path.length; i++) assert.ok(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} -> ${path[i]}`);
  });

  it('refuses illegal steps with the current status', () => {
    for (const [from, to] of [
      ['received', 'delivered'],
      ['delivered', 'cancelled'],
      ['refunded', 'paid'],
      ['submitted-to-provider', 'cancelled'],
      ['awaiting-payment', 'submitted-to-provider'],
      ['cancelled', 'received'],
      ['paid', 'paid'],
    ] as Array<[OrderStatus, OrderStatus]>) {
      assert.throws(() => assertTransition(from, to), (e) => isWaslError(e) && e.code === 'illegal-transition' && e.extra?.currentStatus === from);
    }
  });

  it('lets a channel cancel only before the ministry has the order', () => {
    assert.deepEqual([...CANCELLABLE], ['received', 'awaiting-payment', 'paid']);
  });

  it('names the final states', () => {
    assert.deepEqual(ORDER_STATUSES.filter(isFinal).sort(), ['cancelled', 'delivered', 'failed', 'refunded', 'rejected']);
  });
});
