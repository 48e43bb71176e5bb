/**
 * Issue 19, item 8: "an under-paid callback is applied". A provider's signature proves who sent a
 * callback, not that the fee was paid: a correctly signed `paid` for 1 SYP on a 2,500 SYP invoice
 * marked the order paid. This plays that attacker — and the other ways a genuine report can be for
 * the wrong money: another currency, another invoice, an over-payment, the same through the
 * international provider, and through the poll that asks a provider when no callback came — each
 * signed exactly as the provider signs (hub/callbacks/signature.ts, the provider file's secret).
 *
 * Each is refused: answered 200 `anomaly` (received, so the provider stops sending it), not
 * applied — the order still awaits payment, has no receipt, and is cancelled at its deadline or
 * paid by a later correct payment — recorded with what was expected and received, noted on the
 * timeline in Arabic and English, logged without the citizen, counted, and listed by the day's
 * reconciliation. A report that leaves the amount out is confirmed by the provider's status answer,
 * never taken on its word.
 */
import assert from 'node:assert/strict';
import type { CallResult, Connector } from '../../connectors/connector';
import type { Order } from '../../contracts/types';
import type { ChannelKey } from '../../hub/config';
import { signCallback } from '../../hub/callbacks/signature';
import { HubMetrics } from '../../hub/metrics';
import { auth, CITIZEN, KEYS, newKey, testHub, validRequest, type TestHub } from '../helpers';
import { providerCallbackConfig } from '../../sandbox/simulators/callbacks';

/** The two payment companies as a test double: invoices echo what was asked; statuses are what the test sets. */
function fakeProviders(statuses: Map<string, Record<string, unknown>>) {
  let n = 0;
  const result = (output: Record<string, unknown>): CallResult => ({ output, status: 200, attempts: 1, durationMs: 1 });
  return (code: string): Connector => ({
    provider: code,
    environment: 'sandbox',
    operations: () => [],
    close: async () => undefined,
    call: async <O>(operation: string, input: unknown) => {
      const i = input as { body?: Record<string, unknown>; path?: Record<string, string> };
      const body = i.body ?? {};
      n++;
      if (operation === 'CreateInvoice') return result({ invoiceId: `INV-MIS-${n}`, paymentUrl: `https://pay.example/INV-MIS-${n}`, amount: body.amount, currency: body.currency }) as CallResult<O>;
      if (operation === 'CreatePaymentIntent') return result({ id: `pi_mis_${n}`, checkout_url: `https://intl.example/pi_mis_${n}`, amount_minor: body.amount_minor, currency: body.currency }) as CallResult<O>;
      if (operation === 'GetInvoice') return result(statuses.get(i.path!.invoiceId!) ?? { invoiceId: i.path!.invoiceId, status: 'pending' }) as CallResult<O>;
      if (operation === 'GetPaymentIntent') return result(statuses.get(i.path!.id!) ?? { id: i.path!.id, status: 'requires_payment' }) as CallResult<O>;
      if (operation === 'ListSettlements') return result({ items: [] }) as CallResult<O>;
      if (operation === 'ListPayouts') return result({ data: [] }) as CallResult<O>;
      throw new Error(`${code}: ${operation} is not expected in this test`);
    },
  });
}

const nowS = () => Math.floor(Date.now() / 1000);

describe('security: a genuine payment report for the wrong money is not applied', function () {
  this.timeout(30_000);
  let hub: TestHub;
  let metrics: HubMetrics;
  let clockOffsetMs = 0;
  const statuses = new Map<string, Record<string, unknown>>();

  before(async () => {
    hub = await testHub({}, undefined, { connectorFor: fakeProviders(statuses), watchEveryMs: 0, clock: () => new Date(Date.now() + clockOffsetMs) });
    metrics = new HubMetrics({ store: hub.store, bus: hub.bus, catalogue: hub.catalogue });
  });
  after(async () => {
    metrics?.close();
    await hub?.close();
  });

  /** A 2,500 SYP certificate collected at the counter, its invoice issued: awaiting payment. */
  const awaiting = async (key: ChannelKey = KEYS.centre, overrides: Record<string, unknown> = { service: 'no-criminal-record-certificate', fields: { purpose: 'employment', copies: 1 }, delivery: { method: 'counter' } }): Promise<Order> => {
    const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(key), 'idempotency-key': newKey() }, payload: validRequest(overrides) });
    assert.equal(res.statusCode, 202, res.body);
    const o = await hub.fulfilments.payments.request(res.json<Order>().id);
    assert.equal(o.status, 'awaiting-payment');
    return o;
  };
  /** Signed exactly as the provider signs: its scheme, its secret, over the raw body, timestamp now. */
  const send = async (provider: string, body: Record<string, unknown>) => {
    const raw = JSON.stringify(body);
    const c = providerCallbackConfig(provider);
    const res = await hub.app.inject({ method: 'POST', url: `/v1/callbacks/${provider}`, headers: { 'content-type': 'application/json', ...signCallback(c.scheme, c.secret, raw, nowS()) }, payload: raw });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ outcome: string }>().outcome;
  };
  const epayPaid = (o: Order, over: Record<string, unknown> = {}) => ({ eventId: `EV-MIS-${newKey()}`, type: 'invoice.paid', invoiceId: o.payment.invoiceId, merchantReference: o.id, amount: o.payment.amount, currency: o.payment.currency, transactionId: `TX-${newKey()}`, occurredAt: new Date().toISOString(), ...over });
  const order = async (id: string) => (await hub.store.getOrder(id))!;
  const anomalies = async (id: string) => (await hub.store.listCallbacks({ orderId: id, limit: 50 })).filter((c) => c.outcome === 'anomaly');
  const counted = async (kind: string) => {
    const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`wasl_payment_anomalies_total{provider="sy-epay",kind="${kind}"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  /** Not paid, no receipt, still waiting: the state a refused payment must leave. */
  const assertUnpaid = async (o: Order) => {
    const now = await order(o.id);
    assert.equal(now.status, 'awaiting-payment');
    assert.equal(now.payment.status, 'pending');
    assert.equal(now.payment.receiptNumber, undefined);
    assert.equal(await hub.store.getReceipt(o.id), undefined);
    assert.equal((await hub.app.inject({ url: `/v1/orders/${o.id}/receipt`, headers: auth(KEYS.centre) })).statusCode, 404);
  };

  it('the attack: a correctly signed `paid` for 1 SYP on a 2,500 SYP invoice does not pay the order', async () => {
    const o = await awaiting();
    assert.deepEqual([o.payment.amount, o.payment.currency], [2500, 'SYP'], 'the fixture: a 2,500 SYP invoice');
    const before = await counted('amount-mismatch');

    assert.equal(await send('sy-epay', epayPaid(o, { amount: 1 })), 'anomaly');
    await assertUnpaid(o);

    // Recorded with what was expected and what came.
    const [rec, ...more] = await anomalies(o.id);
    assert.equal(more.length, 0);
    assert.deepEqual(rec!.anomaly, { kinds: ['amount-mismatch'], expected: { invoiceId: o.payment.invoiceId, amount: 2500, currency: 'SYP' }, received: { invoiceId: o.payment.invoiceId, amount: 1, currency: 'SYP' } });
    // On the timeline, in both languages.
    const step = (await order(o.id)).timeline.find((s) => s.event === 'payment.anomaly')!;
    assert.ok(step, 'a timeline step');
    assert.equal(step.reason?.code, 'payment-anomaly');
    assert.match(step.reason?.message?.en ?? '', /does not match the order's invoice \(the amount\)/);
    assert.match(step.reason?.message?.ar ?? '', /لا تطابق فاتورة الطلب \(المبلغ\)/);
    // Logged with the order and the provider, nothing of the citizen; counted.
    const logged = hub.logs.lines.filter((l) => l.includes('payment anomaly') && l.includes(o.id));
    assert.equal(logged.length, 1);
    assert.ok(logged[0]!.includes('sy-epay'));
    for (const secret of [CITIZEN.nationalNumber, CITIZEN.fullNameAr, CITIZEN.phone, CITIZEN.address]) assert.ok(!hub.logs.lines.some((l) => l.includes(secret)), 'no citizen data in the logs');
    assert.equal(await counted('amount-mismatch'), before + 1);

    // The same payment reported again under another event id is recorded, not flagged twice.
    assert.equal(await send('sy-epay', epayPaid(o, { amount: 1, transactionId: rec!.reference })), 'anomaly');
    assert.equal((await order(o.id)).timeline.filter((s) => s.event === 'payment.anomaly').length, 1);
    assert.equal(await counted('amount-mismatch'), before + 1);

    // The order still waits: the right payment, when it comes, pays it.
    assert.equal(await send('sy-epay', epayPaid(o)), 'applied');
    const paid = await order(o.id);
    assert.equal(paid.status, 'paid');
    assert.equal((await hub.store.getReceipt(o.id))?.amount, 2500);
  });

  for (const [what, over, kinds] of [
    ['the right amount in another currency', { currency: 'USD' }, ['currency-mismatch']],
    ["the right amount on another invoice than the order's", { invoiceId: 'INV-SOMEONE-ELSES' }, ['invoice-mismatch']],
    ['an over-payment', { amount: 5000 }, ['amount-mismatch']],
    ['everything wrong at once', { invoiceId: 'INV-X', amount: 2, currency: 'EUR' }, ['invoice-mismatch', 'currency-mismatch', 'amount-mismatch']],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const o = await awaiting();
      assert.equal(await send('sy-epay', epayPaid(o, over)), 'anomaly');
      await assertUnpaid(o);
      const [rec] = await anomalies(o.id);
      assert.deepEqual(rec!.anomaly?.kinds, kinds);
      assert.deepEqual(rec!.anomaly?.expected, { invoiceId: o.payment.invoiceId, amount: 2500, currency: 'SYP' });
      assert.ok((await order(o.id)).timeline.some((s) => s.event === 'payment.anomaly'));
    });
  }

  it('intl-pay: a genuine `payment_intent.succeeded` one cent short does not pay an order from abroad', async () => {
    const o = await awaiting(KEYS.expat, { centre: undefined, delivery: { method: 'international-post', country: 'SE', city: 'Göteborg', address: 'Storgatan 1' } });
    assert.equal(o.payment.provider, 'intl-pay');
    const intent = (over: Record<string, unknown>) => ({ id: `evt_mis_${newKey()}`, type: 'payment_intent.succeeded', created: nowS(), data: { object: { id: o.payment.invoiceId, status: 'succeeded', order_ref: o.id, amount_minor: o.payment.amount, currency: o.payment.currency, ...over } } });
    assert.equal(await send('intl-pay', intent({ amount_minor: o.payment.amount! - 1 })), 'anomaly');
    await assertUnpaid(o);
    assert.deepEqual((await anomalies(o.id))[0]!.anomaly?.received, { invoiceId: o.payment.invoiceId, amount: o.payment.amount! - 1, currency: 'USD' });
    assert.equal(await send('intl-pay', intent({})), 'applied');
    assert.equal((await order(o.id)).status, 'paid');
  });

  it('a `paid` that does not say how much is not taken on its word: the provider\'s status answer decides', async () => {
    // The status says 1 SYP: flagged, not paid.
    const a = await awaiting();
    statuses.set(a.payment.invoiceId!, { invoiceId: a.payment.invoiceId, merchantReference: a.id, amount: 1, currency: 'SYP', status: 'paid', transactionId: 'TX-STATUS-A', paidAt: new Date().toISOString() });
    const { amount: _a, ...noAmount } = epayPaid(a, { transactionId: 'TX-STATUS-A' });
    assert.equal(await send('sy-epay', noAmount), 'unconfirmed');
    await assertUnpaid(a);
    assert.deepEqual((await anomalies(a.id)).map((c) => [c.eventId, c.anomaly?.kinds]), [['poll:TX-STATUS-A', ['amount-mismatch']]]);

    // The status says 2,500 SYP: paid, on the status's word.
    const b = await awaiting();
    statuses.set(b.payment.invoiceId!, { invoiceId: b.payment.invoiceId, merchantReference: b.id, amount: 2500, currency: 'SYP', status: 'paid', transactionId: 'TX-STATUS-B', paidAt: new Date().toISOString() });
    const { currency: _c, ...noCurrency } = epayPaid(b, { transactionId: 'TX-STATUS-B' });
    assert.equal(await send('sy-epay', noCurrency), 'unconfirmed');
    assert.equal((await order(b.id)).status, 'paid');
    assert.deepEqual((await hub.store.listCallbacks({ orderId: b.id, limit: 10 })).map((c) => [c.type, c.outcome]).sort(), [['invoice.paid', 'unconfirmed'], ['poll.paid', 'applied']]);

    // The provider does not (yet) say it is paid: nothing happens.
    const c = await awaiting();
    const { amount: _b, ...silent } = epayPaid(c);
    assert.equal(await send('sy-epay', silent), 'unconfirmed');
    await assertUnpaid(c);
    assert.deepEqual(await anomalies(c.id), []);
  });

  it('the poll applies the same check: a status answer for the wrong money does not pay the order, which is cancelled at its deadline', async () => {
    const o = await awaiting();
    statuses.set(o.payment.invoiceId!, { invoiceId: o.payment.invoiceId, merchantReference: o.id, amount: 1, currency: 'SYP', status: 'paid', transactionId: 'TX-POLL-1', paidAt: new Date().toISOString() });
    const pass = await hub.fulfilments.payments.watch(0);
    assert.ok(pass.polled >= 1);
    await assertUnpaid(o);
    assert.deepEqual((await anomalies(o.id)).map((c) => [c.eventId, c.type, c.amount, c.anomaly?.kinds]), [['poll:TX-POLL-1', 'poll.paid', 1, ['amount-mismatch']]]);
    // Asked again, the same answer: flagged once.
    await hub.fulfilments.payments.watch(0);
    assert.equal((await order(o.id)).timeline.filter((s) => s.event === 'payment.anomaly').length, 1);
    // A status answer that does not state the amount is no proof of payment either.
    const silent = await awaiting();
    statuses.set(silent.payment.invoiceId!, { invoiceId: silent.payment.invoiceId, merchantReference: silent.id, currency: 'SYP', status: 'paid', transactionId: 'TX-POLL-2' });
    await hub.fulfilments.payments.watch(0);
    await assertUnpaid(silent);
    assert.deepEqual((await anomalies(silent.id))[0]?.anomaly?.received, { invoiceId: silent.payment.invoiceId, currency: 'SYP' });
    // Past the deadline the fee is still unpaid: cancelled as any unpaid order.
    clockOffsetMs = 61 * 60_000;
    try {
      await hub.fulfilments.payments.watch(0);
    } finally {
      clockOffsetMs = 0;
    }
    for (const id of [o.id, silent.id]) {
      const cancelled = await order(id);
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.statusReason?.code, 'payment-deadline');
      assert.equal(cancelled.payment.receiptNumber, undefined);
    }
  });

  it("reconciliation lists the day's anomalies, once per payment, as mismatches", async () => {
    const o = await awaiting();
    await send('sy-epay', epayPaid(o, { amount: 1, transactionId: 'TX-REC-1' }));
    await send('sy-epay', epayPaid(o, { amount: 1, transactionId: 'TX-REC-1' }));
    const r = await hub.fulfilments.reconcile(new Date().toISOString().slice(0, 10));
    const mine = r.mismatches.filter((m) => m.orderId === o.id);
    assert.deepEqual(mine.map((m) => [m.kind, m.provider, m.transactionId, m.amount, m.currency]), [['amount-mismatch', 'sy-epay', 'TX-REC-1', 1, 'SYP']]);
    assert.match(mine[0]!.detail, /reported 1 SYP on invoice .*; the order's invoice asks 2500 SYP/);
    assert.deepEqual(mine[0]!.anomaly?.expected, { invoiceId: o.payment.invoiceId, amount: 2500, currency: 'SYP' });
    const kinds = new Set(r.mismatches.map((m) => m.kind));
    for (const k of ['currency-mismatch', 'invoice-mismatch']) assert.ok(kinds.has(k as never), `${k} listed`);
  });
});
