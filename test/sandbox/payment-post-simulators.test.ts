/**
 * The payment and postal simulators (sy-epay, intl-pay, sy-post) on their own, each on port 0
 * with a local receiver for its callbacks: signed callbacks that verify with the provider file's
 * scheme and sandbox secret, idempotency keys, every behaviour mode (control endpoint and
 * setBehaviour), refund rules, settlements and payouts, postal coverage and S10 numbers — and the
 * provider files against the simulators through the real REST connector (output schemas, error
 * mapping).
 */
import assert from 'node:assert/strict';
import { listProviders } from '../../connectors/import/write';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import path from 'node:path';
import { verifyCallback, type SignatureScheme } from '../../hub/callbacks/signature';
import { BusinessRefusal } from '../../connectors/errors';
import { RestConnector } from '../../connectors/rest/connector';
import {
  isS10,
  POST_COVERAGE,
  startEpay,
  startIntlPay,
  startPost,
  startSimulators,
  type CallbackSimulator,
  type EpaySimulator,
  type IntlPaySimulator,
  type PostSimulator,
} from '../../sandbox/simulators';

const ROOT = path.resolve(__dirname, '..', '..');
const FAST = { port: 0, payDelayMs: 20, postDelayMs: 20, callbackRetryDelaysMs: [20, 40] };

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

/** A hub stand-in: records every callback; `failFirst` answers 500 to that many first ones. */
async function receiver(failFirst = 0) {
  const got: Received[] = [];
  let failures = failFirst;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (failures > 0) {
        failures--;
        res.writeHead(500).end();
        return;
      }
      got.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown> });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (p: string) => `http://127.0.0.1:${port}${p}`,
    got,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** The provider file's callback scheme and sandbox secret, read here on their own. */
function providerScheme(code: string): { scheme: SignatureScheme; secret: string } {
  const def = JSON.parse(readFileSync(path.join(ROOT, 'contracts', 'providers', code, 'provider.json'), 'utf8')) as {
    callbacks: { signature: { scheme: 't-v1' | 'sha256-hex'; header: string; timestampHeader?: string }; sandboxSecret: string };
  };
  const s = def.callbacks.signature;
  return { scheme: s.scheme === 't-v1' ? { kind: 't-v1', header: s.header } : { kind: 'sha256-hex', header: s.header, timestampHeader: s.timestampHeader! }, secret: def.callbacks.sandboxSecret };
}

function assertSigned(code: string, r: Received): void {
  const { scheme, secret } = providerScheme(code);
  assert.equal(verifyCallback(scheme, secret, r.raw, r.headers).ok, true, `${code}: the callback verifies with the provider file's scheme and sandbox secret`);
  assert.equal(verifyCallback(scheme, 'another-secret-of-16+', r.raw, r.headers).ok, false);
}

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, headers: res.headers };
}

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();
const today = () => new Date().toISOString().slice(0, 10);

async function closing<S extends CallbackSimulator<any>>(sim: S, fn: (sim: S) => Promise<void>, rx?: { close(): Promise<void> }): Promise<void> {
  try {
    await fn(sim);
  } finally {
    await sim.close();
    await rx?.close();
  }
}

describe('sandbox payment and postal simulators', function () {
  this.timeout(15000);

  describe('sy-epay', () => {
    const invoice = (cb: string, ref = 'ord_01TEST', amount = 15000) => ({ merchantReference: ref, amount, currency: 'SYP', description: 'لا حكم عليه — رسم الخدمة', callbackUrl: cb, expiresAt: inAnHour() });
    const key = { 'x-api-key': 'sandbox-key' };

    it('issues an invoice, pays it by itself and calls back signed; the same Idempotency-Key gives the same invoice', async () => {
      const rx = await receiver();
      await closing(
        await startEpay(FAST),
        async (sim: EpaySimulator) => {
          const a = await call('POST', `${sim.url}/invoices`, invoice(rx.url('/v1/callbacks/sy-epay')), { ...key, 'idempotency-key': 'k-1', 'x-wasl-order-id': 'ord_01TEST' });
          assert.equal(a.status, 201);
          assert.match(a.body.invoiceId, /^INV-[0-9A-F]{12}$/);
          assert.equal(a.body.status, 'pending');
          assert.equal(a.body.paymentUrl, `${new URL(sim.url).origin}/epay/pay/${a.body.invoiceId}`);
          assert.deepEqual([a.body.merchantReference, a.body.amount, a.body.currency], ['ord_01TEST', 15000, 'SYP']);
          const b = await call('POST', `${sim.url}/invoices`, invoice(rx.url('/v1/callbacks/sy-epay')), { ...key, 'idempotency-key': 'k-1' });
          assert.equal(b.status, 201);
          assert.equal(b.body.invoiceId, a.body.invoiceId, 'the same invoice for the same key');
          assert.equal(b.headers.get('idempotent-replayed'), 'true');
          const other = await call('POST', `${sim.url}/invoices`, invoice(rx.url('/cb'), 'ord_01TEST', 99), { ...key, 'idempotency-key': 'k-1' });
          assert.deepEqual([other.status, other.body.code], [409, 'IDEMPOTENCY_KEY_REUSED']);

          await until('the callback', () => rx.got.length === 1);
          const cb = rx.got[0]!;
          assert.equal(cb.path, '/v1/callbacks/sy-epay');
          assertSigned('sy-epay', cb);
          assert.match(String(cb.headers['x-epay-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
          assert.equal(cb.body.type, 'invoice.paid');
          assert.match(String(cb.body.eventId), /^EV-/);
          assert.deepEqual([cb.body.invoiceId, cb.body.merchantReference, cb.body.amount, cb.body.currency], [a.body.invoiceId, 'ord_01TEST', 15000, 'SYP']);
          const got = await call('GET', `${sim.url}/invoices/${a.body.invoiceId}`, undefined, key);
          assert.equal(got.body.status, 'paid');
          assert.equal(got.body.transactionId, cb.body.transactionId);
          assert.ok(got.body.paidAt);
          await sim.idle();
          assert.equal(rx.got.length, 1, 'one invoice, one callback');
          assert.deepEqual(sim.callbacks.map((c) => [c.status, c.attempt, c.eventId]), [[200, 1, cb.body.eventId]]);
          assert.deepEqual(sim.requests.map((r) => [r.method, r.idempotencyKey, r.orderId, r.outcome, r.repeated]), [
            ['POST', 'k-1', 'ord_01TEST', 'ok', false],
            ['POST', 'k-1', 'ord_01TEST', 'ok', true],
            ['POST', 'k-1', 'ord_01TEST', 'IDEMPOTENCY_KEY_REUSED', false],
            ['GET', undefined, 'ord_01TEST', 'ok', false],
          ]);
          assert.equal(sim.requests[0]!.reference, a.body.invoiceId);

          const page = await call('GET', a.body.paymentUrl);
          assert.equal(page.status, 200);
          assert.match(page.body, new RegExp(a.body.invoiceId));
          assert.match(page.body, /بيئة الاختبار/);
          assert.deepEqual((await call('GET', `${sim.url}/invoices/INV-000000000000`)).body.code, 'INVOICE_NOT_FOUND');
          const bad = await call('POST', `${sim.url}/invoices`, { ...invoice(rx.url('/cb')), amount: 0 });
          assert.deepEqual([bad.status, bad.body.code], [400, 'INVALID_REQUEST']);
          assert.equal((await call('POST', `${sim.url}/invoices`, invoice(rx.url('/cb')), { 'x-api-key': '' })).status, 401);
        },
        rx,
      );
    });

    it('requireAuth: refuses a request without X-Api-Key', async () => {
      await closing(await startEpay({ ...FAST, requireAuth: true }), async (sim) => {
        const r = await call('GET', `${sim.url}/invoices/INV-000000000000`);
        assert.deepEqual([r.status, r.body.code], [401, 'UNAUTHORIZED']);
        assert.equal((await call('GET', `${sim.url}/invoices/INV-000000000000`, undefined, key)).status, 404);
      });
    });

    it('modes through the control endpoint: decline, twice (same eventId), never (paid, no callback), expire, late, timeout; count and reset', async () => {
      const rx = await receiver();
      await closing(
        await startEpay(FAST),
        async (sim) => {
          const control = (b: unknown) => call('POST', `${sim.url}/__sim/behaviour`, b);
          const create = async (ref: string, headers: Record<string, string> = {}, signal?: AbortSignal) => (await call('POST', `${sim.url}/invoices`, invoice(rx.url(`/cb/${ref}`), ref), headers, signal)).body as { invoiceId: string };
          const status = async (id: string) => ((await call('GET', `${sim.url}/invoices/${id}`)).body as { status: string }).status;
          const events = (ref: string) => rx.got.filter((g) => g.body.merchantReference === ref);

          assert.equal((await control({ mode: 'nonsense' })).status, 400);
          assert.deepEqual((await control({ mode: 'decline', count: 1 })).body, { mode: 'decline', remaining: 1 });
          const declined = await create('ord_decline');
          const approved = await create('ord_after');
          await until('decline and paid', () => events('ord_decline').length === 1 && events('ord_after').length === 1);
          assert.equal(events('ord_decline')[0]!.body.type, 'invoice.declined');
          assert.equal(await status(declined.invoiceId), 'declined');
          assert.equal(events('ord_after')[0]!.body.type, 'invoice.paid', 'count 1: the next one is approved again');
          assert.equal(await status(approved.invoiceId), 'paid');

          await control({ mode: 'twice' });
          await create('ord_twice');
          await until('two deliveries', () => events('ord_twice').length === 2);
          const [t1, t2] = events('ord_twice');
          assert.equal(t1!.body.eventId, t2!.body.eventId);
          assert.equal(t1!.raw, t2!.raw);
          assertSigned('sy-epay', t2!);

          await control({ mode: 'never' });
          const never = await create('ord_never');
          await sleep(60);
          await sim.idle();
          assert.equal(await status(never.invoiceId), 'paid', 'paid: the hub has to poll');
          assert.equal(events('ord_never').length, 0);

          await control({ mode: 'expire', count: 1 });
          const expired = await create('ord_expire');
          await until('expired', () => events('ord_expire').length === 1);
          assert.equal(events('ord_expire')[0]!.body.type, 'invoice.expired');
          assert.equal(await status(expired.invoiceId), 'expired');

          await control({ mode: 'late', lateMs: 200 });
          const late = await create('ord_late');
          await sleep(100);
          assert.equal(await status(late.invoiceId), 'paid', 'paid at once');
          assert.equal(events('ord_late').length, 0, 'but called back only later');
          await until('the late callback', () => events('ord_late').length === 1);

          assert.deepEqual((await call('POST', `${sim.url}/__sim/reset`)).body, { mode: 'approve' });
          sim.setBehaviour({ mode: 'timeout', count: 1 });
          await assert.rejects(create('ord_timeout', { 'idempotency-key': 'k-t' }, AbortSignal.timeout(150)), (e: Error) => e.name === 'TimeoutError' || e.name === 'AbortError');
          const retried = await create('ord_timeout', { 'idempotency-key': 'k-t' });
          assert.match(retried.invoiceId, /^INV-/, 'the retry with the same key is answered (nothing was kept)');
          await until('paid after the retry', () => events('ord_timeout').length === 1);
          assert.deepEqual(
            sim.requests.filter((r) => r.orderId === 'ord_timeout').map((r) => r.outcome),
            ['timeout', 'ok'],
          );
        },
        rx,
      );
    });

    it('refunds: 409 when not paid, 422 when too much, 201 in parts until refunded; refund.completed called back', async () => {
      const rx = await receiver();
      await closing(
        await startEpay(FAST),
        async (sim) => {
          sim.setBehaviour({ mode: 'decline', count: 1 });
          const unpaid = (await call('POST', `${sim.url}/invoices`, invoice(rx.url('/cb'), 'ord_r1'))).body.invoiceId as string;
          const paid = (await call('POST', `${sim.url}/invoices`, invoice(rx.url('/cb'), 'ord_r2', 10000))).body.invoiceId as string;
          await until('both settled', () => rx.got.length === 2);
          const refund = (id: string, amount: number, k?: string) => call('POST', `${sim.url}/invoices/${id}/refunds`, { amount, reason: 'الخدمة لم تُقدَّم' }, k ? { 'idempotency-key': k } : {});

          let r = await refund(unpaid, 100);
          assert.deepEqual([r.status, r.body.code], [409, 'NOT_REFUNDABLE']);
          r = await refund('INV-000000000000', 100);
          assert.deepEqual([r.status, r.body.code], [404, 'INVOICE_NOT_FOUND']);
          r = await refund(paid, 10001);
          assert.deepEqual([r.status, r.body.code], [422, 'AMOUNT_EXCEEDS_PAYMENT']);
          r = await refund(paid, 4000, 'rk-1');
          assert.equal(r.status, 201);
          assert.match(r.body.refundId, /^RF-/);
          assert.deepEqual([r.body.invoiceId, r.body.amount, r.body.status], [paid, 4000, 'completed']);
          assert.equal((await refund(paid, 4000, 'rk-1')).body.refundId, r.body.refundId, 'same key, same refund');
          let inv = (await call('GET', `${sim.url}/invoices/${paid}`)).body;
          assert.deepEqual([inv.status, inv.refundedAmount], ['paid', 4000]);
          r = await refund(paid, 6001);
          assert.deepEqual([r.status, r.body.code], [422, 'AMOUNT_EXCEEDS_PAYMENT']);
          assert.equal((await refund(paid, 6000)).status, 201);
          inv = (await call('GET', `${sim.url}/invoices/${paid}`)).body;
          assert.deepEqual([inv.status, inv.refundedAmount], ['refunded', 10000]);
          r = await refund(paid, 1);
          assert.deepEqual([r.status, r.body.code], [409, 'NOT_REFUNDABLE']);

          await until('two refund callbacks', () => rx.got.filter((g) => g.body.type === 'refund.completed').length === 2);
          const refunds = rx.got.filter((g) => g.body.type === 'refund.completed');
          assert.deepEqual(refunds.map((g) => g.body.amount), [4000, 6000]);
          assert.notEqual(refunds[0]!.body.eventId, refunds[1]!.body.eventId);
          refunds.forEach((g) => assertSigned('sy-epay', g));
        },
        rx,
      );
    });

    it('settlements: the invoices paid on a UTC day', async () => {
      const rx = await receiver();
      await closing(
        await startEpay(FAST),
        async (sim) => {
          const ids: string[] = [];
          for (const ref of ['ord_s1', 'ord_s2']) ids.push((await call('POST', `${sim.url}/invoices`, invoice(rx.url('/cb'), ref))).body.invoiceId);
          sim.setBehaviour({ mode: 'decline' });
          await call('POST', `${sim.url}/invoices`, invoice(rx.url('/cb'), 'ord_s3'));
          await until('three callbacks', () => rx.got.length === 3);
          const s = await call('GET', `${sim.url}/settlements?date=${today()}`);
          assert.equal(s.status, 200);
          assert.equal(s.body.date, today());
          assert.deepEqual(s.body.items.map((i: { invoiceId: string }) => i.invoiceId).sort(), [...ids].sort());
          const item = s.body.items[0];
          assert.deepEqual(Object.keys(item).sort(), ['amount', 'currency', 'invoiceId', 'merchantReference', 'settledAt', 'transactionId']);
          assert.deepEqual((await call('GET', `${sim.url}/settlements?date=2001-01-01`)).body.items, []);
          assert.equal((await call('GET', `${sim.url}/settlements?date=2001-02-30`)).status, 400);
        },
        rx,
      );
    });

    it('wrong-amount: paid for another sum (1 pound by default, or paidAmount), which the callback, the status, the settlement and the refund limit all say', async () => {
      const rx = await receiver();
      await closing(
        await startEpay(FAST),
        async (sim) => {
          const control = (b: unknown) => call('POST', `${sim.url}/__sim/behaviour`, b);
          assert.equal((await control({ mode: 'wrong-amount', paidAmount: 0 })).status, 400);
          assert.throws(() => sim.setBehaviour({ mode: 'wrong-amount', paidAmount: 2.5 }), /paidAmount must be a positive integer/);
          assert.deepEqual((await control({ mode: 'wrong-amount', count: 1 })).body, { mode: 'wrong-amount', remaining: 1 });
          sim.setBehaviour({ mode: 'wrong-amount', paidAmount: 20000, count: 1 });
          const over = (await call('POST', `${sim.url}/invoices`, invoice(rx.url('/cb'), 'ord_over', 2500))).body.invoiceId as string;
          await control({ mode: 'wrong-amount', count: 1 });
          const under = (await call('POST', `${sim.url}/invoices`, invoice(rx.url('/cb'), 'ord_under', 2500))).body.invoiceId as string;
          await until('two callbacks', () => rx.got.length === 2);
          const got = (ref: string) => rx.got.find((g) => g.body.merchantReference === ref)!;
          assert.deepEqual([got('ord_under').body.type, got('ord_under').body.amount, got('ord_under').body.invoiceId], ['invoice.paid', 1, under]);
          assert.equal(got('ord_over').body.amount, 20000);
          assertSigned('sy-epay', got('ord_under'));
          const inv = (await call('GET', `${sim.url}/invoices/${under}`)).body;
          assert.deepEqual([inv.status, inv.amount], ['paid', 1]);
          const settled = (await call('GET', `${sim.url}/settlements?date=${today()}`)).body.items as Array<{ invoiceId: string; amount: number }>;
          assert.deepEqual(settled.map((i) => [i.invoiceId, i.amount]).sort(), [[over, 20000], [under, 1]].sort());
          const refund = await call('POST', `${sim.url}/invoices/${under}/refunds`, { amount: 2, reason: 'x' });
          assert.deepEqual([refund.status, refund.body.code], [422, 'AMOUNT_EXCEEDS_PAYMENT']);
          await sim.idle();
        },
        rx,
      );
    });

    it('callbacks are retried after a failure, and an unreachable URL does not break the simulator', async () => {
      const rx = await receiver(1);
      const gone = await receiver();
      const goneUrl = gone.url('/cb');
      await gone.close();
      await closing(
        await startEpay(FAST),
        async (sim) => {
          await call('POST', `${sim.url}/invoices`, invoice(rx.url('/cb'), 'ord_retry'));
          await call('POST', `${sim.url}/invoices`, invoice(goneUrl, 'ord_gone'));
          await until('the retried callback', () => rx.got.length === 1);
          await sim.idle();
          const mine = (ref: string) => sim.callbacks.filter((c) => c.body.merchantReference === ref);
          assert.deepEqual(mine('ord_retry').map((c) => [c.attempt, c.status]), [[1, 500], [2, 200]]);
          assert.deepEqual(mine('ord_gone').map((c) => [c.attempt, c.status]), [[1, 0], [2, 0], [3, 0]]);
          assert.ok(mine('ord_gone').every((c) => c.error === 'ECONNREFUSED'));
          assert.equal((await call('POST', `${sim.url}/invoices`, invoice(goneUrl, 'ord_still'))).status, 201, 'still serving');
        },
        rx,
      );
    });
  });

  describe('intl-pay', () => {
    const intent = (notify: string, ref = 'ord_01EXPAT', amount = 2500) => ({ amount_minor: amount, currency: 'EUR', order_ref: ref, description: 'Civil registry extract', notify_url: notify, customer_country: 'DE' });

    it('creates a payment intent, succeeds by itself and notifies with a sha256-hex signature; idempotent by key', async () => {
      const rx = await receiver();
      await closing(
        await startIntlPay(FAST),
        async (sim: IntlPaySimulator) => {
          const auth = { authorization: 'Bearer sandbox-token' };
          const a = await call('POST', `${sim.url}/payment_intents`, intent(rx.url('/v1/callbacks/intl-pay')), { ...auth, 'idempotency-key': 'k-1' });
          assert.equal(a.status, 201);
          assert.match(a.body.id, /^pi_[0-9a-f]{24}$/);
          assert.deepEqual([a.body.status, a.body.amount_minor, a.body.currency, a.body.order_ref], ['requires_payment', 2500, 'EUR', 'ord_01EXPAT']);
          assert.ok(a.body.checkout_url.endsWith(`/intl/checkout/${a.body.id}`));
          assert.ok(a.body.created_at);
          assert.equal((await call('POST', `${sim.url}/payment_intents`, intent(rx.url('/x')), { 'idempotency-key': 'k-1' })).body.id, a.body.id);
          await until('the webhook', () => rx.got.length === 1);
          const w = rx.got[0]!;
          assertSigned('intl-pay', w);
          assert.match(String(w.headers['intl-pay-signature']), /^sha256=[0-9a-f]{64}$/);
          assert.match(String(w.headers['intl-pay-timestamp']), /^\d+$/);
          assert.match(String(w.body.id), /^evt_/);
          assert.equal(w.body.type, 'payment_intent.succeeded');
          assert.equal(typeof w.body.created, 'number');
          const obj = (w.body.data as { object: Record<string, unknown> }).object;
          assert.deepEqual([obj.id, obj.status, obj.order_ref], [a.body.id, 'succeeded', 'ord_01EXPAT']);
          const got = (await call('GET', `${sim.url}/payment_intents/${a.body.id}`)).body;
          assert.equal(got.status, 'succeeded');
          assert.equal(got.captured_at, obj.captured_at);
          const missing = await call('GET', `${sim.url}/payment_intents/pi_000000000000`);
          assert.deepEqual([missing.status, missing.body.error.code], [404, 'resource_missing']);
          assert.equal((await call('GET', `${sim.url}/payment_intents/${a.body.id}`, undefined, { authorization: 'Bearer ' })).status, 401);
          const bad = await call('POST', `${sim.url}/payment_intents`, { ...intent(rx.url('/x')), customer_country: 'Germany' });
          assert.deepEqual([bad.status, bad.body.error.code, bad.body.error.param], [400, 'parameter_invalid', 'customer_country']);
          assert.equal((await call('GET', a.body.checkout_url)).status, 200);
          assert.deepEqual(sim.requests[0]!.orderId, 'ord_01EXPAT');
        },
        rx,
      );
    });

    it('wrong-amount: a capture of another sum (1 cent by default, or paidAmount), which the webhook, the status and the payout all say', async () => {
      const rx = await receiver();
      await closing(
        await startIntlPay(FAST),
        async (sim) => {
          sim.setBehaviour({ mode: 'wrong-amount', count: 1 });
          const one = (await call('POST', `${sim.url}/payment_intents`, intent(rx.url('/cb'), 'ord_cent', 2500))).body.id as string;
          await call('POST', `${sim.url}/__sim/behaviour`, { mode: 'wrong-amount', paidAmount: 1999, count: 1 });
          const short = (await call('POST', `${sim.url}/payment_intents`, intent(rx.url('/cb'), 'ord_short', 2500))).body.id as string;
          await until('two webhooks', () => rx.got.length === 2);
          const object = (ref: string) => (rx.got.find((g) => (g.body.data as { object: { order_ref: string } }).object.order_ref === ref)!.body.data as { object: Record<string, unknown> }).object;
          assert.deepEqual([object('ord_cent').id, object('ord_cent').amount_minor, object('ord_cent').status], [one, 1, 'succeeded']);
          assert.equal(object('ord_short').amount_minor, 1999);
          assert.equal((await call('GET', `${sim.url}/payment_intents/${short}`)).body.amount_minor, 1999);
          const payouts = (await call('GET', `${sim.url}/payouts?date=${new Date().toISOString().slice(0, 10)}`)).body.data as Array<{ payment_intent: string; amount_minor: number }>;
          assert.deepEqual(payouts.map((p) => [p.payment_intent, p.amount_minor]).sort(), [[one, 1], [short, 1999]].sort());
          await sim.idle();
        },
        rx,
      );
    });

    it('decline, twice, timeout; refunds: not captured, too large, partial then full, 180-day window; payouts by date', async () => {
      const rx = await receiver();
      await closing(
        await startIntlPay(FAST),
        async (sim) => {
          const create = async (ref: string, amount = 2500, signal?: AbortSignal) => (await call('POST', `${sim.url}/payment_intents`, intent(rx.url('/cb'), ref, amount), {}, signal)).body as { id: string };
          const events = (ref: string) => rx.got.filter((g) => ((g.body.data as { object: { order_ref: string } }).object.order_ref === ref));
          const refund = (pi: string, amount: number) => call('POST', `${sim.url}/refunds`, { payment_intent: pi, amount_minor: amount, reason: 'service_not_provided' });

          await call('POST', `${sim.url}/__sim/behaviour`, { mode: 'decline', count: 1 });
          const failed = await create('ord_fail');
          await until('failed', () => events('ord_fail').length === 1);
          assert.equal(events('ord_fail')[0]!.body.type, 'payment_intent.payment_failed');
          assert.equal((await call('GET', `${sim.url}/payment_intents/${failed.id}`)).body.failure_code, 'card_declined');
          let r = await refund(failed.id, 100);
          assert.deepEqual([r.status, r.body.error.code], [409, 'payment_not_captured']);

          sim.setBehaviour({ mode: 'twice', count: 1 });
          const paid = await create('ord_paid', 5000);
          await until('twice', () => events('ord_paid').length === 2);
          assert.equal(events('ord_paid')[0]!.body.id, events('ord_paid')[1]!.body.id);

          r = await refund(paid.id, 5001);
          assert.deepEqual([r.status, r.body.error.code], [422, 'amount_too_large']);
          r = await refund(paid.id, 2000);
          assert.equal(r.status, 201);
          assert.match(r.body.id, /^re_/);
          assert.deepEqual([r.body.payment_intent, r.body.amount_minor, r.body.currency, r.body.status], [paid.id, 2000, 'EUR', 'succeeded']);
          assert.equal((await call('GET', `${sim.url}/payment_intents/${paid.id}`)).body.status, 'partially_refunded');
          r = await refund(paid.id, 3001);
          assert.equal(r.body.error.code, 'amount_too_large');
          assert.equal((await refund(paid.id, 3000)).status, 201);
          assert.equal((await call('GET', `${sim.url}/payment_intents/${paid.id}`)).body.status, 'refunded');
          assert.equal((await refund(paid.id, 1)).body.error.code, 'amount_too_large');
          assert.deepEqual((await refund('pi_000000000000', 1)).body.error.code, 'resource_missing');
          await sim.idle();
          assert.equal(rx.got.filter((g) => g.body.type === 'charge.refunded').length, 4, 'two refunds of a `twice` payment, each notified twice');

          const controlled = await call('POST', `${sim.url}/__sim/behaviour`, { mode: 'approve', count: 1, capturedDaysAgo: 181 });
          assert.equal(controlled.status, 200);
          const old = await create('ord_old');
          await until('old captured', () => events('ord_old').length === 1);
          r = await refund(old.id, 100);
          assert.deepEqual([r.status, r.body.error.code], [409, 'refund_window_closed']);
          const capturedDay = ((await call('GET', `${sim.url}/payment_intents/${old.id}`)).body.captured_at as string).slice(0, 10);
          assert.deepEqual((await call('GET', `${sim.url}/payouts?date=${capturedDay}`)).body.data.map((p: { order_ref: string }) => p.order_ref), ['ord_old']);
          const payouts = (await call('GET', `${sim.url}/payouts?date=${today()}`)).body;
          assert.deepEqual(payouts.data.map((p: { order_ref: string }) => p.order_ref), ['ord_paid']);
          assert.deepEqual(Object.keys(payouts.data[0]).sort(), ['amount_minor', 'currency', 'order_ref', 'payment_intent', 'settled_at']);

          sim.setBehaviour({ mode: 'timeout', count: 1 });
          await assert.rejects(create('ord_hang', 100, AbortSignal.timeout(100)));
          assert.equal(sim.requests.at(-1)!.outcome, 'timeout');
          await sim.idle();
          rx.got.forEach((g) => assertSigned('intl-pay', g));
        },
        rx,
      );
    });
  });

  describe('sy-post', () => {
    const shipment = (cb: string, over: Record<string, unknown> = {}) => ({
      reference: 'ord_01POST',
      service: 'domestic',
      recipient: { name: 'ريم خالد الأحمد', phone: '+963944123456' },
      address: { governorate: 'damascus', city: 'دمشق', line: 'المزة، شارع الجلاء، بناء 12' },
      contents: 'وثيقة لا حكم عليه',
      weightGrams: 120,
      callbackUrl: cb,
      ...over,
    });

    /** The S10 check digit, computed here on its own. */
    const check = (d: string) => {
      const s = [8, 6, 4, 2, 3, 5, 9, 7].reduce((acc, w, i) => acc + w * Number(d[i]), 0);
      const c = 11 - (s % 11);
      return c === 10 ? 0 : c === 11 ? 5 : c;
    };

    it('registers a shipment with an S10 number; in-transit then delivered, called back signed; idempotent by key', async () => {
      const rx = await receiver();
      await closing(
        await startPost(FAST),
        async (sim: PostSimulator) => {
          const a = await call('POST', `${sim.url}/shipments`, shipment(rx.url('/v1/callbacks/sy-post')), { 'x-post-key': 'k', 'idempotency-key': 'k-1' });
          assert.equal(a.status, 201);
          const tn = a.body.trackingNumber as string;
          assert.match(tn, /^RR\d{9}SY$/);
          assert.equal(Number(tn[10]), check(tn.slice(2, 10)), 'S10 check digit');
          assert.ok(isS10(tn));
          assert.ok(!isS10(`${tn.slice(0, 10)}${(Number(tn[10]) + 1) % 10}SY`));
          assert.deepEqual([a.body.status, a.body.currency, typeof a.body.fee], ['created', 'SYP', 'number']);
          assert.equal((await call('POST', `${sim.url}/shipments`, shipment(rx.url('/x')), { 'idempotency-key': 'k-1' })).body.trackingNumber, tn);
          await until('two callbacks', () => rx.got.length === 2);
          assert.deepEqual(rx.got.map((g) => g.body.status), ['in-transit', 'delivered']);
          for (const g of rx.got) {
            assertSigned('sy-post', g);
            assert.deepEqual([g.body.trackingNumber, g.body.reference], [tn, 'ord_01POST']);
            assert.ok(g.body.eventId && g.body.at && g.body.location);
          }
          assert.notEqual(rx.got[0]!.body.eventId, rx.got[1]!.body.eventId);
          const s = (await call('GET', `${sim.url}/shipments/${tn}`)).body;
          assert.equal(s.status, 'delivered');
          assert.deepEqual(s.events.map((e: { status: string }) => e.status), ['created', 'in-transit', 'delivered']);
          const missing = await call('GET', `${sim.url}/shipments/RR000000000SY`);
          assert.deepEqual([missing.status, missing.body.code], [404, 'SHIPMENT_NOT_FOUND']);
          assert.deepEqual(sim.requests.map((r) => [r.idempotencyKey, r.orderId, r.repeated]).slice(0, 2), [['k-1', 'ord_01POST', false], ['k-1', 'ord_01POST', true]]);
        },
        rx,
      );
    });

    it('refuses a domestic governorate outside its coverage (422) and an international address without a country (400)', async () => {
      assert.deepEqual([...POST_COVERAGE], ['damascus', 'latakia', 'rif-dimashq']);
      await closing(await startPost(FAST), async (sim) => {
        const out = await call('POST', `${sim.url}/shipments`, shipment('http://127.0.0.1:9/cb', { address: { governorate: 'aleppo', line: 'x' } }));
        assert.deepEqual([out.status, out.body.code], [422, 'OUT_OF_COVERAGE']);
        const intl = await call('POST', `${sim.url}/shipments`, shipment('http://127.0.0.1:9/cb', { service: 'international', address: { line: 'Hauptstr. 1, Berlin' } }));
        assert.deepEqual([intl.status, intl.body.code], [400, 'INVALID_REQUEST']);
        const abroad = await call('POST', `${sim.url}/shipments`, shipment('http://127.0.0.1:9/cb', { service: 'international', address: { line: 'Hauptstr. 1', city: 'Berlin', country: 'DE' } }));
        assert.equal(abroad.status, 201);
        assert.ok(abroad.body.fee > (await call('POST', `${sim.url}/shipments`, shipment('http://127.0.0.1:9/cb', { reference: 'ord_x' }))).body.fee, 'abroad costs more');
      });
    });

    it('modes: return (in-transit then returned), never (statuses move, no callbacks), twice (each callback twice)', async () => {
      const rx = await receiver();
      await closing(
        await startPost(FAST),
        async (sim) => {
          const create = async (ref: string) => (await call('POST', `${sim.url}/shipments`, shipment(rx.url('/cb'), { reference: ref }))).body.trackingNumber as string;
          const events = (ref: string) => rx.got.filter((g) => g.body.reference === ref).map((g) => g.body);

          assert.deepEqual((await call('POST', `${sim.url}/__sim/behaviour`, { mode: 'return', count: 1 })).body, { mode: 'return', remaining: 1 });
          const returned = await create('ord_ret');
          await until('returned', () => events('ord_ret').length === 2);
          assert.deepEqual(events('ord_ret').map((e) => e.status), ['in-transit', 'returned']);
          assert.equal((await call('GET', `${sim.url}/shipments/${returned}`)).body.status, 'returned');

          sim.setBehaviour({ mode: 'never', count: 1 });
          const silent = await create('ord_never');
          await sim.idle();
          assert.equal((await call('GET', `${sim.url}/shipments/${silent}`)).body.status, 'delivered');
          assert.equal(events('ord_never').length, 0);

          await call('POST', `${sim.url}/__sim/behaviour`, { mode: 'twice' });
          await create('ord_twice');
          await until('four callbacks', () => events('ord_twice').length === 4);
          // Each step's callback twice, under its own event id. The two steps' callbacks may
          // interleave: the post's next step does not wait for the first one's second delivery
          // (a test run on a loaded machine saw delivered arrive between the two in-transit).
          const byId = new Map<string, string[]>();
          for (const e of events('ord_twice')) byId.set(String(e.eventId), [...(byId.get(String(e.eventId)) ?? []), String(e.status)]);
          assert.deepEqual([...byId.values()].map((statuses) => statuses.join(' ')).sort(), ['delivered delivered', 'in-transit in-transit']);

          await call('POST', `${sim.url}/__sim/reset`);
          await create('ord_plain');
          await until('plain', () => events('ord_plain').length === 2);
          await sim.idle();
          assert.equal(events('ord_plain').length, 2);
        },
        rx,
      );
    });
  });

  describe('provider files against the simulators (REST connector)', () => {
    const connectorFor = (code: string, url: string) => {
      const p = loadProvider(code);
      return new RestConnector({ definition: { ...p.definition, environments: { sandbox: { endpoint: url } } }, operations: p.operations, environment: 'sandbox' });
    };

    it('every provider folder holds the sandbox contract as imported, and lists its operations', () => {
      const ops: Record<string, string[]> = {
        'sy-epay': ['CreateInvoice', 'GetInvoice', 'ListSettlements', 'RefundInvoice'],
        'intl-pay': ['CreatePaymentIntent', 'CreateRefund', 'GetPaymentIntent', 'ListPayouts'],
        'sy-post': ['CreateShipment', 'GetShipment'],
      };
      for (const [code, names] of Object.entries(ops)) {
        const p = loadProvider(code);
        assert.deepEqual(Object.keys(p.operations).sort(), names, code);
        const copy = readFileSync(path.join(p.dir, p.definition.contract.file!), 'utf8');
        assert.equal(copy, readFileSync(path.join(ROOT, 'sandbox', 'contracts', `${code}.openapi.json`), 'utf8'), `${code}: re-import sandbox/contracts/${code}.openapi.json`);
        assert.ok(p.definition.callbacks?.sandboxSecret, `${code}: callbacks.sandboxSecret`);
      }
    });

    it('sy-epay: outputs match the contract; refusals map to wasl reasons', async () => {
      const rx = await receiver();
      await closing(
        await startEpay(FAST),
        async (sim) => {
          const c = connectorFor('sy-epay', sim.url);
          const created = await c.call<{ invoiceId: string }>('CreateInvoice', { body: invoice(rx.url('/cb')) }, { orderId: 'ord_01CONN', idempotencyKey: 'ik-1' });
          assert.equal(sim.requests[0]!.idempotencyKey, 'ik-1');
          await until('paid', () => rx.got.length === 1);
          const got = await c.call<{ status: string }>('GetInvoice', { path: { invoiceId: created.output.invoiceId } });
          assert.equal(got.output.status, 'paid');
          await c.call('ListSettlements', { query: { date: today() } });
          await assert.rejects(c.call('GetInvoice', { path: { invoiceId: 'INV-000000000000' } }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'invoice-not-found');
          await assert.rejects(c.call('RefundInvoice', { path: { invoiceId: created.output.invoiceId }, body: { amount: 10 ** 9, reason: 'x' } }, { idempotencyKey: 'ik-2' }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'amount-exceeds-payment');
          const ok = await c.call<{ status: string }>('RefundInvoice', { path: { invoiceId: created.output.invoiceId }, body: { amount: 15000, reason: 'x' } }, { idempotencyKey: 'ik-3' });
          assert.equal(ok.output.status, 'completed');
          await assert.rejects(c.call('RefundInvoice', { path: { invoiceId: created.output.invoiceId }, body: { amount: 1, reason: 'x' } }, { idempotencyKey: 'ik-4' }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'not-refundable');
          await c.close();
        },
        rx,
      );
      function invoice(cb: string) {
        return { merchantReference: 'ord_01CONN', amount: 15000, currency: 'SYP', description: 'رسم', callbackUrl: cb, expiresAt: inAnHour() };
      }
    });

    it('intl-pay and sy-post: outputs match the contract; nested error codes map to wasl reasons', async () => {
      const rx = await receiver();
      const pay = await startIntlPay(FAST);
      const post = await startPost(FAST);
      try {
        const c = connectorFor('intl-pay', pay.url);
        pay.setBehaviour({ mode: 'approve', capturedDaysAgo: 200 });
        const pi = await c.call<{ id: string }>('CreatePaymentIntent', { body: { amount_minor: 1000, currency: 'USD', order_ref: 'ord_01C', description: 'x', notify_url: rx.url('/cb'), customer_country: 'SE' } }, { idempotencyKey: 'ik-1' });
        await until('succeeded', () => rx.got.length === 1);
        assert.equal((await c.call<{ status: string }>('GetPaymentIntent', { path: { id: pi.output.id } })).output.status, 'succeeded');
        await c.call('ListPayouts', { query: { date: today() } });
        await assert.rejects(c.call('GetPaymentIntent', { path: { id: 'pi_000000000000' } }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'payment-not-found');
        await assert.rejects(c.call('CreateRefund', { body: { payment_intent: pi.output.id, amount_minor: 1, reason: 'requested_by_customer' } }, { idempotencyKey: 'ik-2' }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'refund-window-closed');
        pay.reset();
        const fresh = await c.call<{ id: string }>('CreatePaymentIntent', { body: { amount_minor: 1000, currency: 'USD', order_ref: 'ord_01D', description: 'x', notify_url: rx.url('/cb'), customer_country: 'SE' } }, { idempotencyKey: 'ik-3' });
        await until('succeeded', () => rx.got.length === 2);
        await assert.rejects(c.call('CreateRefund', { body: { payment_intent: fresh.output.id, amount_minor: 1001, reason: 'requested_by_customer' } }, { idempotencyKey: 'ik-4' }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'amount-exceeds-payment');
        const re = await c.call<{ status: string }>('CreateRefund', { body: { payment_intent: fresh.output.id, amount_minor: 1000, reason: 'requested_by_customer' } }, { idempotencyKey: 'ik-5' });
        assert.equal(re.output.status, 'succeeded');
        await c.close();

        const p = connectorFor('sy-post', post.url);
        const body = { reference: 'ord_01P', service: 'domestic', recipient: { name: 'هبة' }, address: { governorate: 'latakia', line: 'شارع بغداد' }, contents: 'وثيقة', weightGrams: 50, callbackUrl: rx.url('/post') };
        const s = await p.call<{ trackingNumber: string }>('CreateShipment', { body }, { idempotencyKey: 'ik-1' });
        assert.ok(isS10(s.output.trackingNumber));
        await until('delivered', () => rx.got.filter((g) => g.path === '/post').length === 2);
        assert.equal((await p.call<{ status: string }>('GetShipment', { path: { trackingNumber: s.output.trackingNumber } })).output.status, 'delivered');
        await assert.rejects(p.call('CreateShipment', { body: { ...body, address: { governorate: 'hasakah', line: 'x' } } }, { idempotencyKey: 'ik-2' }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'out-of-coverage');
        await assert.rejects(p.call('GetShipment', { path: { trackingNumber: 'RR000000000SY' } }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'shipment-not-found');
        await p.close();
      } finally {
        await pay.close();
        await post.close();
        await rx.close();
      }
    });
  });

  it('startSimulators starts all five on the ports of the environment, none with WASL_SIMULATORS=off', async () => {
    assert.equal((await startSimulators({ WASL_SIMULATORS: 'off' })).running.length, 0);
    const sims = await startSimulators({ WASL_SIM_CIVIL_PORT: '0', WASL_SIM_VEHICLE_PORT: '0', WASL_SIM_EPAY_PORT: '0', WASL_SIM_INTLPAY_PORT: '0', WASL_SIM_POST_PORT: '0', WASL_SIM_PAY_DELAY_MS: '10', WASL_SIM_REQUIRE_AUTH: 'on' });
    try {
      // The five curated ones, then one generated from its contract for every other imported provider, on a free port.
      const curated = ['moi-civil-registry', 'mot-vehicle-registry', 'sy-epay', 'intl-pay', 'sy-post'];
      const generated = listProviders(DEFAULT_PROVIDERS_ROOT).filter((c) => !curated.includes(c));
      assert.ok(generated.length >= 5);
      assert.deepEqual(sims.running.map((s) => s.name), [...curated, ...generated]);
      for (const s of sims.running.slice(curated.length)) assert.notEqual(new URL(s.url).port, new URL(loadProvider(s.name).definition.environments.sandbox!.endpoint).port);
      const epay = sims.running[2]!;
      assert.match(epay.url, /^http:\/\/127\.0\.0\.1:\d+\/epay\/v1$/);
      assert.equal((await call('GET', `${epay.url}/invoices/INV-000000000000`)).status, 401, 'WASL_SIM_REQUIRE_AUTH=on');
    } finally {
      await sims.close();
    }
  });
});
