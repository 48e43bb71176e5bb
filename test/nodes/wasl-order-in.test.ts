import assert from 'node:assert/strict';
import orderIn from '../../nodes/wasl-order-in';
import orderUpdate from '../../nodes/wasl-order-update';
import { completeDelivery } from '../../hub/runtime/deliveries';
import { delivery, helper, isPending, nodeTestHub, storedOrder, type NodeTestHub } from './wasl-order-helpers';

const SERVICE = 'civil-registry-individual-extract';

describe('wasl-order-in node', () => {
  let hub: NodeTestHub;
  beforeEach(async () => {
    hub = await nodeTestHub();
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    await hub.close();
  });

  it('starts its flow on an event of its service and type, with the order, and not on others', async () => {
    await helper.load(
      [orderIn],
      [
        { id: 'in', type: 'wasl-order-in', service: SERVICE, types: ['order.received'], wires: [['out']] },
        { id: 'other', type: 'wasl-order-in', service: 'vehicle-ownership-statement', types: ['order.received'], wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
    );
    const got: Array<Record<string, unknown>> = [];
    helper.getNode('out')!.on('input', (msg) => void got.push(msg));
    assert.deepEqual(hub.bus.subscriptions.map((s) => s.service).sort(), [SERVICE, 'vehicle-ownership-statement'], 'one subscription per service');
    const order = await storedOrder(hub.store);

    // Another type of the same service: not this node's business, acknowledged at once.
    await hub.bus.deliver(delivery(order.id, SERVICE, 'order.paid'));
    assert.equal(got.length, 0);

    const d = delivery(order.id, SERVICE, 'order.received');
    const handled = hub.bus.deliver(d);
    await until(() => got.length === 1);
    const msg = got[0]!;
    assert.equal(msg.topic, 'order.received');
    assert.equal((msg.payload as { id: string }).id, order.id);
    assert.deepEqual(msg.wasl, { orderId: order.id, service: SERVICE, type: 'order.received', eventId: d.message.eventId, attempt: 1, redelivered: false });
    assert.equal(await isPending(handled), true);
    // The test's flow has no wasl-order-update: complete it the way one would.
    completeDelivery(msg);
    await handled;
    assert.equal(got.length, 1, 'the other service\'s node got nothing');
  });

  it('acknowledges only once the flow has stored its transition', async () => {
    await helper.load(
      [orderIn, orderUpdate],
      [
        { id: 'in', type: 'wasl-order-in', service: SERVICE, types: ['order.received'], wires: [['gate']] },
        { id: 'gate', type: 'helper', wires: [] },
        { id: 'update', type: 'wasl-order-update', status: 'awaiting-payment', wires: [[]] },
      ],
    );
    const held: Array<Record<string, unknown>> = [];
    helper.getNode('gate')!.on('input', (msg) => void held.push(msg));
    const order = await storedOrder(hub.store);
    const handled = hub.bus.deliver(delivery(order.id, SERVICE, 'order.received'));
    await until(() => held.length === 1);
    assert.equal(await isPending(handled), true, 'not acknowledged while the flow holds the message');
    // The flow goes on (as a slow ministry call would, later): the update completes it.
    helper.getNode('update')!.receive(held[0]!);
    await handled;
    assert.equal((await hub.store.getOrder(order.id))?.status, 'awaiting-payment');
  });

  it('makes the bus retry when a node reports an error no Catch node takes', async () => {
    await helper.load(
      [orderIn, orderUpdate],
      [{ id: 'in', type: 'wasl-order-in', service: SERVICE, types: [], wires: [['update']] }, { id: 'update', type: 'wasl-order-update', status: 'delivered', wires: [[]] }],
    );
    const order = await storedOrder(hub.store);
    await assert.rejects(hub.bus.deliver(delivery(order.id, SERVICE, 'order.received')), (err: { code?: string }) => err.code === 'illegal-transition');
    assert.equal((await hub.store.getOrder(order.id))?.status, 'received');
  });

  it('gives back what the flow holds when the flow stops, and retries while no flow runs', async () => {
    await helper.load([orderIn], [{ id: 'in', type: 'wasl-order-in', service: SERVICE, types: ['order.received'], wires: [['gate']] }, { id: 'gate', type: 'helper' }]);
    const order = await storedOrder(hub.store);
    const handled = hub.bus.deliver(delivery(order.id, SERVICE, 'order.received'));
    await new Promise((r) => setTimeout(r, 20));
    await helper.unload();
    await assert.rejects(handled, (err: { code?: string }) => err.code === 'flow-stopped');
    await assert.rejects(hub.bus.deliver(delivery(order.id, SERVICE, 'order.received')), (err: { code?: string }) => err.code === 'no-flow');
  });
});

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
