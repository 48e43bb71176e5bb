import assert from 'node:assert/strict';
import type { ChannelKey } from '../../../hub/config';
import type { Order } from '../../../contracts/types';
import { auth, KEYS, newKey, testHub, validRequest, type TestHub } from '../../helpers';

describe('gateway: orders', () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await testHub();
  });
  afterEach(() => hub.close());

  const submit = (body: unknown, key = newKey(), channel: ChannelKey = KEYS.centre) =>
    hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(channel), 'idempotency-key': key }, payload: body as object });

  it('accepts an order with 202, its location and links, and reads it back', async () => {
    const res = await submit(validRequest());
    assert.equal(res.statusCode, 202);
    const order = res.json<Order>();
    assert.match(order.id, /^ord_[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(res.headers.location, `/v1/orders/${order.id}`);
    assert.deepEqual(order.links, { self: `/v1/orders/${order.id}`, cancel: `/v1/orders/${order.id}/cancel` });
    assert.equal(order.status, 'received');
    assert.deepEqual(order.service, { code: 'civil-registry-individual-extract', version: 1 });
    assert.deepEqual(order.channel, { id: 'centre-dam-01', kind: 'centre', centre: { code: 'DAM-01', governorate: 'damascus' } });
    assert.deepEqual(order.fees.total, 5000 + 4000);
    assert.deepEqual(order.payment, { method: 'e-payment', status: 'pending' });
    assert.equal(order.timeline.length, 1);
    assert.deepEqual(order.timeline[0]?.actor, { kind: 'channel', id: 'centre-dam-01' });

    const read = await hub.app.inject({ url: `/v1/orders/${order.id}`, headers: auth(KEYS.centre) });
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), order);
  });

  it('round-trips Arabic names and addresses byte for byte', async () => {
    const body = validRequest();
    body.applicant.fullName.ar = 'عبدُ الرَّحمن آل-شَيخ'; // with harakat and a hyphen
    const res = await submit(body);
    assert.equal(res.statusCode, 202, res.body);
    const read = await hub.app.inject({ url: `/v1/orders/${res.json<Order>().id}`, headers: auth(KEYS.centre) });
    const order = read.json<Order>();
    assert.equal(Buffer.from(order.applicant.fullName.ar).toString('hex'), Buffer.from('عبدُ الرَّحمن آل-شَيخ').toString('hex'));
    assert.equal(order.delivery.method === 'domestic-post' && order.delivery.address, 'المزة فيلات غربية، جادة ٣، بناء ٧');
  });

  it('returns the same order for the same key and body, and 409 for the same key with another body', async () => {
    const key = newKey();
    const first = await submit(validRequest(), key);
    // Same content, keys in another order: the same request.
    const { service, ...rest } = validRequest();
    const again = await submit({ ...rest, service }, key);
    assert.equal(again.statusCode, 202);
    assert.equal(again.headers['idempotency-replayed'], 'true');
    assert.equal(again.json<Order>().id, first.json<Order>().id);
    const other = await submit(validRequest({ fields: { purpose: 'travel', copies: 1 } }), key);
    assert.equal(other.statusCode, 409);
    assert.equal(other.json().code, 'idempotency-key-reused');
    const page = await hub.store.listOrders({ limit: 100 });
    assert.equal(page.items.length, 1);
  });

  it('computes fees by channel and delivery, with international payment for expatriates', async () => {
    const res = await submit(
      validRequest({ centre: undefined, delivery: { method: 'international-post', country: 'SE', city: 'Göteborg', address: 'Storgatan 1' } }),
      newKey(),
      KEYS.expat,
    );
    assert.equal(res.statusCode, 202, res.body);
    const order = res.json<Order>();
    // International mail costs what config/fulfilment.json sets for the country (Sweden: 250,000),
    // not the service's flat fee.
    assert.equal(order.fees.total, 25000 + 250000);
    assert.equal(order.payment.method, 'international-card');
    assert.deepEqual(order.channel, { id: 'expat-portal', kind: 'expat-portal' });
    // Paid abroad in dollars at the configured rate (13,000 SYP/USD on 2026-11-01), rounded up to the cent.
    assert.deepEqual(order.fees.settlement, { currency: 'USD', amountMinor: Math.ceil((275000 * 100) / 13000), rate: 13000, rateDate: '2026-11-01' });
  });

  it('refuses at submission an address the post does not serve, saying why, and takes the covered cities of a partly covered governorate', async () => {
    const post = (delivery: Record<string, string>, key = KEYS.centre) => submit(validRequest({ delivery: { method: 'domestic-post', address: 'شارع بغداد، بناء 4', ...delivery } as never }), newKey(), key);
    const aleppo = await post({ governorate: 'aleppo', city: 'حلب' });
    assert.equal(aleppo.statusCode, 422, aleppo.body);
    const p = aleppo.json<{ code: string; errors: Array<{ pointer: string; detail: string }> }>();
    assert.equal(p.code, 'delivery-not-covered');
    assert.deepEqual(p.errors.map((e) => e.pointer), ['/delivery/governorate']);
    const douma = await post({ governorate: 'rif-dimashq', city: 'دوما' });
    assert.equal(douma.statusCode, 422);
    assert.deepEqual(douma.json<{ errors: Array<{ pointer: string }> }>().errors.map((e) => e.pointer), ['/delivery/city']);
    // Covered cities of Rural Damascus, written with or without diacritics, in Arabic or Latin.
    for (const city of ['جَرَمانا', 'Jaramana', 'قدسيا']) {
      const ok = await post({ governorate: 'rif-dimashq', city });
      assert.equal(ok.statusCode, 202, `${city}: ${ok.body}`);
    }
    const abroad = await submit(validRequest({ centre: undefined, delivery: { method: 'international-post', country: 'BR', city: 'São Paulo', address: 'Rua Augusta 1' } }), newKey(), KEYS.expat);
    assert.equal(abroad.statusCode, 422);
    assert.deepEqual(abroad.json<{ code: string; errors: Array<{ pointer: string }> }>().errors.map((e) => e.pointer), ['/delivery/country']);
    // Nothing was stored for the refusals.
    const list = await hub.app.inject({ url: '/v1/orders?limit=100', headers: auth(KEYS.centre) });
    assert.equal(list.json<{ items: unknown[] }>().items.length, 3);
  });

  it('lists a channel\'s own orders, newest first, with cursor paging and filters', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(validRequest())).json<Order>().id);
    await submit(validRequest({ centre: undefined, delivery: { method: 'electronic' } }), newKey(), KEYS.portal);
    const seen: string[] = [];
    let url = '/v1/orders?limit=2';
    for (let guard = 0; guard < 10; guard++) {
      const res = await hub.app.inject({ url, headers: auth(KEYS.centre) });
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json<{ items: Array<{ id: string; status: string }>; nextCursor?: string }>();
      seen.push(...page.items.map((o) => o.id));
      if (!page.nextCursor) break;
      url = `/v1/orders?limit=2&cursor=${page.nextCursor}`;
    }
    assert.deepEqual(seen, ids.reverse());

    await hub.app.inject({ method: 'POST', url: `/v1/orders/${ids[0]}/cancel`, headers: auth(KEYS.centre) });
    const cancelled = await hub.app.inject({ url: '/v1/orders?status=cancelled', headers: auth(KEYS.centre) });
    assert.deepEqual(cancelled.json().items.map((o: { id: string }) => o.id), [ids[0]]);
    const byDate = await hub.app.inject({ url: `/v1/orders?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, headers: auth(KEYS.centre) });
    assert.deepEqual(byDate.json().items, []);
    const byService = await hub.app.inject({ url: '/v1/orders?service=vehicle-ownership-statement', headers: auth(KEYS.centre) });
    assert.deepEqual(byService.json().items, []);
  });

  it('keeps channels apart: another channel\'s order is not found, and only a readAll channel filters by channel', async () => {
    const id = (await submit(validRequest())).json<Order>().id;
    const stranger = await hub.app.inject({ url: `/v1/orders/${id}`, headers: auth(KEYS.portal) });
    assert.equal(stranger.statusCode, 404);
    const cancel = await hub.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(KEYS.portal) });
    assert.equal(cancel.statusCode, 404);
    const peek = await hub.app.inject({ url: '/v1/orders?channel=centre-dam-01', headers: auth(KEYS.portal) });
    assert.equal(peek.statusCode, 403);
    const office = await hub.app.inject({ url: '/v1/orders?channel=centre-dam-01', headers: auth(KEYS.backOffice) });
    assert.deepEqual(office.json().items.map((o: { id: string }) => o.id), [id]);
    assert.equal((await hub.app.inject({ url: `/v1/orders/${id}`, headers: auth(KEYS.backOffice) })).statusCode, 200);
  });

  it('cancels an order with a reason, then refuses to cancel it again', async () => {
    const id = (await submit(validRequest())).json<Order>().id;
    const res = await hub.app.inject({
      method: 'POST',
      url: `/v1/orders/${id}/cancel`,
      headers: auth(KEYS.centre),
      payload: { reason: { code: 'citizen-request', message: { ar: 'بطلب من المواطن', en: 'At the citizen\'s request' } } },
    });
    assert.equal(res.statusCode, 200, res.body);
    const order = res.json<Order>();
    assert.equal(order.status, 'cancelled');
    assert.equal(order.statusReason?.code, 'citizen-request');
    assert.deepEqual(order.links, { self: `/v1/orders/${id}` });
    assert.deepEqual(order.timeline.map((t) => t.status), ['received', 'cancelled']);
    const again = await hub.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(KEYS.centre) });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'illegal-transition');
    assert.equal(again.json().currentStatus, 'cancelled');
  });

  it('refuses to cancel an order the ministry already has', async () => {
    const id = (await submit(validRequest())).json<Order>().id;
    for (const to of ['awaiting-payment', 'paid', 'submitted-to-provider'] as const) await hub.store.transition(id, { to, actor: { kind: 'system', id: 't' } });
    const res = await hub.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(KEYS.centre) });
    assert.equal(res.statusCode, 409);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(res.json().currentStatus, 'submitted-to-provider');
    assert.equal((await hub.store.getOrder(id))?.timeline.length, 4);
  });

  it('shows each channel the catalogue it may use, bilingual, with fees', async () => {
    const centre = (await hub.app.inject({ url: '/v1/services', headers: auth(KEYS.centre) })).json();
    const offeredTo = (kind: string) => hub.catalogue.all().filter((s) => s.definition.channels.includes(kind as never)).map((s) => s.definition.code).sort();
    const codes = (r: { services: Array<{ code: string }> }) => r.services.map((s) => s.code).sort();
    // Every service offered at centres (its key may order all), and only those.
    assert.deepEqual(codes(centre), offeredTo('centre'));
    assert.ok(codes(centre).length >= 48);
    const extract = centre.services.find((s: { code: string }) => s.code === 'civil-registry-individual-extract');
    assert.deepEqual(extract.names, { ar: 'إخراج قيد فردي', en: 'Individual civil-registry extract' });
    assert.equal(extract.fees.service.default, 5000);
    assert.equal(extract.fields.type, 'object');
    const expat = (await hub.app.inject({ url: '/v1/services', headers: auth(KEYS.expat) })).json();
    // The vehicle statement is not offered to expatriates; the civil-registry extract is.
    assert.deepEqual(codes(expat), offeredTo('expat-portal'));
    assert.ok(codes(expat).includes('civil-registry-individual-extract') && !codes(expat).includes('vehicle-ownership-statement'));
    // A key scoped to two services sees those two.
    const portal = (await hub.app.inject({ url: '/v1/services', headers: auth(KEYS.portal) })).json();
    assert.deepEqual(codes(portal), ['civil-registry-individual-extract', 'vehicle-ownership-statement']);
  });

  it('answers health without a key, and readiness from the store', async () => {
    assert.deepEqual((await hub.app.inject({ url: '/health' })).json(), { status: 'ok' });
    const ready = await hub.app.inject({ url: '/ready' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', checks: { store: 'up', bus: 'up' } });
  });

  it('reports not ready when the store is gone', async () => {
    const original = hub.store.ping.bind(hub.store);
    hub.store.ping = async () => {
      throw new Error('database is locked');
    };
    const res = await hub.app.inject({ url: '/ready' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().code, 'not-ready');
    assert.equal(res.body.includes('locked'), false);
    hub.store.ping = original;
  });

  it('echoes a well-formed X-Request-Id and puts it in problems', async () => {
    const res = await hub.app.inject({ url: '/v1/orders/ord_01ARZ3NDEKTSV4RRFFQ69G5FAV', headers: { ...auth(KEYS.centre), 'x-request-id': 'counter-7-000123' } });
    assert.equal(res.headers['x-request-id'], 'counter-7-000123');
    assert.equal(res.json().instance, 'counter-7-000123');
  });
});
