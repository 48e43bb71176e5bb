/**
 * Payments and postal delivery through the hub, against the sandbox's real simulators (each on a
 * free port; the connectors are the providers' own, pointed there): invoices and payment intents,
 * signed callbacks (valid, forged, stale, replayed, twice, late, for an unknown order), polling
 * when no callback comes, the payment deadline, receipts, refunds (domestic in full,
 * international less the provider's fee) and shipments delivered or returned.
 */
import assert from 'node:assert/strict';
import type { Connector } from '../../connectors/connector';
import { loadProvider } from '../../connectors/provider-files';
import { RestConnector } from '../../connectors/rest/connector';
import type { Order, Receipt } from '../../contracts/types';
import { signCallback } from '../../hub/callbacks/signature';
import { ordersIn } from '../../hub/store/order-records';
import type { ChannelKey } from '../../hub/config';
import { startEpay, startIntlPay, startPost, type EpaySimulator, type IntlPaySimulator, type PostSimulator } from '../../sandbox/simulators';
import { providerCallbackConfig } from '../../sandbox/simulators/callbacks';
import { KEYS, newKey, testHub, validRequest, type TestHub } from '../helpers';

/** A sum as written out, without the bidi marks and no-break spaces ICU puts in it. */
const plain = (s: string) => s.replace(/[\u200e\u200f\u061c]/g, '').replace(/\s/g, ' ').trim();

describe('payments and postal delivery (simulators)', function () {
  this.timeout(30_000);
  let epay: EpaySimulator;
  let intl: IntlPaySimulator;
  let post: PostSimulator;
  let hub: TestHub;
  let clockOffsetMs = 0;

  const connectorTo = (urls: Record<string, string>) => (code: string): Connector => {
    const p = loadProvider(code);
    // A provider that does not answer is given up on after 600 ms here (10 s in the file).
    const definition = { ...p.definition, environments: { sandbox: { endpoint: urls[code]! } }, resilience: { ...p.definition.resilience, timeoutMs: 600 } };
    return new RestConnector({ definition, operations: p.operations, environment: 'sandbox' });
  };

  before(async () => {
    const fast = { port: 0, callbackRetryDelaysMs: [50, 100] };
    [epay, intl, post] = await Promise.all([startEpay({ ...fast, payDelayMs: 30 }), startIntlPay({ ...fast, payDelayMs: 30 }), startPost({ ...fast, postDelayMs: 30 })]);
  });
  after(async () => {
    await Promise.all([epay?.close(), intl?.close(), post?.close()]);
  });
  beforeEach(async () => {
    clockOffsetMs = 0;
    for (const s of [epay, intl, post]) s.reset();
    hub = await testHub({}, undefined, {
      connectorFor: connectorTo({ 'sy-epay': epay.url, 'intl-pay': intl.url, 'sy-post': post.url }),
      clock: () => new Date(Date.now() + clockOffsetMs),
      watchEveryMs: 0,
    });
    hub.url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await Promise.all([epay.idle(), intl.idle(), post.idle()]);
    await hub.close();
  });

  const auth = (k: ChannelKey = KEYS.centre) => ({ authorization: `Bearer ${k.key}` });
  const submit = async (overrides: Record<string, unknown> = {}, key: ChannelKey = KEYS.centre): Promise<Order> => {
    const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(key), 'idempotency-key': newKey() }, payload: validRequest(overrides) });
    assert.equal(res.statusCode, 202, res.body);
    return res.json<Order>();
  };
  const order = async (id: string) => (await hub.store.getOrder(id))!;
  const until = async (what: string, ok: () => Promise<boolean>, ms = 5_000) => {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const statusIs = (id: string, status: string) => until(`${id} ${status}`, async () => (await order(id)).status === status);
  const steps = async (id: string) => (await order(id)).timeline.map((t) => t.event);
  const expat = () => ({ centre: undefined, delivery: { method: 'international-post', country: 'SE', city: 'Göteborg', address: 'Storgatan 1' } });

  /** A callback as the e-payment company would sign it. */
  const epayCallback = (body: Record<string, unknown>, nowS?: number) => {
    const raw = JSON.stringify(body);
    const cfg = providerCallbackConfig('sy-epay');
    return { raw, headers: { 'content-type': 'application/json', ...signCallback(cfg.scheme, cfg.secret, raw, nowS) } };
  };
  const postCallback = (raw: string, headers: Record<string, string>, provider = 'sy-epay') => hub.app.inject({ method: 'POST', url: `/v1/callbacks/${provider}`, headers, payload: raw });

  it('domestic: an invoice in pounds, the signed callback marks it paid once, and a numbered bilingual receipt', async () => {
    const o = await submit();
    const waiting = await hub.fulfilments.payments.request(o.id);
    assert.equal(waiting.status, 'awaiting-payment');
    assert.equal(waiting.payment.provider, 'sy-epay');
    assert.equal(waiting.payment.amount, o.fees.total);
    assert.equal(waiting.payment.currency, 'SYP');
    assert.match(waiting.payment.paymentUrl ?? '', /\/epay\/pay\/INV-/);
    assert.ok(Date.parse(waiting.payment.deadline!) > Date.now() + 59 * 60_000, 'deadline an hour away (config)');
    // Asked again (a redelivered event): the same invoice, not a second one.
    await hub.fulfilments.payments.request(o.id);
    assert.equal(epay.requests.filter((r) => r.method === 'POST' && r.orderId === o.id).length, 1);

    await statusIs(o.id, 'paid');
    const paid = await order(o.id);
    assert.equal(paid.payment.status, 'paid');
    assert.ok(paid.payment.transactionId);
    const res = await hub.app.inject({ url: `/v1/orders/${o.id}/receipt`, headers: auth() });
    assert.equal(res.statusCode, 200, res.body);
    const receipt = res.json<Receipt>();
    assert.match(receipt.number, /^R-\d{4}-\d{7}$/);
    assert.equal(receipt.number, paid.payment.receiptNumber);
    assert.equal(receipt.amount, o.fees.total);
    assert.equal(receipt.currency, 'SYP');
    // The sum under its explicit name, in the pound's unit (SYP has no minor digits), and written out in both languages.
    assert.equal(receipt.amountMinor, o.fees.total);
    assert.equal(receipt.minorDigits, 0);
    assert.equal(plain(receipt.display!.en), `SYP ${o.fees.total.toLocaleString('en')}`);
    assert.equal(plain(receipt.display!.ar), `${o.fees.total.toLocaleString('en')} ل.س.`);
    assert.equal(receipt.providerReference, paid.payment.transactionId);
    assert.deepEqual(receipt.title, { ar: 'وصل دفع', en: 'Payment receipt' });
    assert.equal(receipt.service.names.ar.length > 0, true);
    assert.deepEqual(receipt.labels.amount, { ar: 'المبلغ', en: 'Amount' });
    // Recorded just after it was applied.
    await until('the callback recorded', async () => (await hub.store.listCallbacks({ orderId: o.id, limit: 10 })).length > 0);
    const callbacks = await hub.store.listCallbacks({ orderId: o.id, limit: 10 });
    assert.deepEqual(callbacks.map((c) => [c.type, c.outcome]), [['invoice.paid', 'applied']]);
    // Another channel does not see it; an unpaid order has no receipt.
    assert.equal((await hub.app.inject({ url: `/v1/orders/${o.id}/receipt`, headers: auth(KEYS.portal) })).statusCode, 404);
    const unpaid = await submit();
    const none = await hub.app.inject({ url: `/v1/orders/${unpaid.id}/receipt`, headers: auth() });
    assert.equal(none.statusCode, 404);
    assert.equal(none.json<{ code: string }>().code, 'receipt-not-found');
  });

  it('a provider that does not answer the invoice request is asked again with the same idempotency key; never answering, the step fails as a timeout', async () => {
    epay.setBehaviour({ mode: 'timeout', count: 1 });
    const o = await submit();
    // The first attempt hangs and times out; the connector's retry gets the invoice.
    const waiting = await hub.fulfilments.payments.request(o.id);
    assert.equal(waiting.status, 'awaiting-payment');
    const keys = epay.requests.filter((r) => r.method === 'POST' && r.orderId === o.id).map((r) => r.idempotencyKey);
    assert.ok(keys.length >= 2);
    assert.deepEqual([...new Set(keys)], [`${o.id}:payment.invoice`], 'one idempotency key on every attempt');
    await statusIs(o.id, 'paid');

    // Every attempt hangs: the step fails as a timeout and the order is left as it was, for the
    // bus to deliver order.received again later.
    epay.setBehaviour({ mode: 'timeout', count: 10 });
    const p = await submit();
    await assert.rejects(hub.fulfilments.payments.request(p.id), (e: { code?: string }) => e.code === 'timeout');
    assert.equal((await order(p.id)).status, 'received');
    epay.reset();
  });

  it('the same callback twice changes nothing the second time', async () => {
    epay.setBehaviour({ mode: 'twice' });
    const o = await submit();
    await hub.fulfilments.payments.request(o.id);
    await statusIs(o.id, 'paid');
    // This order's two deliveries, answered: each answer follows its record. (Counting every
    // callback of the file passed at once on earlier tests' callbacks, and the record could be read
    // before it was written — the order is paid a write before its callback is recorded.)
    await until('both deliveries', async () => epay.callbacks.filter((c) => c.status === 200 && c.body.merchantReference === o.id).length >= 2);
    const outcomes = (await hub.store.listCallbacks({ orderId: o.id, limit: 10 })).map((c) => c.outcome);
    assert.deepEqual(outcomes, ['applied'], 'recorded once');
    assert.equal((await steps(o.id)).filter((e) => e === 'order.paid').length, 1);
  });

  it('refuses forged, stale and unknown-provider callbacks, answers a replay as a duplicate, and records a payment for an unknown order', async () => {
    // The simulator sends no callback of its own: set before the invoice, or its callback could come first under load.
    epay.setBehaviour({ mode: 'never' });
    const o = await submit();
    await hub.fulfilments.payments.request(o.id);
    const invoiceId = (await order(o.id)).payment.invoiceId!;
    const body = { eventId: 'EV-FORGED-1', type: 'invoice.paid', invoiceId, merchantReference: o.id, amount: o.fees.total, currency: 'SYP', transactionId: 'TX-FORGED', occurredAt: new Date().toISOString() };
    const good = epayCallback(body);
    // Forged: the body changed after signing, or signed with another secret, or no signature.
    for (const [raw, headers] of [
      [good.raw.replace('TX-FORGED', 'TX-OTHER'), good.headers],
      [good.raw, { 'content-type': 'application/json', ...signCallback(providerCallbackConfig('sy-epay').scheme, 'not-the-secret-at-all', good.raw) }],
      [good.raw, { 'content-type': 'application/json' }],
    ] as const) {
      const r = await postCallback(raw, headers);
      assert.equal(r.statusCode, 401, r.body);
      assert.equal(r.json<{ code: string }>().code, 'callback-rejected');
    }
    const stale = epayCallback(body, Math.floor(Date.now() / 1000) - 3600);
    assert.equal((await postCallback(stale.raw, stale.headers)).statusCode, 401);
    assert.equal((await postCallback(good.raw, good.headers, 'no-such-provider')).statusCode, 401);
    // Nothing of that was applied or recorded.
    assert.equal((await order(o.id)).status, 'awaiting-payment');
    assert.equal(await hub.store.getCallback('sy-epay', 'EV-FORGED-1'), undefined);
    assert.ok(hub.logs.lines.some((l) => l.includes('callback rejected') && l.includes('bad-signature')));

    // The genuine one applies; captured and sent again, it is a duplicate.
    const first = await postCallback(good.raw, good.headers);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json<{ outcome: string }>().outcome, 'applied');
    const replay = await postCallback(good.raw, good.headers);
    assert.equal(replay.json<{ outcome: string }>().outcome, 'duplicate');
    assert.equal((await order(o.id)).status, 'paid');

    const stray = epayCallback({ ...body, eventId: 'EV-STRAY', merchantReference: 'ord_01JZZZZZZZZZZZZZZZZZZZZZZZ' });
    const r = await postCallback(stray.raw, stray.headers);
    assert.equal(r.json<{ outcome: string }>().outcome, 'unknown-order');
    assert.equal((await hub.store.getCallback('sy-epay', 'EV-STRAY'))?.outcome, 'unknown-order');
  });

  it('polls the provider when no callback comes, and cancels an order unpaid at its deadline', async () => {
    epay.setBehaviour({ mode: 'never', count: 1 });
    const a = await submit();
    await hub.fulfilments.payments.request(a.id);
    await epay.idle();
    assert.equal((await order(a.id)).status, 'awaiting-payment', 'no callback came');
    const pass = await hub.fulfilments.payments.watch(0);
    assert.equal(pass.paid, 1);
    assert.equal((await order(a.id)).status, 'paid');
    assert.ok((await order(a.id)).payment.receiptNumber);

    // An invoice that stays unpaid (the citizen never pays): cancelled once past its deadline.
    epay.setBehaviour({ mode: 'decline', count: 1 });
    const b = await submit();
    await hub.fulfilments.payments.request(b.id);
    await until('declined', async () => (await steps(b.id)).includes('payment.declined'));
    assert.equal((await order(b.id)).status, 'awaiting-payment', 'a declined card may try again until the deadline');
    assert.equal((await hub.fulfilments.payments.watch(60_000)).cancelled, 0);
    clockOffsetMs = 61 * 60_000;
    const late = await hub.fulfilments.payments.watch(60_000);
    assert.equal(late.cancelled, 1);
    const cancelled = await order(b.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.statusReason?.code, 'payment-deadline');
  });

  it('a watcher pass reaches every waiting order, the oldest (past their deadline) included, page by page', async () => {
    epay.setBehaviour({ mode: 'never' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const o = await submit();
      await hub.fulfilments.payments.request(o.id);
      ids.push(o.id);
    }
    const seen: string[] = [];
    for await (const s of ordersIn(hub.store, 'awaiting-payment', 2)) seen.push(s.id);
    assert.deepEqual(seen, [...ids].reverse(), 'newest first, across three pages');
    epay.reset();
  });

  it('a payment whose callback comes before the order has recorded its invoice (a worker slow, or killed between the two) is asked again, not refunded as late', async () => {
    // Found by the chaos suite: the gateway killed, a backlog, a worker between the provider's answer and the order's step.
    epay.setBehaviour({ mode: 'never' });
    const o = await submit();
    const body = { eventId: 'EV-EARLY-1', type: 'invoice.paid', invoiceId: 'INV-EARLY-1', merchantReference: o.id, amount: o.fees.total, currency: 'SYP', transactionId: 'TX-EARLY-1', occurredAt: new Date().toISOString() };
    // The request is under way (its answer not yet journaled), then answered but not yet recorded on the order.
    await hub.store.journalStart(o.id, 'payment.invoice');
    for (let i = 0; i < 2; i++) {
      const cb = epayCallback(body);
      const early = await postCallback(cb.raw, cb.headers);
      assert.equal(early.statusCode, 503, early.body);
      assert.equal(early.json<{ code: string }>().code, 'callback-early');
      assert.equal(early.headers['retry-after'], '2');
      if (i === 0) await hub.store.journalFinish(o.id, 'payment.invoice', 'succeeded', { invoiceId: 'INV-EARLY-1', paymentUrl: 'https://pay.example/INV-EARLY-1', amount: o.fees.total, currency: 'SYP' });
    }
    assert.deepEqual(await hub.store.listCallbacks({ orderId: o.id, limit: 5 }), [], 'nothing recorded: the provider sends it again');
    assert.equal((await order(o.id)).status, 'received');
    assert.ok(!(await steps(o.id)).some((e) => e.includes('refund')), 'no refund');
    // The worker records the invoice it was given (the journaled answer, nothing asked twice); the callback again applies.
    await hub.fulfilments.payments.request(o.id);
    assert.equal((await order(o.id)).payment.invoiceId, 'INV-EARLY-1');
    const again = epayCallback(body);
    const applied = await postCallback(again.raw, again.headers);
    assert.equal(applied.statusCode, 200, applied.body);
    assert.equal((await order(o.id)).status, 'paid');
    assert.deepEqual((await hub.store.listCallbacks({ orderId: o.id, limit: 5 })).map((c) => c.outcome), ['applied']);
    assert.equal(epay.requests.filter((r) => r.method === 'POST' && r.orderId === o.id).length, 0, 'the provider was not asked for another invoice');
  });

  it('refunds a payment that arrives after the order was cancelled, and records it as late', async () => {
    epay.setBehaviour({ mode: 'late', lateMs: 400, count: 1 });
    const o = await submit();
    await hub.fulfilments.payments.request(o.id);
    await hub.store.transition(o.id, { to: 'cancelled', actor: { kind: 'channel', id: 'centre' } });
    await until('the late callback', async () => (await hub.store.listCallbacks({ orderId: o.id, limit: 5 })).length === 1);
    assert.deepEqual((await hub.store.listCallbacks({ orderId: o.id, limit: 5 })).map((c) => c.outcome), ['late']);
    assert.ok((await steps(o.id)).includes('payment.late-refunded'));
    assert.equal((await order(o.id)).status, 'cancelled');
    const inv = await (await fetch(`${epay.url}/invoices/${(await order(o.id)).payment.invoiceId}`)).json();
    assert.equal((inv as { status: string }).status, 'refunded');
  });

  it('refunds in full an order the ministry rejected after payment', async () => {
    const o = await submit();
    await hub.fulfilments.payments.request(o.id);
    await statusIs(o.id, 'paid');
    const system = { kind: 'system' as const, id: 'test' };
    await hub.store.transition(o.id, { to: 'submitted-to-provider', actor: system });
    await hub.store.transition(o.id, { to: 'rejected', actor: system, reason: { code: 'record-sealed' } });
    const refunded = await hub.fulfilments.payments.refund(o.id, 'record-sealed');
    assert.equal(refunded.status, 'refunded');
    assert.equal(refunded.payment.status, 'refunded');
    assert.equal(refunded.payment.refund?.amount, o.fees.total);
    assert.match(refunded.payment.refund?.reference ?? '', /^RF-/);
    // Asked again (a redelivery): nothing more happens.
    await hub.fulfilments.payments.refund(o.id);
    assert.equal(epay.requests.filter((r) => r.method === 'POST' && /refunds$/.test(r.path) && r.orderId === o.id).length, 1);
  });

  it('expatriate: a payment intent in dollars at the configured rate, paid by signed webhook, refunded less the provider\'s fee', async () => {
    const o = await submit(expat(), KEYS.expat);
    assert.equal(o.fees.settlement?.currency, 'USD');
    const waiting = await hub.fulfilments.payments.request(o.id);
    assert.equal(waiting.payment.provider, 'intl-pay');
    assert.equal(waiting.payment.currency, 'USD');
    assert.equal(waiting.payment.amount, o.fees.settlement?.amountMinor);
    await statusIs(o.id, 'paid');
    const receipt = (await hub.app.inject({ url: `/v1/orders/${o.id}/receipt`, headers: auth(KEYS.expat) })).json<Receipt>();
    assert.equal(receipt.currency, 'USD');
    assert.equal(receipt.amount, o.fees.settlement?.amountMinor);
    // Cents, said so, and the dollars written out: 1943 is $19.43, not 1943 dollars.
    const cents = o.fees.settlement!.amountMinor;
    assert.equal(receipt.amountMinor, cents);
    assert.equal(receipt.minorDigits, 2);
    const dollars = (cents / 100).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    assert.deepEqual({ en: plain(receipt.display!.en), ar: plain(receipt.display!.ar) }, { en: `$${dollars}`, ar: `${dollars} US$` });
    assert.equal(receipt.provider.code, 'intl-pay');
    const system = { kind: 'system' as const, id: 'test' };
    await hub.store.transition(o.id, { to: 'submitted-to-provider', actor: system });
    await hub.store.transition(o.id, { to: 'failed', actor: system, reason: { code: 'ministry-unavailable' } });
    // Past the international provider's refund window (180 days), no refund goes to it.
    clockOffsetMs = 181 * 86_400_000;
    await assert.rejects(hub.fulfilments.payments.refund(o.id), (e: { code?: string }) => e.code === 'refund-window-closed');
    assert.equal((await order(o.id)).status, 'failed');
    clockOffsetMs = 0;
    const refunded = await hub.fulfilments.payments.refund(o.id);
    assert.equal(refunded.payment.refund?.amount, Math.floor((o.fees.settlement!.amountMinor * 97) / 100), 'the provider keeps 3%');
  });

  it('reconciliation lists a payment with no order and an order paid twice, and matches the rest', async () => {
    const a = await submit();
    await hub.fulfilments.payments.request(a.id);
    const b = await submit();
    await hub.fulfilments.payments.request(b.id);
    await Promise.all([statusIs(a.id, 'paid'), statusIs(b.id, 'paid')]);
    // The citizen pays B a second time through another invoice, and someone pays for an order
    // that does not exist: both straight at the provider, which calls the hub back.
    const stray = 'ord_01JZZZZZZZZZZZZZZZZZZZZZZZ';
    const paidCallbacks = async (id: string) => (await hub.store.listCallbacks({ orderId: id, limit: 10 })).filter((c) => c.type === 'invoice.paid');
    for (const [ref, key] of [[b.id, 'second-invoice-b'], [stray, 'stray-invoice']]) {
      const res = await fetch(`${epay.url}/invoices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${key}-${Date.now()}` },
        body: JSON.stringify({ merchantReference: ref, amount: b.fees.total, currency: 'SYP', description: 'at the provider', callbackUrl: `${hub.url}/v1/callbacks/sy-epay`, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }),
      });
      assert.equal(res.status, 201, await res.text());
    }
    await until('both callbacks', async () => (await hub.store.listCallbacks({ provider: 'sy-epay', limit: 100 })).some((c) => c.outcome === 'unknown-order') && (await paidCallbacks(b.id)).length === 2);
    assert.deepEqual((await paidCallbacks(b.id)).map((c) => c.outcome), ['applied', 'paid-twice']);
    assert.ok((await steps(b.id)).includes('payment.paid-twice-refunded'), 'the second payment was given back');

    const r = await hub.fulfilments.reconcile(new Date().toISOString().slice(0, 10));
    const mine = r.mismatches.filter((m) => [a.id, b.id, stray].includes(m.orderId));
    assert.deepEqual(mine.map((m) => [m.kind, m.orderId]).sort(), [['order-paid-twice', b.id], ['payment-without-order', stray]].sort());
    assert.ok(r.matched >= 1, 'A matched');
    assert.ok(!r.mismatches.some((m) => m.orderId === a.id));
    assert.equal(r.providers.find((p) => p.provider === 'sy-epay')!.settled >= 4, true);
  });

  it('a payment for the wrong amount (the simulators\' wrong-amount) is flagged, not applied — by callback or poll — and reconciled as an anomaly, not as a lost payment', async () => {
    epay.setBehaviour({ mode: 'wrong-amount', paidAmount: 1, count: 1 });
    const a = await submit();
    await hub.fulfilments.payments.request(a.id);
    await until('the callback', async () => (await hub.store.listCallbacks({ orderId: a.id, limit: 5 })).length === 1);
    assert.deepEqual((await hub.store.listCallbacks({ orderId: a.id, limit: 5 })).map((c) => [c.outcome, c.amount, c.anomaly?.kinds]), [['anomaly', 1, ['amount-mismatch']]]);
    assert.equal((await order(a.id)).status, 'awaiting-payment');
    assert.ok((await steps(a.id)).includes('payment.anomaly'));
    // The watcher asks the provider, which says the same: still not paid, not flagged again.
    await hub.fulfilments.payments.watch(0);
    assert.equal((await order(a.id)).status, 'awaiting-payment');
    assert.equal((await steps(a.id)).filter((e) => e === 'payment.anomaly').length, 1);

    // Abroad: a capture of 100 cents for a bigger intent.
    intl.setBehaviour({ mode: 'wrong-amount', paidAmount: 100, count: 1 });
    const c = await submit(expat(), KEYS.expat);
    await hub.fulfilments.payments.request(c.id);
    await until('the webhook', async () => (await hub.store.listCallbacks({ orderId: c.id, limit: 5 })).length === 1);
    assert.equal((await hub.store.listCallbacks({ orderId: c.id, limit: 5 }))[0]!.outcome, 'anomaly');
    assert.equal((await order(c.id)).status, 'awaiting-payment');

    const r = await hub.fulfilments.reconcile(new Date().toISOString().slice(0, 10));
    const mine = r.mismatches.filter((m) => [a.id, c.id].includes(m.orderId));
    assert.deepEqual(mine.map((m) => [m.kind, m.orderId, m.amount]).sort(), [['amount-mismatch', a.id, 1], ['amount-mismatch', c.id, 100]].sort());
    assert.ok(mine.every((m) => /settled .* that day: refund it or settle it by hand/.test(m.detail)), 'settled by the provider, flagged by the hub');
  });

  it('post: a shipment with a tracking number, delivered by signed callbacks, or returned to sender; polled when silent', async () => {
    const system = { kind: 'system' as const, id: 'test' };
    const completed = async (overrides: Record<string, unknown> = {}, key: ChannelKey = KEYS.centre) => {
      const o = await submit(overrides, key);
      await hub.fulfilments.payments.request(o.id);
      await statusIs(o.id, 'paid');
      await hub.store.transition(o.id, { to: 'submitted-to-provider', actor: system });
      await hub.store.transition(o.id, { to: 'provider-completed', actor: system });
      return o;
    };
    const a = await completed();
    const dispatched = await hub.fulfilments.post.ship(a.id);
    assert.equal(dispatched.status, 'dispatched');
    assert.match(dispatched.shipment?.trackingNumber ?? '', /^RR\d{9}SY$/);
    await statusIs(a.id, 'delivered');
    assert.deepEqual((await steps(a.id)).slice(-3), ['order.dispatched', 'shipment.in-transit', 'order.delivered']);
    assert.equal((await order(a.id)).shipment?.status, 'delivered');

    post.setBehaviour({ mode: 'return', count: 1 });
    const b = await completed();
    await hub.fulfilments.post.ship(b.id);
    await statusIs(b.id, 'returned');
    assert.equal((await order(b.id)).statusReason?.code, 'returned-to-sender');

    post.setBehaviour({ mode: 'never', count: 1 });
    const c = await completed(expat(), KEYS.expat);
    await hub.fulfilments.post.ship(c.id);
    await post.idle();
    assert.equal((await order(c.id)).status, 'dispatched');
    const polled = await hub.fulfilments.post.watch(0);
    assert.equal(polled.moved, 1);
    assert.equal((await order(c.id)).status, 'delivered');
  });
});

describe('payments: production configuration', () => {
  it('refuses to start in production without the secret a provider signs its callbacks with, naming the variable', async () => {
    const saved = process.env.SY_EPAY_CALLBACK_SECRET;
    delete process.env.SY_EPAY_CALLBACK_SECRET;
    try {
      await assert.rejects(testHub({ env: 'production', secret: 'x'.repeat(32) }), /SY_EPAY_CALLBACK_SECRET is required in production/);
    } finally {
      if (saved !== undefined) process.env.SY_EPAY_CALLBACK_SECRET = saved;
    }
  });
});
