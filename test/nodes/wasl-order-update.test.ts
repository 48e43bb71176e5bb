import assert from 'node:assert/strict';
import orderUpdate from '../../nodes/wasl-order-update';
import { helper, nodeTestHub, storedOrder, type NodeTestHub } from './wasl-order-helpers';

describe('wasl-order-update node', () => {
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

  it('moves the order through the state machine with its reason and sends the updated order on', async () => {
    await helper.load([orderUpdate], [{ id: 'u', type: 'wasl-order-update', status: 'awaiting-payment', reason: 'fees-due', wires: [['out']] }, { id: 'out', type: 'helper' }]);
    const order = await storedOrder(hub.store);
    const out = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    helper.getNode('u')!.receive({ payload: order, wasl: { orderId: order.id, service: order.service, type: 'order.received', eventId: 'e1', attempt: 1, redelivered: false } });
    const msg = await out;
    assert.equal((msg.payload as { status: string }).status, 'awaiting-payment');
    const stored = await hub.store.getOrder(order.id);
    assert.equal(stored?.status, 'awaiting-payment');
    assert.deepEqual(stored?.timeline.at(-1)?.reason, { code: 'fees-due' });
    assert.deepEqual(stored?.timeline.at(-1)?.actor, { kind: 'system', id: `flow:${order.service}` });
  });

  it('counts an order already in the target status as done (a redelivered event)', async () => {
    await helper.load([orderUpdate], [{ id: 'u', type: 'wasl-order-update', status: 'awaiting-payment', wires: [['out']] }, { id: 'out', type: 'helper' }]);
    const order = await storedOrder(hub.store);
    await hub.store.transition(order.id, { to: 'awaiting-payment', actor: { kind: 'system', id: 't' } });
    const out = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    helper.getNode('u')!.receive({ payload: order });
    assert.equal(((await out).payload as { status: string }).status, 'awaiting-payment');
    assert.equal((await hub.store.getOrder(order.id))?.timeline.length, 2, 'nothing written twice');
  });

  it('hands an illegal transition to a Catch node with its typed error, and changes nothing', async () => {
    await helper.load(
      [orderUpdate, require('@node-red/nodes/core/common/25-catch.js')],
      [
        { id: 'tab', type: 'tab' },
        { id: 'u', z: 'tab', type: 'wasl-order-update', status: 'delivered', wires: [['out']] },
        { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'out', z: 'tab', type: 'helper' },
        { id: 'caught', z: 'tab', type: 'helper' },
      ],
    );
    const order = await storedOrder(hub.store);
    let passed = false;
    helper.getNode('out')!.on('input', () => (passed = true));
    const caught = new Promise<Record<string, unknown>>((resolve) => helper.getNode('caught')!.on('input', resolve));
    helper.getNode('u')!.receive({ payload: order });
    const msg = await caught;
    const error = msg.error as { code: string; message: string; source: { id: string } };
    assert.equal(error.code, 'illegal-transition');
    assert.match(error.message, /received cannot become delivered/);
    assert.equal(error.source.id, 'u');
    assert.equal(passed, false);
    assert.equal((await hub.store.getOrder(order.id))?.status, 'received');
  });

  it('reports a message without an order to Catch (no-order)', async () => {
    await helper.load(
      [orderUpdate, require('@node-red/nodes/core/common/25-catch.js')],
      [
        { id: 'tab', type: 'tab' },
        { id: 'u', z: 'tab', type: 'wasl-order-update', status: 'paid', wires: [[]] },
        { id: 'c', z: 'tab', type: 'catch', scope: null, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper' },
      ],
    );
    const caught = new Promise<Record<string, unknown>>((resolve) => helper.getNode('caught')!.on('input', resolve));
    helper.getNode('u')!.receive({ payload: 'no order here' });
    assert.equal(((await caught).error as { code: string }).code, 'no-order');
  });
});
