/**
 * Provider callbacks (POST /v1/callbacks/<provider>) take no channel key: the provider's
 * HMAC-SHA256 signature over `<timestamp>.<raw body>` is their only authentication (README "Fees,
 * payment and delivery", hub/callbacks/signature.ts). A forged one could mark an unpaid order
 * paid or a shipment delivered, so for each of the three providers — sy-epay (`t=…,v1=…`),
 * intl-pay (`sha256=…` and a timestamp header), sy-post — this sends a genuine event for a real
 * order in every way it must be refused: unsigned, malformed, signed with another secret or by
 * another provider, signed over a different body, with the timestamp moved, stale or from the
 * future, to the wrong provider or none. Each is refused with 401 and the store — the orders,
 * their timelines, the recorded callbacks, the outbox and the audit trail — is byte for byte as
 * before. The genuine callback is the control: it is accepted and does change the order, and a
 * replay of it changes nothing more.
 *
 * Also: the sandbox secrets published in the provider files open nothing once the variable is set,
 * in production above all.
 */
import assert from 'node:assert/strict';
import type { CallResult, Connector } from '../../connectors/connector';
import type { Order } from '../../contracts/types';
import type { ChannelKey } from '../../hub/config';
import { signCallback, type SignatureScheme } from '../../hub/callbacks/signature';
import { providerCallbackConfig } from '../../sandbox/simulators/callbacks';
import { auth, KEYS, newKey, setProviderCallbackSecrets, testHub, validRequest, type TestHub } from '../helpers';

/** The payment and postal providers as a test double: answers what the desks ask, records nothing. */
function fakeProvider(code: string): Connector {
  let n = 0;
  const result = (output: Record<string, unknown>): CallResult => ({ output, status: 200, attempts: 1, durationMs: 1 });
  return {
    provider: code,
    environment: 'sandbox',
    operations: () => [],
    close: async () => undefined,
    call: async <O>(operation: string, input: unknown) => {
      const body = (input as { body?: Record<string, unknown> }).body ?? {};
      n++;
      if (operation === 'CreateInvoice') return result({ invoiceId: `INV-SEC-${n}`, paymentUrl: `https://pay.example/INV-SEC-${n}`, amount: body.amount, currency: body.currency }) as CallResult<O>;
      if (operation === 'CreatePaymentIntent') return result({ id: `pi_sec_${n}`, checkout_url: `https://intl.example/pi_sec_${n}`, amount_minor: body.amount_minor, currency: body.currency }) as CallResult<O>;
      if (operation === 'CreateShipment') return result({ trackingNumber: `SYPOST-SEC-${n}`, fee: 0 }) as CallResult<O>;
      throw new Error(`${code}: ${operation} is not expected in this test`);
    },
  };
}

interface Signed {
  raw: string;
  headers: Record<string, string>;
}

const now = () => Math.floor(Date.now() / 1000);

describe('security: provider callbacks are authenticated by their signature', function () {
  this.timeout(30_000);
  let hub: TestHub;
  let epayOrder: Order;
  let intlOrder: Order;
  let postOrder: Order;

  const cfg = (code: string) => providerCallbackConfig(code);
  const sign = (code: string, body: string, opts: { secret?: string; nowS?: number; scheme?: SignatureScheme } = {}): Signed => {
    const c = cfg(code);
    return { raw: body, headers: { 'content-type': 'application/json', ...signCallback(opts.scheme ?? c.scheme, opts.secret ?? c.secret, body, opts.nowS ?? now()) } };
  };
  const post = (provider: string, s: Signed) => hub.app.inject({ method: 'POST', url: `/v1/callbacks/${provider}`, headers: s.headers, payload: s.raw });
  const order = async (id: string) => (await hub.store.getOrder(id))!;
  /** Everything a callback could change. */
  const snapshot = async () =>
    JSON.stringify({
      orders: await Promise.all([epayOrder, intlOrder, postOrder].map((o) => order(o.id))),
      callbacks: await Promise.all(['sy-epay', 'intl-pay', 'sy-post'].map((provider) => hub.store.listCallbacks({ provider, limit: 100 }))),
      outbox: (await hub.store.outboxPending(1000)).map((e) => e.seq),
      audit: (await hub.store.readAudit({ limit: 10_000 })).length,
    });

  /** The genuine events, one per provider, for the orders waiting on them. */
  const events = () => ({
    'sy-epay': JSON.stringify({ eventId: `EV-SEC-${newKey()}`, type: 'invoice.paid', invoiceId: epayOrder.payment.invoiceId, merchantReference: epayOrder.id, amount: epayOrder.payment.amount, currency: 'SYP', transactionId: 'TX-SEC-1', occurredAt: new Date().toISOString() }),
    'intl-pay': JSON.stringify({ id: `evt_sec_${newKey()}`, type: 'payment_intent.succeeded', created: now(), data: { object: { id: intlOrder.payment.invoiceId, order_ref: intlOrder.id, amount_minor: intlOrder.payment.amount, currency: intlOrder.payment.currency } } }),
    'sy-post': JSON.stringify({ eventId: `EV-POST-${newKey()}`, status: 'delivered', trackingNumber: postOrder.shipment!.trackingNumber, reference: postOrder.id, at: new Date().toISOString() }),
  });

  before(async () => {
    hub = await testHub({}, undefined, { connectorFor: fakeProvider, watchEveryMs: 0 });
    const submit = async (key: ChannelKey = KEYS.centre, overrides = {}) => {
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(key), 'idempotency-key': newKey() }, payload: validRequest(overrides) });
      assert.equal(res.statusCode, 202, res.body);
      return hub.fulfilments.payments.request(res.json<Order>().id);
    };
    epayOrder = await submit();
    intlOrder = await submit(KEYS.expat, { centre: undefined, delivery: { method: 'international-post', country: 'SE', city: 'Göteborg', address: 'Storgatan 1' } });
    assert.deepEqual([epayOrder.status, epayOrder.payment.provider, intlOrder.status, intlOrder.payment.provider], ['awaiting-payment', 'sy-epay', 'awaiting-payment', 'intl-pay']);
    // An order the post has: paid by a genuine callback, done by the ministry, shipped.
    const paying = await submit();
    const paid = sign('sy-epay', JSON.stringify({ eventId: `EV-SEC-${newKey()}`, type: 'invoice.paid', invoiceId: paying.payment.invoiceId, merchantReference: paying.id, amount: paying.payment.amount, currency: 'SYP', transactionId: 'TX-SEC-0' }));
    assert.equal((await post('sy-epay', paid)).statusCode, 200);
    for (const to of ['submitted-to-provider', 'provider-completed'] as const) await hub.store.transition(paying.id, { to, actor: { kind: 'system', id: 'security-test' } });
    postOrder = await hub.fulfilments.post.ship(paying.id);
    assert.equal(postOrder.status, 'dispatched');
  });
  after(async () => hub?.close());

  for (const provider of ['sy-epay', 'intl-pay', 'sy-post'] as const) {
    it(`${provider}: every forgery is refused with 401 and changes nothing; the genuine callback applies once`, async () => {
      const body = events()[provider];
      const genuine = sign(provider, body);
      const c = cfg(provider);
      const sigHeader = c.scheme.header.toLowerCase();
      const other = provider === 'sy-post' ? 'sy-epay' : 'sy-post';
      const tamper = (raw: string) => raw.replace(/"(amount|amount_minor)":(\d+)/, (_m, k: string, v: string) => `"${k}":${Number(v) - 1}`).replace('"delivered"', '"returned"');
      const forgeries: Array<[string, Signed, string?]> = [
        ['no signature', { raw: body, headers: { 'content-type': 'application/json' } }],
        ['an empty signature header', { raw: body, headers: { ...genuine.headers, [sigHeader]: '' } }],
        ['a malformed signature', { raw: body, headers: { ...genuine.headers, [sigHeader]: c.scheme.kind === 't-v1' ? `t=${now()},v1=zz` : 'sha256=not-hex' } }],
        ['a signature of zeros', { raw: body, headers: { ...genuine.headers, [sigHeader]: c.scheme.kind === 't-v1' ? `t=${now()},v1=${'0'.repeat(64)}` : `sha256=${'0'.repeat(64)}` } }],
        ['another secret', sign(provider, body, { secret: 'not-the-providers-secret-0123456789' })],
        ["another provider's secret and scheme", sign(provider, body, { secret: cfg(other).secret, scheme: cfg(other).scheme })],
        ["another provider's secret", sign(provider, body, { secret: cfg(other).secret })],
        ['the right signature over a different body', { raw: tamper(body), headers: genuine.headers }],
        ['the body with a space added', { raw: `${body} `, headers: genuine.headers }],
        ['the timestamp moved, the signature kept', movedTimestamp(genuine, c.scheme)],
        ['a stale timestamp', sign(provider, body, { nowS: now() - c.toleranceSeconds - 5 })],
        ['a timestamp from the future', sign(provider, body, { nowS: now() + c.toleranceSeconds + 5 })],
        ["a genuine callback sent to another provider's address", genuine, other],
        ['a genuine callback sent to a provider that does not exist', genuine, 'no-such-provider'],
      ];
      assert.notEqual(tamper(body), body, 'the fixture: the tampered body differs');
      const before = await snapshot();
      for (const [what, s, to] of forgeries) {
        const res = await post(to ?? provider, s);
        assert.equal(res.statusCode, 401, `${what}: ${res.statusCode} ${res.body}`);
        assert.equal(res.json<{ code: string }>().code, 'callback-rejected', what);
      }
      assert.equal(await snapshot(), before, 'a refused callback changed the store');
      assert.ok(hub.logs.lines.some((l) => l.includes('callback rejected') && l.includes(provider)), 'refusals are logged');

      // The control: the genuine callback applies, and its replay within the window applies nothing more.
      const target = provider === 'sy-epay' ? epayOrder : provider === 'intl-pay' ? intlOrder : postOrder;
      const accepted = await post(provider, genuine);
      assert.equal(accepted.statusCode, 200, accepted.body);
      assert.equal(accepted.json<{ outcome: string }>().outcome, 'applied');
      assert.equal((await order(target.id)).status, provider === 'sy-post' ? 'delivered' : 'paid');
      const afterGenuine = await snapshot();
      assert.notEqual(afterGenuine, before);
      const replay = await post(provider, genuine);
      assert.equal(replay.json<{ outcome: string }>().outcome, 'duplicate');
      const resent = await post(provider, sign(provider, body));
      assert.equal(resent.json<{ outcome: string }>().outcome, 'duplicate', 'the same event, signed again: still once');
      assert.equal(await snapshot(), afterGenuine, 'a replay changed the store');
    });
  }

  it('the sandbox secret of a provider file opens nothing once its variable is set — in the sandbox or in production', async () => {
    const restore = setProviderCallbackSecrets();
    const hubs: TestHub[] = [];
    try {
      for (const env of ['sandbox', 'production'] as const) {
        const h = await testHub({ env, secret: 'p'.repeat(40) }, undefined, { connectorFor: fakeProvider, watchEveryMs: 0 });
        hubs.push(h);
        for (const provider of ['sy-epay', 'intl-pay', 'sy-post']) {
          const c = providerCallbackConfig(provider, {});
          const set = providerCallbackConfig(provider);
          assert.notEqual(set.secret, c.secret, 'the fixture: the variable is set to another secret');
          const body = JSON.stringify(provider === 'intl-pay' ? { id: `evt_${newKey()}`, type: 'payment_intent.succeeded', created: now(), data: { object: { id: 'pi_none', order_ref: 'ord_01JZZZZZZZZZZZZZZZZZZZZZZZ' } } } : provider === 'sy-post' ? { eventId: `EV-${newKey()}`, status: 'delivered', trackingNumber: 'NONE', reference: 'ord_01JZZZZZZZZZZZZZZZZZZZZZZZ' } : { eventId: `EV-${newKey()}`, type: 'invoice.paid', merchantReference: 'ord_01JZZZZZZZZZZZZZZZZZZZZZZZ' });
          const withSandbox = await h.app.inject({ method: 'POST', url: `/v1/callbacks/${provider}`, headers: { 'content-type': 'application/json', ...signCallback(c.scheme, c.secret, body) }, payload: body });
          assert.equal(withSandbox.statusCode, 401, `${env} ${provider}: the published sandbox secret was accepted`);
          const withSet = await h.app.inject({ method: 'POST', url: `/v1/callbacks/${provider}`, headers: { 'content-type': 'application/json', ...signCallback(set.scheme, set.secret, body) }, payload: body });
          assert.equal(withSet.statusCode, 200, `${env} ${provider}: ${withSet.body}`);
        }
      }
    } finally {
      await Promise.all(hubs.map((h) => h.close()));
      restore();
    }
  });
});

/** The genuine headers with the timestamp one second later and the signature unchanged. */
function movedTimestamp(s: Signed, scheme: SignatureScheme): Signed {
  const headers = { ...s.headers };
  if (scheme.kind === 't-v1') {
    const h = scheme.header.toLowerCase();
    headers[h] = headers[h]!.replace(/t=(\d+)/, (_m, t: string) => `t=${Number(t) + 1}`);
  } else {
    const h = scheme.timestampHeader.toLowerCase();
    headers[h] = String(Number(headers[h]) + 1);
  }
  return { raw: s.raw, headers };
}
