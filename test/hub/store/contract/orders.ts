/**
 * The OrderStore role: orders, their timeline through the state machine, idempotency keys and
 * receipts. A step and its outbox event are one write, so these checks read the outbox too.
 */
import assert from 'node:assert/strict';
import { isWaslError } from '../../../../hub/errors';
import { requestHash } from '../../../../hub/intake';
import type { OrderStore, OutboxStore } from '../../../../hub/store';
import { CITIZEN, KEYS, newKey, validRequest } from '../../../helpers';
import { channel, create, newOrder, type BackEnd } from './fixtures';

export function orderStoreContract({ open, close }: BackEnd<OrderStore & OutboxStore>): void {
  let store: OrderStore & OutboxStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('writes an order and reads it back exactly, Arabic included', async () => {
    const order = newOrder();
    await create(store, order);
    const read = await store.getOrder(order.id);
    assert.deepEqual(read, order);
    assert.equal(read?.applicant.fullName.ar, 'هبة نزار القاسم');
  });

  it('answers undefined for an unknown order', async () => {
    assert.equal(await store.getOrder('ord_01ARZ3NDEKTSV4RRFFQ69G5FAV'), undefined);
  });

  it('replays the same idempotency key and body, refuses it with another body', async () => {
    const key = newKey();
    const first = await store.createOrder(newOrder(), { channel: channel.channel, key, requestHash: 'A' });
    const again = await store.createOrder(newOrder(), { channel: channel.channel, key, requestHash: 'A' });
    assert.equal(again.replayed, true);
    assert.equal(again.order.id, first.order.id);
    await assert.rejects(
      store.createOrder(newOrder(), { channel: channel.channel, key, requestHash: 'B' }),
      (err) => isWaslError(err) && err.code === 'idempotency-key-reused',
    );
    // The same key from another channel is another request.
    const other = await store.createOrder(newOrder(), { channel: 'another', key, requestHash: 'B' });
    assert.equal(other.replayed, false);
  });

  it('creates one order when the same key arrives many times at once', async () => {
    const key = newKey();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.createOrder(newOrder(), { channel: channel.channel, key, requestHash: requestHash({ same: 1 }) })),
    );
    assert.equal(new Set(results.map((r) => r.order.id)).size, 1);
    assert.equal(results.filter((r) => !r.replayed).length, 1);
  });

  it('moves an order through the state machine with timeline and outbox in step', async () => {
    const order = await create(store);
    const system = { kind: 'system' as const, id: 'test' };
    await store.transition(order.id, { to: 'awaiting-payment', actor: system });
    await store.transition(order.id, { to: 'paid', actor: { kind: 'provider', id: 'epay' }, patch: { payment: { method: 'e-payment', status: 'paid', reference: 'PAY-1' } } });
    const done = await store.transition(order.id, { to: 'submitted-to-provider', actor: system });
    assert.equal(done.status, 'submitted-to-provider');
    assert.equal(done.payment.reference, 'PAY-1');
    assert.deepEqual(
      done.timeline.map((t) => [t.seq, t.from ?? null, t.status]),
      [
        [1, null, 'received'],
        [2, 'received', 'awaiting-payment'],
        [3, 'awaiting-payment', 'paid'],
        [4, 'paid', 'submitted-to-provider'],
      ],
    );
    const events = (await store.outboxPending(10_000)).filter((r) => r.event.orderId === order.id).map((r) => r.event.type);
    assert.deepEqual(events, ['order.received', 'order.awaiting-payment', 'order.paid', 'order.submitted-to-provider']);
    assert.ok(done.updatedAt >= done.createdAt);
  });

  it('refuses an illegal transition and writes nothing', async () => {
    const order = await create(store);
    const outbox = (await store.outboxPending(10_000)).length;
    await assert.rejects(
      store.transition(order.id, { to: 'delivered', actor: { kind: 'system', id: 't' } }),
      (err) => isWaslError(err) && err.code === 'illegal-transition' && err.extra?.currentStatus === 'received',
    );
    const read = await store.getOrder(order.id);
    assert.equal(read?.status, 'received');
    assert.equal(read?.timeline.length, 1);
    assert.equal((await store.outboxPending(10_000)).length, outbox);
  });

  it('refuses a transition of an unknown order', async () => {
    await assert.rejects(
      store.transition('ord_01ARZ3NDEKTSV4RRFFQ69G5FAV', { to: 'cancelled', actor: { kind: 'system', id: 't' } }),
      (err) => isWaslError(err) && err.code === 'order-not-found',
    );
  });

  it('serialises concurrent transitions of one order: exactly one wins each step', async () => {
    const order = await create(store);
    const actor = { kind: 'system' as const, id: 't' };
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => store.transition(order.id, { to: 'cancelled', actor })));
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    const read = await store.getOrder(order.id);
    assert.equal(read?.timeline.length, 2);
  });

  it('records the reason of a refusal on the order and its step', async () => {
    const order = await create(store);
    const reason = { code: 'person-not-found', message: { ar: 'الشخص غير موجود', en: 'Person not found' } };
    const rejected = await store.transition(order.id, { to: 'rejected', actor: { kind: 'provider', id: 'moi' }, reason });
    assert.deepEqual(rejected.statusReason, reason);
    assert.deepEqual(rejected.timeline[1]?.reason, reason);
  });

  it('lists newest first with filters and cursor paging that neither skips nor repeats', async () => {
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await create(store, newOrder(new Date(t0 + i)))).id);
    const other = newOrder(new Date(t0 + 10), { service: 'no-criminal-record-certificate', fields: { purpose: 'travel', copies: 1 } }, KEYS.backOffice);
    await store.createOrder(other, { channel: KEYS.backOffice.channel, key: newKey(), requestHash: 'h' });
    const mine = { channel: channel.channel, from: new Date(t0), limit: 3 };
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listOrders({ ...mine, cursor });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    const byService = await store.listOrders({ service: 'no-criminal-record-certificate', from: new Date(t0), limit: 10 });
    assert.deepEqual(byService.items.map((o) => o.id), [other.id]);
    await store.transition(ids[2]!, { to: 'cancelled', actor: { kind: 'system', id: 't' } });
    const cancelled = await store.listOrders({ status: 'cancelled', channel: channel.channel, from: new Date(t0), limit: 10 });
    assert.deepEqual(cancelled.items.map((o) => o.id), [ids[2]]);
    assert.equal(cancelled.items[0]?.status, 'cancelled');
  });

  it('filters by creation date as a half-open range', async () => {
    const base = Date.UTC(2031, 0, 1);
    const a = await create(store, newOrder(new Date(base)));
    const b = await create(store, newOrder(new Date(base + 60_000)));
    await create(store, newOrder(new Date(base + 120_000)));
    const page = await store.listOrders({ from: new Date(base), to: new Date(base + 120_000), limit: 10 });
    assert.deepEqual(page.items.map((o) => o.id), [b.id, a.id]);
  });

  it('notes a step without changing the status or writing an outbox event', async () => {
    const order = await create(store);
    const outbox = (await store.outboxPending(10_000)).length;
    const noted = await store.note(order.id, { event: 'bus.replayed', actor: { kind: 'operator', id: 'ops-1' }, reason: { code: 'replay' } });
    assert.equal(noted.status, 'received');
    assert.deepEqual(noted.timeline.map((t) => [t.seq, t.event, t.status]), [
      [1, 'order.received', 'received'],
      [2, 'bus.replayed', 'received'],
    ]);
    assert.equal((await store.outboxPending(10_000)).length, outbox);
    const next = await store.transition(order.id, { to: 'cancelled', actor: { kind: 'system', id: 't' } });
    assert.equal(next.timeline[2]?.seq, 3);
  });

  it('issues one numbered receipt with the transition to paid, and keeps it', async () => {
    const a = await create(store);
    const b = await create(store);
    const provider = { kind: 'provider' as const, id: 'sy-epay' };
    const draft = (orderId: string, ref: string) => ({
      orderId,
      service: { code: 'civil-registry-individual-extract', names: { ar: 'إخراج قيد فردي', en: 'Individual civil-registry extract' } },
      amount: 29000,
      currency: 'SYP',
      provider: { code: 'sy-epay', names: { ar: 'الدفع الإلكتروني', en: 'e-Payment' } },
      providerReference: ref,
      paidAt: '2026-11-28T10:00:00.000Z',
      issuedAt: '2026-11-28T10:00:01.000Z',
      title: { ar: 'وصل دفع', en: 'Payment receipt' },
      labels: { amount: { ar: 'المبلغ', en: 'Amount' } },
    });
    for (const o of [a, b]) await store.transition(o.id, { to: 'awaiting-payment', actor: provider });
    assert.equal(await store.getReceipt(a.id), undefined);
    const paidA = await store.transition(a.id, { to: 'paid', actor: provider, patch: { payment: { ...a.payment, status: 'paid' } }, receipt: draft(a.id, 'TX-A') });
    const paidB = await store.transition(b.id, { to: 'paid', actor: provider, patch: { payment: { ...b.payment, status: 'paid' } }, receipt: draft(b.id, 'TX-B') });
    const ra = await store.getReceipt(a.id);
    const rb = await store.getReceipt(b.id);
    assert.match(ra!.number, /^R-2026-\d{7}$/);
    assert.ok(rb!.number > ra!.number, 'numbered in order of issue');
    assert.equal(paidA.payment.receiptNumber, ra!.number);
    assert.equal(paidB.payment.receiptNumber, rb!.number);
    assert.equal(ra!.providerReference, 'TX-A');
    assert.deepEqual({ ...ra, number: undefined }, { ...draft(a.id, 'TX-A'), number: undefined });
    // A refused transition issues nothing.
    const c = await create(store);
    await assert.rejects(store.transition(c.id, { to: 'paid', actor: provider, receipt: draft(c.id, 'TX-C') }), (e: unknown) => isWaslError(e) && e.code === 'illegal-transition');
    assert.equal(await store.getReceipt(c.id), undefined);
  });

  it('finds the orders of a national number, newest first, whole', async () => {
    const t0 = Date.now();
    const mine = [await create(store, newOrder(new Date(t0))), await create(store, newOrder(new Date(t0 + 1)))];
    const applicant = { ...validRequest().applicant, nationalNumber: '01020304050' };
    const other = await create(store, newOrder(new Date(t0 + 2), { applicant }));
    const found = await store.findOrdersByNationalNumber(CITIZEN.nationalNumber, 10);
    assert.deepEqual(found.map((o) => o.id), [mine[1]!.id, mine[0]!.id]);
    assert.deepEqual(found[0], await store.getOrder(mine[1]!.id), 'with its timeline');
    assert.deepEqual((await store.findOrdersByNationalNumber('01020304050', 10)).map((o) => o.id), [other.id]);
    assert.equal((await store.findOrdersByNationalNumber(CITIZEN.nationalNumber, 1)).length, 1);
    assert.deepEqual(await store.findOrdersByNationalNumber('09999999999', 10), []);
  });
}
