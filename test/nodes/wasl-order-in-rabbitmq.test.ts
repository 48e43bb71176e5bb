/**
 * wasl-order-in on the real broker, in a virtual host of its own: the broker closes every
 * connection while a flow holds a message. The node must come back without a redeploy (one
 * consumer on its queue, not one per reconnect), let the flow finish the message it holds, not
 * start the copy the broker gives back a second time, and go on taking new events; nothing is
 * dead-lettered.
 */
import assert from 'node:assert/strict';
import type { Bus } from '../../hub/bus/bus';
import { RabbitBus } from '../../hub/bus/rabbitmq';
import { newEventId } from '../../hub/ids';
import { setHubContext } from '../../hub/runtime/context';
import { deliveriesInFlight } from '../../hub/runtime/deliveries';
import { SqliteStore } from '../../hub/store/sqlite';
import { Workers } from '../../hub/workers';
import orderIn from '../../nodes/wasl-order-in';
import orderUpdate from '../../nodes/wasl-order-update';
import { createVhost, randomPrefix, requireRabbitmqctl, sleep, testLogger, waitFor, type TestVhost } from '../hub/bus/rabbitmq-helpers';
import { helper, storedOrder } from './wasl-order-helpers';

const SERVICE = 'civil-registry-individual-extract';

describe('wasl-order-in node: reconnect after bus loss (RabbitMQ)', function () {
  this.timeout(40_000);
  let vhost: TestVhost;
  let store: SqliteStore;
  let bus: RabbitBus;
  let workers: Workers;
  let logs: ReturnType<typeof testLogger>['logs'];
  const prefix = randomPrefix();

  before(async function () {
    await requireRabbitmqctl(this);
    vhost = await createVhost();
  });
  beforeEach(async () => {
    store = new SqliteStore({ file: ':memory:' });
    const t = testLogger('info');
    logs = t.logs;
    bus = await RabbitBus.open({ url: vhost.url, store, logger: t.logger, prefix, retryDelaysMs: [100], reconnectDelayMs: { initial: 50, max: 500 } });
    workers = new Workers();
    await workers.start(bus as unknown as Bus);
    setHubContext({ store, workers, env: 'sandbox', providersRoot: '/nonexistent', logger: t.logger });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    await workers?.stop();
    setHubContext(undefined);
    await bus?.close();
    await store?.close();
  });
  after(async () => {
    await vhost?.drop();
  });

  const publish = (orderId: string) => bus.publish([{ eventId: newEventId(), orderId, service: SERVICE, type: 'order.received', payload: {} }]);

  it('finishes the event it held across a broker connection loss once, drops the copy the broker gave back, and goes on with new events', async () => {
    await helper.load(
      [orderIn, orderUpdate],
      [
        { id: 'in', type: 'wasl-order-in', service: SERVICE, types: ['order.received'], wires: [['gate']] },
        { id: 'gate', type: 'helper' },
        { id: 'update', type: 'wasl-order-update', status: 'awaiting-payment', wires: [[]] },
      ],
    );
    const held: Array<Record<string, unknown>> = [];
    helper.getNode('gate')!.on('input', (msg) => void held.push(msg));
    const info = (m: Record<string, unknown>) => m.wasl as { orderId: string; redelivered: boolean };

    const first = await storedOrder(store);
    await publish(first.id);
    await waitFor('the flow holds the event', () => held.length === 1);
    assert.equal(info(held[0]!).redelivered, false);

    // The network cut, seen from the broker's side, while the flow holds the message.
    await vhost.closeConnections();
    await waitFor('the bus reports the loss', () => !bus.health().ok, 5_000, 5);
    await waitFor('reconnected', () => bus.health().ok, 10_000);
    // The broker gives the unacknowledged event back on the new channel; the node does not run it
    // a second time while the flow still holds the first copy (it waits for it).
    await waitFor('the event is back with the consumer', async () => (await vhost.queueCounts(`${prefix}.svc.${SERVICE}`)).unacked === 1, 10_000, 50);
    await sleep(300);
    assert.equal(held.length, 1, 'not started twice');

    // The flow finishes the copy it holds (as a slow ministry call would, after the cut): stored
    // once; the copy the broker gave back is then recognised as done and acknowledged unseen.
    helper.getNode('update')!.receive(held[0]!);
    await waitFor('the order moved', async () => (await store.getOrder(first.id))?.status === 'awaiting-payment');
    await waitFor('acknowledged', async () => {
      const c = await vhost.queueCounts(`${prefix}.svc.${SERVICE}`);
      return c.ready === 0 && c.unacked === 0;
    });
    assert.equal(held.length, 1, 'the flow never saw the redelivered copy');
    assert.equal(deliveriesInFlight('in'), 0);

    // New events flow through the same node, with no redeploy.
    const second = await storedOrder(store);
    await publish(second.id);
    await waitFor('a new event after the reconnect', () => held.length === 2);
    assert.equal(info(held[1]!).orderId, second.id);
    helper.getNode('update')!.receive(held[1]!);
    await waitFor('the second order moved', async () => (await store.getOrder(second.id))?.status === 'awaiting-payment');

    const consumers = await vhost.consumers();
    assert.equal(consumers.get(`${prefix}.svc.${SERVICE}`), 1, 'one consumer, not one per reconnect');
    assert.deepEqual(await store.listDeadLetters({ limit: 10 }), []);
    assert.ok(logs.lines.some((l) => l.includes('rabbitmq reconnected')));
    // The first order went through its transition once: one awaiting-payment entry.
    const timeline = (await store.getOrder(first.id))!.timeline.filter((t) => t.status === 'awaiting-payment');
    assert.equal(timeline.length, 1);
  });
});
