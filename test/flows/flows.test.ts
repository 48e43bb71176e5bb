/**
 * The real service flows in flows/ (civil-registry-individual-extract over SOAP,
 * vehicle-ownership-statement over REST), run by the embedded Node-RED runtime against the
 * sandbox simulators: orders posted to the gateway end provider-completed with their results,
 * or rejected with the ministry's business reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Order, OrderRequest } from '../../contracts/types';
import { startCivilRegistry, startVehicleRegistry, PERSON_NOT_FOUND, RECORD_SEALED, VEHICLE_NOT_FOUND, type RunningSimulator } from '../../sandbox/simulators';
import { auth, CITIZEN, FLOWS_DIR, KEYS, newKey, testHub, validRequest, type TestHub } from '../helpers';
import { until } from '../hub/bus/contract';
import { onFixedPort } from './fixed-port';

const CIVIL = 'civil-registry-individual-extract';
const VEHICLE = 'vehicle-ownership-statement';

function vehicleRequest(plate: string): OrderRequest {
  return validRequest({ service: VEHICLE, fields: { plateNumber: plate, plateGovernorate: 'damascus' } });
}

describe('service flows (flows/*.json) against the sandbox simulators', function () {
  this.timeout(90_000);
  let hub: TestHub;
  let civil: RunningSimulator;
  let vehicle: RunningSimulator;

  before(async () => {
    civil = await onFixedPort(() => startCivilRegistry({ port: 8091 }));
    vehicle = await onFixedPort(() => startVehicleRegistry({ port: 8092 }));
    hub = await testHub({}, undefined, { runtime: true });
    await hub.startBackground();
  });

  after(async () => {
    await hub?.close();
    await civil?.close();
    await vehicle?.close();
  });

  async function submit(body: OrderRequest): Promise<string> {
    const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: body });
    assert.equal(res.statusCode, 202, res.body);
    return res.json<Order>().id;
  }

  async function settled(id: string, status: Order['status'], timeoutMs = 20_000): Promise<Order> {
    await until(async () => ['provider-completed', 'rejected', 'failed'].includes((await hub.store.getOrder(id))?.status ?? ''), timeoutMs, `order ${id} to settle`);
    const order = (await hub.store.getOrder(id))!;
    assert.equal(order.status, status, JSON.stringify(order.timeline));
    return order;
  }

  it('civil-registry-individual-extract: an order reaches provider-completed with the extract (SOAP, X-Road)', async () => {
    const id = await submit(validRequest({ fields: { purpose: 'employment', copies: 2, language: 'ar' } }));
    const order = await settled(id, 'provider-completed');
    assert.deepEqual(order.timeline.map((t) => t.status), ['received', 'submitted-to-provider', 'provider-completed']);
    assert.deepEqual(order.timeline.at(-1)?.actor, { kind: 'system', id: `flow:${CIVIL}` });

    const seen = civil.requests.filter((r) => r.orderId === id);
    assert.equal(seen.length, 1, 'the ministry was called once');
    const req = seen[0]!;
    assert.deepEqual(req.input, { nationalNumber: CITIZEN.nationalNumber, purpose: 'employment', copies: 2, language: 'ar', applicantName: CITIZEN.fullNameAr });
    assert.equal(req.idempotencyKey, `${id}:moi-civil-registry.IssueIndividualExtract`, 'X-Road id is the step key');

    const ref = order.results?.providerReferences[0];
    assert.equal(ref?.provider, 'moi-civil-registry');
    assert.match(String(ref?.reference), /^IE-\d{4}-\d{6}$/);
    assert.equal(order.results?.documents[0]?.type, CIVIL);
    assert.equal(order.results?.documents[0]?.reference, `https://civil-registry.moi.gov.sy/extracts/${ref?.reference}.pdf`);
    // Acknowledged: nothing left in flight.
    await until(async () => (await hub.bus.depth(CIVIL)).inFlight === 0, 5_000, 'acknowledged');
  });

  it('civil-registry-individual-extract: person-not-found and record-sealed end rejected with the reason', async () => {
    for (const [nn, reason] of [
      [PERSON_NOT_FOUND, 'person-not-found'],
      [RECORD_SEALED, 'record-sealed'],
    ] as const) {
      const base = validRequest();
      const id = await submit({ ...base, applicant: { ...base.applicant, nationalNumber: nn } });
      const order = await settled(id, 'rejected');
      assert.deepEqual(order.timeline.map((t) => t.status), ['received', 'submitted-to-provider', 'rejected']);
      assert.deepEqual(order.timeline.at(-1)?.reason, { code: reason });
      assert.equal(civil.requests.filter((r) => r.orderId === id).length, 1, 'a refusal is not retried');
    }
  });

  it('vehicle-ownership-statement: an order reaches provider-completed with the statement (REST)', async () => {
    const id = await submit(vehicleRequest('123456'));
    const order = await settled(id, 'provider-completed');
    assert.deepEqual(order.timeline.map((t) => t.status), ['received', 'submitted-to-provider', 'provider-completed']);
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
    assert.deepEqual(order.timeline.map((t) => t.status), ['received', 'submitted-to-provider', 'rejected']);
  });

  it('a ministry outage is not a refusal: the order stays submitted and completes once the ministry answers', async () => {
    await vehicle.close();
    const id = await submit(vehicleRequest('654321'));
    await until(async () => (await hub.store.getOrder(id))?.status === 'submitted-to-provider', 10_000, 'submitted');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await hub.store.getOrder(id))?.status, 'submitted-to-provider', 'not rejected, not failed');
    vehicle = await onFixedPort(() => startVehicleRegistry({ port: 8092 }));
    // The connector retries, then the bus delivers the event again (1 s, 5 s, 30 s…); the call
    // resumes with the same idempotency key. Generous: a circuit breaker may have opened.
    await settled(id, 'provider-completed', 45_000);
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
