/**
 * /monitor (hub/gateway/routes/monitor.ts): the monitoring dashboard's API for operators —
 * figures that follow the orders and the provider calls, ministries' health, order search by id or
 * national number (masked), the order's full record (an audited read), dead letters replayed or
 * discarded by operators only (audited), the live stream, the payments not applied as not matching
 * their invoice (every role), and the admin actions (the admin only, newest first, paged, unaudited).
 */
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { Order } from '../../contracts/types';
import { reportCall } from '../../connectors/observe';
import { hashPassword } from '../../hub/operators';
import type { Names } from '../../hub/monitor/names';
import type { Overview } from '../../hub/monitor/overview';
import { ORDER_STATUSES } from '../../hub/state-machine';
import { auth, CITIZEN, KEYS, newKey, testHub, validRequest, type TestHub } from '../helpers';

const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
const VIEWER = basic('sami', 'viewer-password');
const OPERATOR = basic('maha', 'operator-password');
const ADMIN = basic('rana', 'admin-password');

describe('/monitor: the monitoring dashboard', function () {
  this.timeout(30_000);
  let hub: TestHub;
  let orderId: string;

  before(async () => {
    const cost = { N: 1024, r: 8, p: 1 };
    hub = await testHub({ operators: [{ user: 'sami', passwordHash: await hashPassword('viewer-password', cost), role: 'viewer' }, { user: 'maha', passwordHash: await hashPassword('operator-password', cost), role: 'operator' }, { user: 'rana', passwordHash: await hashPassword('admin-password', cost), role: 'admin' }] });
    const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() });
    orderId = res.json<Order>().id;
  });
  after(async () => hub?.close());

  const get = (url: string, headers: Record<string, string> = VIEWER) => hub.app.inject({ url, headers });

  it('is for operators only: a browser is asked to log in, a channel key is refused', async () => {
    const none = await get('/monitor', {});
    assert.equal(none.statusCode, 401);
    assert.match(String(none.headers['www-authenticate']), /^Basic realm="wasl monitoring"/);
    assert.equal((await get('/monitor/api/overview', auth(KEYS.centre))).statusCode, 401);
    assert.equal((await get('/monitor/api/overview', basic('sami', 'wrong'))).statusCode, 401);
    const page = await get('/monitor');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="ar" dir="rtl">/);
    assert.match(page.body, /data-role="viewer"/);
    assert.ok((await hub.store.readAudit({ limit: 1000 })).some((a) => a.actor === 'operator:sami' && a.data.action === 'open-dashboard'), 'signing in to the dashboard is audited');
  });

  it("the overview follows the orders and the ministries' calls", async () => {
    const t = Date.now();
    reportCall({ provider: 'moj-judicial-records', operation: 'IssueCriminalRecordCertificate', endpoint: 'http://127.0.0.1:8096/moj', orderId, outcome: 'success', status: 200, attempts: 1, durationMs: 100, requestBytes: 500, responseBytes: 900, startedAt: new Date(t - 2000).toISOString() });
    reportCall({ provider: 'moj-judicial-records', operation: 'IssueCriminalRecordCertificate', endpoint: 'http://127.0.0.1:8096/moj', outcome: 'timeout', attempts: 3, durationMs: 2000, requestBytes: 500, responseBytes: 0, startedAt: new Date(t - 1000).toISOString() });
    let o: Overview | undefined;
    // The figures are computed at most every 1.5 s, whoever asks.
    for (let i = 0; i < 100; i++) {
      o = (await get('/monitor/api/overview')).json<Overview>();
      if (o.providers.find((p) => p.provider === 'moj-judicial-records')?.calls === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(o!.acceptedLastHour >= 1);
    assert.ok((o!.orders.received ?? 0) >= 1);
    const moj = o!.providers.find((p) => p.provider === 'moj-judicial-records')!;
    assert.deepEqual([moj.calls, moj.errors, moj.errorRate, moj.p50Ms, moj.lastFailure?.outcome], [2, 1, 0.5, 2000, 'timeout']);
    assert.ok(moj.lastSuccess);
  });

  it('names every status, service and provider in Arabic and English, for every role', async () => {
    assert.equal((await get('/monitor/api/names', auth(KEYS.centre))).statusCode, 401);
    const res = await get('/monitor/api/names');
    assert.equal(res.statusCode, 200);
    const names = res.json<Names>();
    // Every status of the order contract, and nothing else.
    assert.deepEqual(Object.keys(names.statuses).sort(), [...ORDER_STATUSES].sort());
    assert.deepEqual(names.statuses['ready-for-pickup'], { ar: 'جاهز للاستلام', en: 'Ready for pickup' });
    for (const n of [...Object.values(names.statuses), ...Object.values(names.services), ...Object.values(names.providers)]) {
      assert.match(n.ar, /[\u0600-\u06FF]/, `not Arabic: ${n.ar}`);
      assert.match(n.en, /^[A-Z]/, `not English: ${n.en}`);
    }
    assert.equal(Object.keys(names.services).length, hub.catalogue.all().length);
    assert.deepEqual(names.services['civil-registry-individual-extract'], hub.catalogue.get('civil-registry-individual-extract')!.definition.names);
    assert.deepEqual(names.providers['moi-civil-registry'], { ar: 'وزارة الداخلية — السجل المدني', en: 'Ministry of Interior — Civil Registry' });
    assert.ok(names.providers['sy-epay'] && names.providers['sy-post'], 'the payment company and the post too');
  });

  it('finds orders by national number, masked and without names; the search and the read of the record are audited', async () => {
    const found = (await get(`/monitor/api/orders?q=${CITIZEN.nationalNumber}`)).json<{ orders: Array<Record<string, unknown>> }>();
    assert.ok(found.orders.some((x) => x.id === orderId));
    assert.ok(found.orders.every((x) => x.nationalNumber === '0311*****54'));
    assert.ok(!JSON.stringify(found).includes(CITIZEN.fullNameAr) && !JSON.stringify(found).includes(CITIZEN.nationalNumber));
    assert.equal((await get(`/monitor/api/orders?q=${orderId}`)).json<{ orders: unknown[] }>().orders.length, 1);
    assert.equal((await get('/monitor/api/orders?q=robert')).statusCode, 400);
    const detail = (await get(`/monitor/api/orders/${orderId}`)).json<{ order: Order; exchanges: Array<{ provider: string }> }>();
    assert.equal(detail.order.applicant.nationalNumber, CITIZEN.nationalNumber, 'the full record, for an operator who opens it');
    assert.deepEqual(detail.exchanges.map((e) => e.provider), ['moj-judicial-records']);
    const audit = await hub.store.readAudit({ limit: 1000 });
    assert.ok(audit.some((a) => a.kind === 'operator.action' && a.actor === 'operator:sami' && a.subject === orderId && a.data.action === 'read-order'));
    assert.ok(audit.some((a) => a.kind === 'operator.action' && a.actor === 'operator:sami' && a.data.action === 'search-by-national-number'));
    assert.ok(!JSON.stringify(audit).includes(CITIZEN.nationalNumber), 'the audit trail names no citizen');
  });

  it('dead letters: listed to all, replayed or discarded by an operator only, each action audited', async () => {
    await hub.store.recordDeadLetter({ message: { eventId: `evt-${newKey()}`, orderId, service: 'civil-registry-individual-extract', type: 'order.received', occurredAt: new Date().toISOString(), payload: {} } as never, reason: 'attempts-exhausted', history: [] });
    const { deadLetters } = (await get('/monitor/api/dead-letters')).json<{ deadLetters: Array<{ id: string; orderId: string }> }>();
    const dl = deadLetters.find((d) => d.orderId === orderId)!;
    assert.ok(dl);
    const asViewer = await hub.app.inject({ method: 'POST', url: `/monitor/api/dead-letters/${dl.id}/replay`, headers: VIEWER });
    assert.equal(asViewer.statusCode, 403);
    const replay = await hub.app.inject({ method: 'POST', url: `/monitor/api/dead-letters/${dl.id}/replay`, headers: OPERATOR });
    assert.equal(replay.statusCode, 200, replay.body);
    assert.deepEqual(replay.json(), { replayed: [dl.id] });
    assert.ok(!(await get('/monitor/api/dead-letters')).json<{ deadLetters: Array<{ id: string }> }>().deadLetters.some((d) => d.id === dl.id));
    const order = (await hub.store.getOrder(orderId))!;
    assert.ok(order.timeline.some((s) => s.actor.kind === 'operator' && s.actor.id === 'maha'), 'the replay is on the timeline');
    assert.ok((await hub.store.readAudit({ limit: 1000 })).some((a) => a.kind === 'operator.action' && a.actor === 'operator:maha' && a.data.action === 'replay'));
    assert.equal((await hub.app.inject({ method: 'POST', url: `/monitor/api/dead-letters/${dl.id}/discard`, headers: OPERATOR })).statusCode, 404);
  });

  it('lists the payments not applied as not matching their invoice, newest first, once per payment, to every role; the overview counts them', async () => {
    const at = (ms: number) => new Date(Date.now() - ms).toISOString();
    const anomaly = { kinds: ['amount-mismatch' as const], expected: { invoiceId: 'INV-M1', amount: 2500, currency: 'SYP' }, received: { invoiceId: 'INV-M1', amount: 1, currency: 'SYP' } };
    const firstReport = at(60_000);
    await hub.store.recordCallback({ provider: 'sy-epay', eventId: 'EV-M1', type: 'invoice.paid', orderId, reference: 'TX-M1', amount: 1, currency: 'SYP', outcome: 'anomaly', anomaly, receivedAt: firstReport });
    // The same payment, found again by the watcher's poll: not a second anomaly.
    await hub.store.recordCallback({ provider: 'sy-epay', eventId: 'poll:TX-M1', type: 'poll.paid', orderId, reference: 'TX-M1', amount: 1, currency: 'SYP', outcome: 'anomaly', anomaly, receivedAt: at(30_000) });
    const usd = { ...anomaly, kinds: ['currency-mismatch' as const], received: { invoiceId: 'INV-M1', amount: 2500, currency: 'USD' } };
    await hub.store.recordCallback({ provider: 'sy-epay', eventId: 'EV-M2', type: 'invoice.paid', orderId, reference: 'TX-M2', amount: 2500, currency: 'USD', outcome: 'anomaly', anomaly: usd, receivedAt: at(10_000) });
    await hub.store.recordCallback({ provider: 'sy-epay', eventId: 'EV-M3', type: 'invoice.paid', orderId, reference: 'TX-M3', outcome: 'applied', receivedAt: at(5_000) });
    for (const who of [VIEWER, OPERATOR, ADMIN]) {
      const res = await get('/monitor/api/payment-anomalies', who);
      assert.equal(res.statusCode, 200, res.body);
      const { anomalies } = res.json<{ anomalies: Array<Record<string, unknown>> }>();
      assert.deepEqual(anomalies.map((a) => [a.reference, a.kinds, (a.received as { currency: string }).currency]), [['TX-M2', ['currency-mismatch'], 'USD'], ['TX-M1', ['amount-mismatch'], 'SYP']]);
      assert.deepEqual(anomalies[1], { orderId, provider: 'sy-epay', reference: 'TX-M1', type: 'invoice.paid', at: firstReport, ...anomaly });
    }
    assert.equal((await get('/monitor/api/payment-anomalies?limit=1')).json<{ anomalies: unknown[] }>().anomalies.length, 1);
    assert.equal((await get('/monitor/api/payment-anomalies?limit=0')).statusCode, 400);
    assert.equal((await get('/monitor/api/payment-anomalies', auth(KEYS.centre))).statusCode, 401);
    let o: Overview | undefined;
    for (let i = 0; i < 100 && o?.paymentAnomalies !== 2; i++) {
      if (i) await new Promise((r) => setTimeout(r, 50));
      o = (await get('/monitor/api/overview')).json<Overview>();
    }
    assert.equal(o!.paymentAnomalies, 2);
  });

  it('lists the admin actions to the admin alone, newest first and page by page, without auditing the reading', async () => {
    const t = Date.now();
    await hub.store.appendAudit([
      { at: new Date(t).toISOString(), kind: 'operator.action', actor: 'operator:(unknown)', subject: 'editor', data: { action: 'login-failed', address: '10.1.2.3' } },
      { at: new Date(t + 1).toISOString(), kind: 'operator.action', actor: 'operator:rana', subject: 'editor', data: { action: 'deploy', deploymentType: 'flows', tabs: ['civil-registry-individual-extract'] } },
      { at: new Date(t + 2).toISOString(), kind: 'operator.action', actor: 'operator:rana', subject: 'editor', data: { action: 'credentials-changed', nodeId: 'n1' } },
    ]);
    for (const who of [VIEWER, OPERATOR]) assert.equal((await get('/monitor/api/admin-actions', who)).statusCode, 403);
    assert.equal((await get('/monitor/api/admin-actions', auth(KEYS.centre))).statusCode, 401);
    const audited = (await hub.store.readAudit({ limit: 100_000 })).length;

    const res = await get('/monitor/api/admin-actions?limit=2', ADMIN);
    assert.equal(res.statusCode, 200, res.body);
    const first = res.json<{ actions: Array<{ seq: number; actor: string; action: string; subject: string; details: Record<string, unknown> }>; nextBefore?: number }>();
    assert.deepEqual(first.actions.map((a) => [a.actor, a.action, a.subject]), [['operator:rana', 'credentials-changed', 'editor'], ['operator:rana', 'deploy', 'editor']]);
    assert.deepEqual(first.actions[1]!.details, { deploymentType: 'flows', tabs: ['civil-registry-individual-extract'] });
    assert.equal(first.nextBefore, first.actions[1]!.seq);
    const next = (await get(`/monitor/api/admin-actions?limit=2&before=${first.nextBefore}`, ADMIN)).json<typeof first>();
    assert.deepEqual(next.actions[0]!.action, 'login-failed');
    assert.deepEqual(next.actions[0]!.details, { address: '10.1.2.3' });
    assert.ok(next.actions.every((a) => a.seq < first.nextBefore!), 'older ones only');
    // The earlier tests' own actions (sign-in, search, read, replay) are further back: all of them, and only operator actions.
    const all = (await get('/monitor/api/admin-actions?limit=200', ADMIN)).json<typeof first>();
    assert.ok(['open-dashboard', 'read-order', 'search-by-national-number', 'replay'].every((a) => all.actions.some((x) => x.action === a)));
    assert.deepEqual(all.actions.map((a) => a.seq), [...all.actions.map((a) => a.seq)].sort((a, b) => b - a));
    for (const bad of ['limit=201', 'limit=-1', 'before=abc', 'before=0']) assert.equal((await get(`/monitor/api/admin-actions?${bad}`, ADMIN)).statusCode, 400, bad);
    assert.equal((await hub.store.readAudit({ limit: 100_000 })).length, audited, 'reading the list records nothing');
  });

  it('streams the overview live (server-sent events)', async () => {
    const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await request(`${url}/monitor/api/stream`, { headers: VIEWER });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/event-stream/);
    let text = '';
    for await (const chunk of res.body) {
      text += chunk.toString();
      if (text.includes('\n\n')) break;
    }
    res.body.destroy();
    const first = JSON.parse(text.slice(text.indexOf('data: ') + 6, text.indexOf('\n\n'))) as Overview;
    assert.ok(first.acceptedLastHour >= 1);
  });

  it('a dashboard left open does not hold up the hub closing: its stream is ended', async () => {
    const other = await testHub({ operators: [{ user: 'sami', passwordHash: await hashPassword('viewer-password', { N: 1024, r: 8, p: 1 }), role: 'viewer' }] });
    const url = await other.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await request(`${url}/monitor/api/stream`, { headers: VIEWER });
    assert.equal(res.statusCode, 200);
    const ended = (async () => {
      for await (const chunk of res.body) void chunk;
    })();
    const t0 = Date.now();
    await other.close();
    await ended;
    assert.ok(Date.now() - t0 < 5_000, `closed in ${Date.now() - t0} ms`);
  });
});
