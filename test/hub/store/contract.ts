/**
 * The store's contract, run against every back end (sqlite.test.ts, postgres.test.ts): what the
 * rest of wasl may rely on, whichever database is under it.
 */
import assert from 'node:assert/strict';
import type { Order } from '../../../contracts/types';
import { Catalogue } from '../../../hub/catalogue';
import { isWaslError } from '../../../hub/errors';
import { buildOrder, requestHash } from '../../../hub/intake';
import type { Store } from '../../../hub/store';
import { FLOWS_DIR, KEYS, newKey, validRequest } from '../../helpers';

const catalogue = Catalogue.load(FLOWS_DIR);
const channel = KEYS.centre;

export function newOrder(at = new Date(), overrides = {}, by = channel): Order {
  return buildOrder(validRequest(overrides), by, catalogue, 'sandbox', at);
}

async function create(store: Store, order = newOrder()): Promise<Order> {
  const r = await store.createOrder(order, { channel: channel.channel, key: newKey(), requestHash: 'h' });
  return r.order;
}

export function storeContract(open: () => Promise<Store>, close: (s: Store) => Promise<void>): void {
  let store: Store;
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

  it('writes the first timeline step and its outbox event with the order', async () => {
    const before = (await store.outboxPending(10_000)).length;
    const order = await create(store);
    const pending = await store.outboxPending(10_000);
    assert.equal(pending.length, before + 1);
    const event = pending[pending.length - 1]?.event;
    assert.equal(event?.orderId, order.id);
    assert.equal(event?.type, 'order.received');
    assert.equal(event?.seq, 1);
    assert.equal(JSON.stringify(event).includes('03110987654'), false, 'events carry no citizen data');
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

  it('marks outbox events published', async () => {
    const order = await create(store);
    const pending = (await store.outboxPending(10_000)).filter((r) => r.event.orderId === order.id);
    await store.markPublished(pending.map((r) => r.seq));
    const after = (await store.outboxPending(10_000)).filter((r) => r.event.orderId === order.id);
    assert.equal(after.length, 0);
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

  it('keeps dead letters once per event and service, lists them by filter and removes them', async () => {
    const message = { eventId: `evt_${newKey()}`, orderId: 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAV', service: 'svc-a', type: 'order.received', payload: { x: 1 } };
    const history = [{ attempt: 1, at: new Date().toISOString(), error: 'timeout' }];
    await store.recordDeadLetter({ message, reason: 'attempts-exhausted', history });
    await store.recordDeadLetter({ message, reason: 'attempts-exhausted', history: [...history, { attempt: 2, at: new Date().toISOString(), error: 'timeout' }] });
    await store.recordDeadLetter({ message: { ...message, eventId: `evt_${newKey()}`, service: 'svc-b' }, reason: 'poison', history });
    const a = await store.listDeadLetters({ service: 'svc-a', limit: 10 });
    assert.equal(a.length, 1);
    assert.deepEqual(a[0]?.message, message);
    assert.equal(a[0]?.history.length, 2);
    assert.match(a[0]!.id, /^dl_/);
    assert.equal((await store.listDeadLetters({ reason: 'poison', limit: 10 })).filter((d) => d.message.service === 'svc-b').length, 1);
    assert.equal((await store.listDeadLetters({ service: 'svc-a', before: new Date(Date.now() - 60_000), limit: 10 })).length, 0);
    assert.equal((await store.listDeadLetters({ ids: [a[0]!.id], limit: 10 })).length, 1);
    assert.equal(await store.removeDeadLetters([a[0]!.id]), 1);
    assert.equal((await store.listDeadLetters({ service: 'svc-a', limit: 10 })).length, 0);
  });

  it('remembers processed events per consumer', async () => {
    const id = `evt_${newKey()}`;
    assert.equal(await store.isProcessed('svc:*', id), false);
    await store.recordProcessed('svc:*', id);
    await store.recordProcessed('svc:*', id);
    assert.equal(await store.isProcessed('svc:*', id), true);
    assert.equal(await store.isProcessed('other:*', id), false);
  });

  it('grants a lease to one holder at a time until it expires or is released', async () => {
    const name = `relay-${newKey()}`;
    assert.equal(await store.tryLease(name, 'a', 10_000), true);
    assert.equal(await store.tryLease(name, 'b', 10_000), false);
    assert.equal(await store.tryLease(name, 'a', 10_000), true, 'renewal');
    await store.releaseLease(name, 'a');
    assert.equal(await store.tryLease(name, 'b', 50), true);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(await store.tryLease(name, 'a', 10_000), true, 'after expiry');
  });

  it('journals a step: started, attempts counted, outcome kept', async () => {
    const orderId = `ord_${newKey()}`;
    assert.equal(await store.journalGet(orderId, 'moi.issue'), undefined);
    assert.equal((await store.journalStart(orderId, 'moi.issue')).attempts, 1);
    assert.equal((await store.journalStart(orderId, 'moi.issue')).attempts, 2);
    await store.journalFinish(orderId, 'moi.issue', 'succeeded', { certificate: 'CR-77', name: 'نص' });
    const e = await store.journalGet(orderId, 'moi.issue');
    assert.equal(e?.status, 'succeeded');
    assert.deepEqual(e?.outcome, { certificate: 'CR-77', name: 'نص' });
    assert.ok(e?.finishedAt);
    assert.equal(await store.journalGet(orderId, 'other'), undefined);
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

  it('records a provider callback once per provider and event id, and lists them by order and time', async () => {
    const order = await create(store);
    const rec = { provider: 'sy-epay', eventId: 'EV-1', type: 'invoice.paid', orderId: order.id, reference: 'INV-1', amount: 29000, currency: 'SYP', outcome: 'applied', occurredAt: '2026-11-28T10:00:00.000Z', receivedAt: new Date().toISOString() };
    assert.equal(await store.recordCallback(rec), true);
    assert.equal(await store.recordCallback({ ...rec, outcome: 'something else' }), false, 'a repeat is not recorded again');
    assert.equal(await store.recordCallback({ ...rec, provider: 'sy-post' }), true, 'event ids are per provider');
    assert.equal(await store.recordCallback({ provider: 'sy-epay', eventId: 'EV-2', type: 'invoice.paid', outcome: 'unknown-order', receivedAt: new Date().toISOString() }), true);
    assert.deepEqual(await store.getCallback('sy-epay', 'EV-1'), rec);
    assert.equal(await store.getCallback('sy-epay', 'EV-9'), undefined);
    assert.deepEqual((await store.listCallbacks({ orderId: order.id, limit: 10 })).map((c) => [c.provider, c.eventId]), [['sy-epay', 'EV-1'], ['sy-post', 'EV-1']]);
    assert.deepEqual((await store.listCallbacks({ provider: 'sy-epay', limit: 10 })).map((c) => c.eventId), ['EV-1', 'EV-2']);
    assert.deepEqual(await store.listCallbacks({ from: new Date(Date.now() + 60_000), limit: 10 }), []);
  });

  it('keeps a payment anomaly with the callback, and lists callbacks by outcome, newest first', async () => {
    const order = await create(store);
    const t0 = Date.parse('2031-04-02T09:00:00.000Z');
    const anomaly = { kinds: ['amount-mismatch' as const], expected: { invoiceId: 'INV-1', amount: 2500, currency: 'SYP' }, received: { invoiceId: 'INV-1', amount: 1, currency: 'SYP' } };
    const rec = (i: number, outcome: string, extra = {}) => ({ provider: 'sy-epay', eventId: `EV-A${i}`, type: 'invoice.paid', orderId: order.id, reference: `TX-${i}`, amount: 1, currency: 'SYP', outcome, receivedAt: new Date(t0 + i * 1000).toISOString(), ...extra });
    await store.recordCallback(rec(1, 'anomaly', { anomaly }));
    await store.recordCallback(rec(2, 'applied'));
    await store.recordCallback(rec(3, 'anomaly', { anomaly: { ...anomaly, kinds: ['currency-mismatch', 'amount-mismatch'], received: { currency: 'USD' } } }));
    assert.deepEqual((await store.getCallback('sy-epay', 'EV-A1'))?.anomaly, anomaly);
    assert.equal((await store.getCallback('sy-epay', 'EV-A2'))?.anomaly, undefined);
    const newest = await store.listCallbacks({ outcome: 'anomaly', newestFirst: true, limit: 10 });
    assert.deepEqual(newest.map((c) => [c.eventId, c.anomaly?.kinds]), [['EV-A3', ['currency-mismatch', 'amount-mismatch']], ['EV-A1', ['amount-mismatch']]]);
    assert.deepEqual((await store.listCallbacks({ outcome: 'anomaly', newestFirst: true, limit: 1 })).map((c) => c.eventId), ['EV-A3']);
    assert.deepEqual((await store.listCallbacks({ outcome: 'anomaly', from: new Date(t0 + 2000), limit: 10 })).map((c) => c.eventId), ['EV-A3']);
    assert.deepEqual((await store.listCallbacks({ orderId: order.id, limit: 10 })).map((c) => c.eventId), ['EV-A1', 'EV-A2', 'EV-A3'], 'oldest first by default');
  });

  it('lists the operator actions of the audit trail, newest first, page by page, and nothing else', async () => {
    const at = (i: number) => new Date(Date.parse('2031-05-01T08:00:00.000Z') + i * 1000).toISOString();
    await create(store);
    await store.appendAudit([
      { at: at(1), kind: 'operator.action', actor: 'operator:maha', subject: 'editor', data: { action: 'login', address: '10.0.0.5' } },
      { at: at(2), kind: 'provider.call', actor: 'system:connector', subject: 'provider:sy-epay', data: { outcome: 'success' } },
      { at: at(3), kind: 'operator.action', actor: 'operator:(unknown)', subject: 'editor', data: { action: 'login-failed' } },
      { at: at(4), kind: 'operator.action', actor: 'operator:maha', subject: 'editor', data: { action: 'deploy', tabs: ['t1'], deploymentType: 'flows' } },
    ]);
    const all = await store.listOperatorActions({ limit: 10 });
    assert.deepEqual(all.map((r) => [r.actor, r.data.action]), [['operator:maha', 'deploy'], ['operator:(unknown)', 'login-failed'], ['operator:maha', 'login']]);
    assert.ok(all.every((r) => r.kind === 'operator.action'));
    assert.deepEqual(all[0]!.data, { action: 'deploy', tabs: ['t1'], deploymentType: 'flows' });
    assert.ok(all[0]!.seq > all[1]!.seq && typeof all[0]!.seq === 'number');
    const first = await store.listOperatorActions({ limit: 2 });
    const next = await store.listOperatorActions({ beforeSeq: first.at(-1)!.seq, limit: 2 });
    assert.deepEqual([...first, ...next].map((r) => r.seq), all.map((r) => r.seq), 'pages neither skip nor repeat');
    assert.deepEqual(await store.listOperatorActions({ beforeSeq: all.at(-1)!.seq, limit: 2 }), []);
  });

  it('answers ping', async () => {
    await store.ping();
  });

  it('keeps the operational records of provider calls, by provider and time window, and prunes them', async () => {
    const t0 = Date.parse('2031-03-01T10:00:00.000Z');
    const call = (i: number, provider: string, extra = {}) => ({ provider, operation: 'Op', endpoint: 'http://127.0.0.1:8091/x', outcome: 'success' as const, status: 200, attempts: 1, durationMs: 40.6, requestBytes: 100 + i, responseBytes: 200, startedAt: new Date(t0 + i * 60_000).toISOString(), ...extra });
    await store.recordProviderCalls([call(0, 'moi-civil-registry', { orderId: 'ord_a' }), call(1, 'moj-judicial-records', { outcome: 'business-refusal', status: 500, faultCode: 'IDENTITY_MISMATCH' }), call(2, 'moi-civil-registry', { outcome: 'timeout', status: undefined, attempts: 3 })]);
    const moi = await store.listProviderCalls({ provider: 'moi-civil-registry', from: new Date(t0), limit: 10 });
    assert.deepEqual(moi.map((c) => [c.outcome, c.orderId, c.status, c.attempts, c.requestBytes]), [['success', 'ord_a', 200, 1, 100], ['timeout', undefined, undefined, 3, 102]]);
    assert.equal(moi[0]!.finishedAt, new Date(t0 + 41).toISOString());
    const window = await store.listProviderCalls({ from: new Date(t0 + 60_000), to: new Date(t0 + 120_000), limit: 10 });
    assert.deepEqual(window.map((c) => [c.provider, c.faultCode]), [['moj-judicial-records', 'IDENTITY_MISMATCH']]);
    assert.equal(await store.pruneProviderCalls(new Date(t0 + 90_000)), 2);
    assert.deepEqual((await store.listProviderCalls({ from: new Date(t0), limit: 10 })).map((c) => c.requestBytes), [102]);
  });
}
