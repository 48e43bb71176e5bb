/**
 * wasl-postal against a fake postal desk (ship only, recording its calls): the tracking number
 * in the node's status and msg.shipment with the bus delivery completed, an order not delivered
 * by post passing through, typed errors reaching a Catch node, and the help in both languages.
 */
import assert from 'node:assert/strict';
import { TimeoutError } from '../../connectors/errors';
import type { Order } from '../../contracts/types';
import { createLogger } from '../../hub/log';
import type { PostDesk } from '../../hub/payments/post';
import { setHubContext } from '../../hub/runtime/context';
import { completeDelivery } from '../../hub/runtime/deliveries';
import orderIn from '../../nodes/wasl-order-in';
import postal from '../../nodes/wasl-postal';
import { delivery, helper, isPending, nodeTestHub, storedOrder, type NodeTestHub } from './wasl-order-helpers';
import { assertLocales, recordStatus } from './desk-node-helpers';

const SERVICE = 'civil-registry-individual-extract';
const catchNode = require('@node-red/nodes/core/common/25-catch.js') as (red: unknown) => void;

class FakePost {
  readonly calls: string[] = [];
  answer: (orderId: string) => Promise<Order> = () => Promise.reject(new Error('no answer set'));
  async ship(orderId: string): Promise<Order> {
    this.calls.push(orderId);
    return this.answer(orderId);
  }
}

const SHIPMENT = { provider: 'sy-post', trackingNumber: 'SY123456789', status: 'created', fee: 15000, updatedAt: '2026-11-02T10:00:00.000Z' } as const;

const dispatched = (order: Order): Order =>
  ({ ...order, status: 'dispatched', delivery: { ...order.delivery, method: 'domestic-post' }, shipment: { ...SHIPMENT } }) as Order;

describe('wasl-postal node', () => {
  let hub: NodeTestHub;
  let desk: FakePost;
  const useDesk = (post: FakePost | undefined) =>
    setHubContext({ store: hub.store, workers: hub.workers, env: 'sandbox', providersRoot: '/nonexistent', logger: createLogger('silent'), ...(post ? { post: post as unknown as PostDesk } : {}) });

  beforeEach(async () => {
    hub = await nodeTestHub();
    desk = new FakePost();
    useDesk(desk);
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    await hub.close();
  });

  it('ships the order, shows its tracking number, puts the shipment on the message and completes the event', async () => {
    await helper.load(
      [orderIn, postal],
      [
        { id: 'in', type: 'wasl-order-in', service: SERVICE, types: ['order.provider-completed'], wires: [['post']] },
        { id: 'post', type: 'wasl-postal', action: 'ship', complete: true, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
    );
    const order = await storedOrder(hub.store);
    desk.answer = async () => dispatched(order);
    const statuses = recordStatus('post');
    const out = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    const handled = hub.bus.deliver(delivery(order.id, SERVICE, 'order.provider-completed'));
    const msg = await out;
    await handled; // acknowledged: the node completed the delivery
    assert.deepEqual(desk.calls, [order.id]);
    assert.equal((msg.payload as Order).status, 'dispatched');
    assert.deepEqual(msg.shipment, SHIPMENT);
    assert.deepEqual(statuses.at(-1), { fill: 'green', shape: 'dot', text: 'SY123456789' });
  });

  it('leaves the event to the flow when "completes the event" is cleared', async () => {
    await helper.load(
      [orderIn, postal],
      [
        { id: 'in', type: 'wasl-order-in', service: SERVICE, types: ['order.provider-completed'], wires: [['post']] },
        { id: 'post', type: 'wasl-postal', complete: false, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
    );
    const order = await storedOrder(hub.store);
    desk.answer = async () => dispatched(order);
    const out = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    const handled = hub.bus.deliver(delivery(order.id, SERVICE, 'order.provider-completed'));
    const msg = await out;
    assert.equal(await isPending(handled), true);
    completeDelivery(msg);
    await handled;
  });

  it('passes an order delivered at the counter through unchanged ("not by post")', async () => {
    await helper.load([postal], [{ id: 'post', type: 'wasl-postal', wires: [['out']] }, { id: 'out', type: 'helper' }]);
    const stored = await storedOrder(hub.store);
    const atCounter = { ...stored, status: 'provider-completed', delivery: { method: 'counter', centre: 'damascus-1' } } as unknown as Order;
    desk.answer = async () => atCounter;
    const statuses = recordStatus('post');
    const out = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    helper.getNode('post')!.receive({ payload: atCounter });
    const msg = await out;
    assert.deepEqual(msg.payload, atCounter);
    assert.equal(msg.shipment, undefined);
    assert.equal(statuses.at(-1)?.fill, 'grey');
    assert.match(String(statuses.at(-1)?.text), /not-by-post|not by post/);
  });

  describe('errors, to a Catch node with msg.error.code', () => {
    const flow = () => [
      { id: 'tab', type: 'tab' },
      { id: 'post', z: 'tab', type: 'wasl-postal', action: 'ship', wires: [['out']] },
      { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'caught', z: 'tab', type: 'helper' },
    ];
    const caughtError = async (msg: Record<string, unknown>) => {
      let passed = false;
      helper.getNode('out')!.on('input', () => (passed = true));
      const caught = new Promise<Record<string, unknown>>((resolve) => helper.getNode('caught')!.on('input', resolve));
      helper.getNode('post')!.receive(msg);
      const error = (await caught).error as { code: string; source: { id: string } };
      assert.equal(passed, false, 'nothing sent on');
      assert.equal(error.source.id, 'post');
      return error;
    };

    it('no-post: a hub without a postal desk', async () => {
      useDesk(undefined);
      await helper.load([postal, catchNode], flow());
      const order = await storedOrder(hub.store);
      const statuses = recordStatus('post');
      assert.equal((await caughtError({ payload: order })).code, 'no-post');
      assert.deepEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: 'no-post' });
    });

    it('no-order, and the desk\'s errors', async () => {
      await helper.load([postal, catchNode], flow());
      assert.equal((await caughtError({ payload: {} })).code, 'no-order');
      assert.equal(desk.calls.length, 0);
      const order = await storedOrder(hub.store);
      desk.answer = async () => {
        throw new TimeoutError('total', 5000, { provider: 'sy-post', operation: 'createShipment' });
      };
      assert.equal((await caughtError({ wasl: { orderId: order.id } })).code, 'timeout');
      assert.deepEqual(desk.calls, [order.id]);
    });
  });

  it('has its help and messages in English and in Arabic, right to left', () => {
    assertLocales('wasl-postal');
  });
});

