/**
 * The real service flows in flows/ (civil-registry-individual-extract over SOAP,
 * vehicle-ownership-statement over REST), run by the embedded Node-RED runtime against the
 * sandbox simulators — the ministries, the e-payment companies and the post, each on a free port
 * the connectors are pointed at (connectors/sandbox-overrides.ts), calling the hub back: orders posted to the gateway are paid, sent to
 * the ministry and delivered (by post, at the counter), or rejected with the ministry's business
 * reason and refunded.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Order, OrderRequest } from '../../contracts/types';
import type { ChannelKey } from '../../hub/config';
import { startCivilRegistry, startEpay, startIntlPay, startPost, startVehicleRegistry, PERSON_NOT_FOUND, RECORD_SEALED, VEHICLE_NOT_FOUND, type RunningSimulator } from '../../sandbox/simulators';
import { auth, CITIZEN, FLOWS_DIR, KEYS, newKey, testHub, validRequest, type TestHub } from '../helpers';
import { until } from '../hub/bus/contract';
import { overrideSandbox } from '../../connectors/sandbox-overrides';
import { onFixedPort } from './fixed-port';

const CIVIL = 'civil-registry-individual-extract';
const VEHICLE = 'vehicle-ownership-statement';

/** Paid in cash and collected at the counter: straight to the ministry, ready for pickup after. */
function vehicleRequest(plate: string): OrderRequest {
  return validRequest({ service: VEHICLE, fields: { plateNumber: plate, plateGovernorate: 'damascus' }, paymentMethod: 'cash-at-counter', delivery: { method: 'counter' } });
}

const FINAL = ['delivered', 'ready-for-pickup', 'rejected', 'failed', 'refunded', 'cancelled'];

describe('service flows (flows/*.json) against the sandbox simulators', function () {
  this.timeout(90_000);
  let hub: TestHub;
  let civil: RunningSimulator;
  let vehicle: RunningSimulator;
  let others: RunningSimulator[] = [];
  let vehiclePort: number;
  let restore: (() => void) | undefined;

  before(async () => {
    civil = await startCivilRegistry({ port: 0 });
    vehicle = await startVehicleRegistry({ port: 0 });
    const fast = { callbackRetryDelaysMs: [100, 500] };
    others = [await startEpay({ port: 0, payDelayMs: 50, ...fast }), await startIntlPay({ port: 0, payDelayMs: 50, ...fast }), await startPost({ port: 0, postDelayMs: 50, ...fast })];
    vehiclePort = Number(new URL(vehicle.url).port);
    // Free ports, so a sandbox or another run on this machine is no obstacle: the connectors are pointed at them.
    restore = overrideSandbox({ endpoints: Object.fromEntries([civil, vehicle, ...others].map((s) => [s.name, s.url])) });
    hub = await testHub({}, undefined, { runtime: true });
    // Listening, so that the payment companies and the post can call back.
    hub.url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    await hub.startBackground();
  });

  after(async () => {
    await hub?.close();
    await civil?.close();
    await vehicle?.close();
    await Promise.all(others.map((s) => s.close()));
    restore?.();
  });

  async function submit(body: OrderRequest, key: ChannelKey = KEYS.centre): Promise<string> {
    const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(key), 'idempotency-key': newKey() }, payload: body });
    assert.equal(res.statusCode, 202, res.body);
    return res.json<Order>().id;
  }

  async function settled(id: string, status: Order['status'], timeoutMs = 20_000): Promise<Order> {
    // The expected status, or one the order cannot leave (rejected, cancelled and failed can still
    // be refunded, so they only count when expected).
    await until(async () => {
      const s = (await hub.store.getOrder(id))?.status ?? '';
      return s === status || (FINAL.includes(s) && !['rejected', 'failed', 'cancelled'].includes(s));
    }, timeoutMs, `order ${id} to settle`);
    const order = (await hub.store.getOrder(id))!;
    assert.equal(order.status, status, JSON.stringify(order.timeline));
    return order;
  }

  it('civil-registry-individual-extract: paid online, the extract from the ministry (SOAP, X-Road), delivered by post', async () => {
    const id = await submit(validRequest({ fields: { purpose: 'employment', copies: 2, language: 'ar' } }));
    const order = await settled(id, 'delivered');
    assert.deepEqual(order.timeline.map((t) => t.status), ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'provider-completed', 'dispatched', 'dispatched', 'delivered']);
    assert.deepEqual(order.timeline.map((t) => t.event).slice(-3), ['order.dispatched', 'shipment.in-transit', 'order.delivered']);
    assert.deepEqual(order.timeline.find((t) => t.status === 'provider-completed')?.actor, { kind: 'system', id: `flow:${CIVIL}` });
    assert.equal(order.payment.provider, 'sy-epay');
    assert.equal(order.payment.status, 'paid');
    assert.match(order.payment.receiptNumber ?? '', /^R-\d{4}-\d{7}$/);
    assert.match(order.shipment?.trackingNumber ?? '', /^RR\d{9}SY$/);

    const seen = civil.requests.filter((r) => r.orderId === id);
    assert.equal(seen.length, 1, 'the ministry was called once');
    const req = seen[0]!;
    assert.deepEqual(req.input, { nationalNumber: CITIZEN.nationalNumber, purpose: 'employment', copies: 2, language: 'ar', applicantName: CITIZEN.fullNameAr });
    assert.equal(req.idempotencyKey, `${id}:moi-civil-registry.IssueIndividualExtract`, 'X-Road id is the step key');

    const ref = order.results?.providerReferences[0];
    assert.equal(ref?.provider, 'moi-civil-registry');
    assert.match(String(ref?.reference), /^IE-\d{4}-\d{6}$/);
    assert.equal(order.results?.documents[0]?.type, CIVIL);
    // The extract itself (a PDF inline in the answer) is kept in the hub's document store for the order; the order names it and its hash.
    const doc = order.results?.documents[0];
    const info = await hub.documents!.info(String(doc?.reference));
    assert.equal(info?.orderId, id);
    assert.equal(info?.mediaType, 'application/pdf');
    assert.equal(doc?.sha256, info?.sha256);
    // The post's label says what it holds and carries the document's verification code, the one the receipt prints.
    const shipment = others[2]!.requests.find((r) => r.orderId === id && r.method === 'POST');
    const receipt = await hub.app.inject({ method: 'GET', url: `/v1/orders/${id}/receipt`, headers: auth(KEYS.centre) });
    const code = (receipt.json() as { documents?: Array<{ verificationCode: string }> }).documents?.[0]?.verificationCode;
    assert.match(String(code), /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    assert.equal(shipment?.input.contents, `${CIVIL} — verify: ${code}`);
    // Acknowledged: nothing left in flight.
    await until(async () => (await hub.bus.depth(CIVIL)).inFlight === 0, 5_000, 'acknowledged');
  });

  it('issue 27: ordered on the portal, paid online, delivered electronically — the portal downloads the ministry PDF, no other channel can, the download is audited, its code verifies, and after retention only its hash remains', async () => {
    const id = await submit(validRequest({ centre: undefined, delivery: { method: 'electronic' } }), KEYS.portal);
    const order = await settled(id, 'delivered');
    const doc = order.results?.documents[0];
    assert.ok(doc?.sha256, JSON.stringify(order.results));
    const path = `/v1/orders/${id}/documents/${doc.reference}`;
    // The step that added it names it with its hash in the timeline, as the channel reads it.
    const read = (await hub.app.inject({ method: 'GET', url: `/v1/orders/${id}`, headers: auth(KEYS.portal) })).json() as Order;
    assert.deepEqual(read.timeline.find((t) => t.status === 'provider-completed')?.documents, [{ reference: doc.reference, sha256: doc.sha256 }]);
    assert.ok(read.timeline.filter((t) => t.documents).length === 1, 'only the step that added it');

    // The channel that owns the order downloads the PDF, byte for byte what the store keeps.
    const got = await hub.app.inject({ method: 'GET', url: path, headers: auth(KEYS.portal) });
    assert.equal(got.statusCode, 200, got.body);
    assert.equal(got.headers['content-type'], 'application/pdf');
    assert.ok(got.rawPayload.subarray(0, 5).equals(Buffer.from('%PDF-')));
    assert.equal(createHash('sha256').update(got.rawPayload).digest('hex'), doc.sha256);
    // Another channel cannot: not even whether the order exists.
    for (const other of [KEYS.centre, KEYS.expat]) assert.equal((await hub.app.inject({ method: 'GET', url: path, headers: auth(other) })).statusCode, 404);
    // The download is in the audit trail: who, which order, which document and its hash; nothing of the citizen.
    const audited = (await hub.store.readAudit({ subject: id, limit: 100 })).filter((r) => r.kind === 'document.download');
    assert.equal(audited.length, 1);
    assert.equal(audited[0]!.actor, 'channel:portal');
    assert.deepEqual({ document: audited[0]!.data.document, sha256: audited[0]!.data.sha256 }, { document: doc.reference, sha256: doc.sha256 });
    assert.ok(!JSON.stringify(audited[0]).includes(CITIZEN.nationalNumber));

    // The receipt (what the counter prints) carries the document's hash and verification code; anyone can check the code.
    const receipt = await hub.app.inject({ method: 'GET', url: `/v1/orders/${id}/receipt`, headers: auth(KEYS.portal) });
    assert.equal(receipt.statusCode, 200, receipt.body);
    const printed = (receipt.json() as { documents?: Array<{ reference: string; sha256?: string; verificationCode: string }> }).documents ?? [];
    assert.equal(printed.length, 1);
    assert.equal(printed[0]!.sha256, doc.sha256);
    const verify = async (code: string) => (await hub.app.inject({ method: 'GET', url: `/v1/documents/verify/${code}` })).json() as Record<string, unknown>;
    const valid = await verify(printed[0]!.verificationCode);
    assert.deepEqual(Object.keys(valid).sort(), ['issuedAt', 'issuer', 'type', 'valid']);
    assert.equal(valid.valid, true);
    assert.equal(valid.type, doc.type);
    assert.deepEqual(await verify('ABCD-EFGH-JKMN'), { valid: false });

    // After its retention (the store's purge, a year on): the content is gone, the hash remains, the code still answers valid.
    await hub.documents!.purgeExpired(new Date(Date.now() + 366 * 86_400_000));
    const gone = await hub.app.inject({ method: 'GET', url: path, headers: auth(KEYS.portal) });
    assert.equal(gone.statusCode, 410, gone.body);
    assert.equal((gone.json() as { sha256?: string }).sha256, doc.sha256);
    const info = await hub.documents!.info(doc.reference);
    assert.equal(info?.sha256, doc.sha256);
    assert.ok(info?.purgedAt);
    assert.equal((await verify(printed[0]!.verificationCode)).valid, true);
  });

  it('civil-registry-individual-extract: person-not-found and record-sealed end rejected with the reason', async () => {
    for (const [nn, reason] of [
      [PERSON_NOT_FOUND, 'person-not-found'],
      [RECORD_SEALED, 'record-sealed'],
    ] as const) {
      const base = validRequest();
      const id = await submit({ ...base, applicant: { ...base.applicant, nationalNumber: nn } });
      // Paid, refused by the ministry, then refunded in full.
      const order = await settled(id, 'refunded');
      // (The e-payment company's refund confirmation comes as a note on the refunded order.)
      assert.deepEqual(order.timeline.map((t) => t.status).filter((s, i, a) => s !== a[i - 1]), ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'rejected', 'refunded']);
      assert.deepEqual(order.timeline.find((t) => t.status === 'rejected')?.reason, { code: reason });
      assert.equal(order.payment.refund?.amount, order.payment.amount);
      assert.equal(civil.requests.filter((r) => r.orderId === id).length, 1, 'a refusal is not retried');
    }
  });

  it('vehicle-ownership-statement: paid in cash, the statement from the ministry (REST), ready for pickup at the counter', async () => {
    const id = await submit(vehicleRequest('123456'));
    const order = await settled(id, 'ready-for-pickup');
    assert.deepEqual(order.timeline.map((t) => t.status), ['received', 'submitted-to-provider', 'provider-completed', 'ready-for-pickup']);
    assert.deepEqual(order.timeline.at(-1)?.actor, { kind: 'system', id: `flow:${VEHICLE}` });
    const seen = vehicle.requests.filter((r) => r.idempotencyKey?.startsWith(`${id}:`));
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.input, { plate: '123456', governorate: 'damascus' });
    assert.equal(seen[0]!.idempotencyKey, `${id}:mot-vehicle-registry.GetOwnershipStatement`);
    assert.equal(seen[0]!.orderId, id);
    const ref = order.results?.providerReferences[0];
    assert.equal(ref?.provider, 'mot-vehicle-registry');
    assert.match(String(ref?.reference), /^VOS-\d{4}-\d{6}$/);
    assert.equal(order.results?.documents[0]?.reference, ref?.reference);
  });

  it('vehicle-ownership-statement: an unknown plate ends rejected with vehicle-not-found', async () => {
    const id = await submit(vehicleRequest(VEHICLE_NOT_FOUND));
    const order = await settled(id, 'rejected');
    assert.deepEqual(order.timeline.at(-1)?.reason, { code: 'vehicle-not-found' });
    // Cash: nothing to refund online.
    assert.deepEqual(order.timeline.map((t) => t.status), ['received', 'submitted-to-provider', 'rejected']);
  });

  it('a ministry outage is not a refusal: the order stays submitted and completes once the ministry answers', async () => {
    await vehicle.close();
    const id = await submit(vehicleRequest('654321'));
    await until(async () => (await hub.store.getOrder(id))?.status === 'submitted-to-provider', 10_000, 'submitted');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await hub.store.getOrder(id))?.status, 'submitted-to-provider', 'not rejected, not failed');
    // Back on the port the hub's connector was pointed at (a connector keeps its endpoint).
    vehicle = await onFixedPort(() => startVehicleRegistry({ port: vehiclePort }));
    // The connector retries, then the bus delivers the event again (1 s, 5 s, 30 s…); the call
    // resumes with the same idempotency key. Generous: a circuit breaker may have opened.
    await settled(id, 'ready-for-pickup', 45_000);
  });

  it('an expatriate pays abroad in dollars and receives the extract by international mail', async () => {
    const id = await submit(validRequest({ centre: undefined, delivery: { method: 'international-post', country: 'DE', city: 'Berlin', address: 'Karl-Marx-Allee 1', postalCode: '10178' } }), KEYS.expat);
    const order = await settled(id, 'delivered');
    assert.deepEqual(order.timeline.map((t) => t.status).filter((s, i, a) => s !== a[i - 1]), ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'provider-completed', 'dispatched', 'delivered']);
    assert.equal(order.payment.provider, 'intl-pay');
    assert.equal(order.payment.currency, 'USD');
    assert.equal(order.payment.amount, order.fees.settlement?.amountMinor);
    const receipt = await hub.app.inject({ url: `/v1/orders/${id}/receipt`, headers: auth(KEYS.expat) });
    assert.equal(receipt.json<{ currency: string }>().currency, 'USD');
    assert.ok(order.shipment?.trackingNumber);
  });

  it('the flow files hold no credentials, and each provider config node is shared from flows/shared.json', () => {
    const shared = JSON.parse(readFileSync(join(FLOWS_DIR, 'shared.json'), 'utf8')) as Array<Record<string, unknown>>;
    for (const n of shared) assert.equal('credentials' in n, false);
    for (const svc of [CIVIL, VEHICLE]) {
      const text = readFileSync(join(FLOWS_DIR, svc, 'flow.json'), 'utf8');
      assert.doesNotMatch(text, /"credentials"|password|token|apiKey|secret/i);
      const calls = (JSON.parse(text) as Array<Record<string, unknown>>).filter((n) => n.type === 'wasl-call');
      assert.equal(calls.length, 1);
      assert.ok(shared.some((n) => n.id === calls[0]!.provider && n.type === 'wasl-provider'));
    }
  });
});
