/**
 * wasl-payment against a fake payment desk (the methods the node uses, recording its calls): the
 * payment link on the message and the bus delivery completed once the step is stored, the
 * refund reason, a delivery left to the flow, typed errors reaching a Catch node, and the help
 * in both languages.
 */
import assert from 'node:assert/strict';
import { BusinessRefusal } from '../../connectors/errors';
import type { Order } from '../../contracts/types';
import { WaslError } from '../../hub/errors';
import { RecordedStepFailure } from '../../hub/journal';
import { createLogger } from '../../hub/log';
import type { PaymentDesk } from '../../hub/payments/desk';
import { setHubContext } from '../../hub/runtime/context';
import { completeDelivery } from '../../hub/runtime/deliveries';
import orderIn from '../../nodes/wasl-order-in';
import payment from '../../nodes/wasl-payment';
import { delivery, helper, isPending, nodeTestHub, storedOrder, type NodeTestHub } from './wasl-order-helpers';
import { assertLocales, recordStatus } from './desk-node-helpers';

const SERVICE = 'civil-registry-individual-extract';
const catchNode = require('@node-red/nodes/core/common/25-catch.js') as (red: unknown) => void;

/** The desk's two methods, recording calls; `answer` decides what each returns (or throws). */
class FakePayments {
  readonly calls: Array<{ method: 'request' | 'refund'; orderId: string; reason?: string }> = [];
  answer: (method: 'request' | 'refund', orderId: string) => Promise<Order> = () => Promise.reject(new Error('no answer set'));
  async request(orderId: string): Promise<Order> {
    this.calls.push({ method: 'request', orderId });
    return this.answer('request', orderId);
  }
  async refund(orderId: string, reason?: string): Promise<Order> {
    this.calls.push({ method: 'refund', orderId, ...(reason !== undefined ? { reason } : {}) });
    return this.answer('refund', orderId);
  }
}

const awaitingPayment = (order: Order): Order => ({
  ...order,
  status: 'awaiting-payment',
  payment: { ...order.payment, status: 'pending', provider: 'sy-epay', invoiceId: 'inv-1', paymentUrl: 'https://pay.example/inv-1', amount: 5000, currency: 'SYP', deadline: '2026-11-02T10:00:00.000Z' },
});

describe('wasl-payment node', () => {
  let hub: NodeTestHub;
  let desk: FakePayments;
  const useDesk = (payments: FakePayments | undefined) =>
    setHubContext({ store: hub.store, workers: hub.workers, env: 'sandbox', providersRoot: '/nonexistent', logger: createLogger('silent'), ...(payments ? { payments: payments as unknown as PaymentDesk } : {}) });

  beforeEach(async () => {
    hub = await nodeTestHub();
    desk = new FakePayments();
    useDesk(desk);
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    await hub.close();
  });

  it('requests the payment, puts the link and the order on the message, and completes the event', async () => {
    await helper.load(
      [orderIn, payment],
      [
        { id: 'in', type: 'wasl-order-in', service: SERVICE, types: ['order.received'], wires: [['pay']] },
        { id: 'pay', type: 'wasl-payment', action: 'request', complete: true, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
    );
    const order = await storedOrder(hub.store);
    desk.answer = async () => awaitingPayment(order);
    const statuses = recordStatus('pay');
    const out = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    const handled = hub.bus.deliver(delivery(order.id, SERVICE, 'order.received'));
    const msg = await out;
    await handled; // acknowledged: the node completed the delivery
    assert.deepEqual(desk.calls, [{ method: 'request', orderId: order.id }]);
    assert.equal((msg.payload as Order).status, 'awaiting-payment');
    assert.deepEqual(msg.payment, { url: 'https://pay.example/inv-1', amount: 5000, currency: 'SYP', deadline: '2026-11-02T10:00:00.000Z' });
    assert.match(String(statuses.at(-1)?.text), /awaiting-payment|awaiting payment/);
    assert.equal(statuses.at(-1)?.fill, 'green');
  });

  it('leaves the event to the flow when "completes the event" is cleared', async () => {
    await helper.load(
      [orderIn, payment],
      [
        { id: 'in', type: 'wasl-order-in', service: SERVICE, types: ['order.received'], wires: [['pay']] },
        { id: 'pay', type: 'wasl-payment', action: 'request', complete: false, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
    );
    const order = await storedOrder(hub.store);
    desk.answer = async () => awaitingPayment(order);
    const out = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    const handled = hub.bus.deliver(delivery(order.id, SERVICE, 'order.received'));
    const msg = await out;
    assert.equal(await isPending(handled), true, 'not acknowledged: a later node completes it');
    completeDelivery(msg);
    await handled;
  });

  it('sends an order that needs no payment to the second output, where the flow goes on, without msg.payment', async () => {
    await helper.load([payment], [{ id: 'pay', type: 'wasl-payment', wires: [['first'], ['out']] }, { id: 'first', type: 'helper' }, { id: 'out', type: 'helper' }]);
    const order = await storedOrder(hub.store);
    const free: Order = { ...order, payment: { ...order.payment, status: 'not-required' } };
    desk.answer = async () => free;
    const statuses = recordStatus('pay');
    let first = 0;
    helper.getNode('first')!.on('input', () => void first++);
    const out = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    helper.getNode('pay')!.receive({ payload: order });
    const msg = await out;
    assert.equal((msg.payload as Order).status, 'received');
    assert.equal(msg.payment, undefined);
    assert.equal(first, 0, 'not on the first output');
    assert.match(String(statuses.at(-1)?.text), /not-required|no payment needed/);
    // Cash taken at the counter: the same.
    desk.answer = async () => ({ ...order, payment: { ...order.payment, method: 'cash-at-counter' } });
    const again = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    helper.getNode('pay')!.receive({ payload: order });
    await again;
    // Already paid (a redelivered order.received): the first output, never on to the ministry twice.
    desk.answer = async () => ({ ...order, status: 'paid', payment: { ...order.payment, status: 'paid' } });
    helper.getNode('pay')!.receive({ payload: order });
    await until(() => first === 1);
  });

  it('refunds with the reason the message gives, else the configured one', async () => {
    await helper.load(
      [payment],
      [
        { id: 'r1', type: 'wasl-payment', action: 'refund', reason: 'provider-refused', wires: [['out']] },
        { id: 'r2', type: 'wasl-payment', action: 'refund', reason: '', wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
    );
    const order = await storedOrder(hub.store);
    desk.answer = async () => ({ ...order, status: 'refunded', payment: { ...order.payment, status: 'refunded' } });
    const got: Array<Record<string, unknown>> = [];
    helper.getNode('out')!.on('input', (msg) => void got.push(msg));
    helper.getNode('r1')!.receive({ payload: order, reason: { code: 'payment-declined', message: { ar: 'مرفوض', en: 'declined' } } });
    await until(() => got.length === 1);
    helper.getNode('r1')!.receive({ payload: order });
    await until(() => got.length === 2);
    helper.getNode('r2')!.receive({ payload: order });
    await until(() => got.length === 3);
    assert.deepEqual(desk.calls, [
      { method: 'refund', orderId: order.id, reason: 'payment-declined' },
      { method: 'refund', orderId: order.id, reason: 'provider-refused' },
      { method: 'refund', orderId: order.id, reason: 'service-not-provided' },
    ]);
    assert.equal((got[0]!.payload as Order).status, 'refunded');
  });

  describe('errors, to a Catch node with msg.error.code', () => {
    const flow = (props: Record<string, unknown> = {}) => [
      { id: 'tab', type: 'tab' },
      { id: 'pay', z: 'tab', type: 'wasl-payment', action: 'request', ...props, wires: [['out']] },
      { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'caught', z: 'tab', type: 'helper' },
    ];
    const caughtError = async (msg: Record<string, unknown>) => {
      let passed = false;
      helper.getNode('out')!.on('input', () => (passed = true));
      const caught = new Promise<Record<string, unknown>>((resolve) => helper.getNode('caught')!.on('input', resolve));
      helper.getNode('pay')!.receive(msg);
      const error = (await caught).error as { code: string; message: string; source: { id: string } };
      assert.equal(passed, false, 'nothing sent on');
      assert.equal(error.source.id, 'pay');
      return error;
    };

    it('no-order: a message without an order, and the desk is not called', async () => {
      await helper.load([payment, catchNode], flow());
      assert.equal((await caughtError({ payload: 'no order here' })).code, 'no-order');
      assert.equal(desk.calls.length, 0);
    });

    it('the desk\'s connector error, without the provider\'s own text', async () => {
      await helper.load([payment, catchNode], flow());
      const order = await storedOrder(hub.store);
      desk.answer = async () => {
        throw new BusinessRefusal('invoice-refused', 'E42', 'هبة نزار القاسم: private', { provider: 'sy-epay', operation: 'createInvoice' });
      };
      const statuses = recordStatus('pay');
      const error = await caughtError({ payload: order });
      assert.equal(error.code, 'business-refusal');
      assert.doesNotMatch(JSON.stringify(error), /هبة|private/);
      assert.deepEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: 'business-refusal' });
    });

    it('a failure the journal recorded earlier (its code is a getter) and the store\'s typed errors', async () => {
      await helper.load([payment, catchNode], flow({ action: 'refund' }));
      const order = await storedOrder(hub.store);
      desk.answer = async () => {
        throw new RecordedStepFailure({ code: 'timeout', message: 'total timeout after 5000 ms' });
      };
      assert.equal((await caughtError({ payload: order })).code, 'timeout');
      desk.answer = async () => {
        throw new WaslError('order-not-found');
      };
      assert.equal((await caughtError({ wasl: { orderId: 'ord_missing' } })).code, 'order-not-found');
    });

    it('no-payments: a hub without a payment desk', async () => {
      useDesk(undefined);
      await helper.load([payment, catchNode], flow());
      const order = await storedOrder(hub.store);
      assert.equal((await caughtError({ payload: order })).code, 'no-payments');
    });
  });

  it('makes the bus retry when no Catch node takes the error', async () => {
    await helper.load(
      [orderIn, payment],
      [
        { id: 'in', type: 'wasl-order-in', service: SERVICE, types: ['order.received'], wires: [['pay']] },
        { id: 'pay', type: 'wasl-payment', wires: [[]] },
      ],
    );
    const order = await storedOrder(hub.store);
    desk.answer = async () => {
      throw new RecordedStepFailure({ code: 'circuit-open', message: 'circuit open' });
    };
    await assert.rejects(hub.bus.deliver(delivery(order.id, SERVICE, 'order.received')), (err: { code?: string }) => err.code === 'circuit-open');
  });

  it('has its help and messages in English and in Arabic, right to left', () => {
    assertLocales('wasl-payment');
  });
});

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
