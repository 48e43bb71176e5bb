/** The sandbox simulators on their own: WSDL, answers, refusals, records, delay, dedup by key. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createConnector } from '../../connectors';
import { listProviders } from '../../connectors/import/write';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import { startCivilRegistry, startSimulators, startVehicleRegistry, VEHICLE_NOT_FOUND, PERSON_NOT_FOUND } from '../../sandbox/simulators';

const envelope = (nn: string, id: string) => `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:cr="urn:sy:gov:moi:civil-registry:v1">
<s:Header><xrd:id>${id}</xrd:id><xrd:issue>ord-1</xrd:issue><xrd:protocolVersion>4.0</xrd:protocolVersion></s:Header>
<s:Body><cr:IssueIndividualExtract><cr:nationalNumber>${nn}</cr:nationalNumber><cr:purpose>travel</cr:purpose><cr:copies>1</cr:copies><cr:language>ar</cr:language><cr:applicantName>هبة نزار القاسم</cr:applicantName></cr:IssueIndividualExtract></s:Body></s:Envelope>`;

describe('sandbox simulators', () => {
  it('civil registry: serves its WSDL, issues an extract once per X-Road id, refuses known test numbers', async () => {
    const sim = await startCivilRegistry({ port: 0 });
    try {
      const wsdl = await fetch(`${sim.url}?wsdl`);
      assert.equal(wsdl.status, 200);
      assert.match(await wsdl.text(), /IssueIndividualExtract/);
      const post = (body: string) => fetch(sim.url, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:sy:gov:moi:civil-registry:v1:IssueIndividualExtract"' }, body });
      const a = await (await post(envelope('03110987654', 'k-1'))).text();
      const b = await (await post(envelope('03110987654', 'k-1'))).text();
      const ref = /<cr:extractReference>([^<]+)</.exec(a)?.[1];
      assert.ok(ref);
      assert.equal(/<cr:extractReference>([^<]+)</.exec(b)?.[1], ref, 'the same answer for the same key');
      assert.match(a, /<xrd:id>k-1<\/xrd:id>/);
      const refused = await post(envelope(PERSON_NOT_FOUND, 'k-2'));
      assert.equal(refused.status, 500);
      assert.match(await refused.text(), /<cr:errorCode>PERSON_NOT_FOUND</);
      assert.deepEqual(sim.requests.map((r) => [r.idempotencyKey, r.outcome, r.repeated]), [['k-1', 'ok', false], ['k-1', 'ok', true], ['k-2', 'PERSON_NOT_FOUND', false]]);
      assert.equal(sim.requests[0]!.input.applicantName, 'هبة نزار القاسم');
      assert.equal(sim.requests[0]!.orderId, 'ord-1');
    } finally {
      await sim.close();
    }
  });

  it('vehicle registry: a statement, 404 VEHICLE_NOT_FOUND, Idempotency-Key recorded, delay applied', async () => {
    const sim = await startVehicleRegistry({ port: 0, delayMs: 150 });
    try {
      const t0 = Date.now();
      const ok = await fetch(`${sim.url}/vehicles/123456/ownership?governorate=damascus`, { headers: { 'idempotency-key': 'k-9' } });
      assert.ok(Date.now() - t0 >= 140, 'slowed down');
      assert.equal(ok.status, 200);
      const body = (await ok.json()) as { owner: { nameAr: string }; vehicle: { plate: string } };
      assert.equal(body.owner.nameAr, 'هبة نزار القاسم');
      assert.equal(body.vehicle.plate, '123456');
      sim.setDelay(0);
      const missing = await fetch(`${sim.url}/vehicles/${VEHICLE_NOT_FOUND}/ownership?governorate=damascus`);
      assert.equal(missing.status, 404);
      assert.deepEqual(((await missing.json()) as { code: string }).code, 'VEHICLE_NOT_FOUND');
      assert.equal(sim.requests[0]!.idempotencyKey, 'k-9');
      assert.deepEqual(sim.requests[0]!.input, { plate: '123456', governorate: 'damascus' });
    } finally {
      await sim.close();
    }
  });

  it('startSimulators reads its ports from the environment and starts none with WASL_SIMULATORS=off', async () => {
    const none = await startSimulators({ WASL_SIMULATORS: 'off' });
    assert.equal(none.running.length, 0);
    // Nothing pinned: every one on a free port, twice side by side, the sandbox endpoints pointed at them.
    const sims = await startSimulators({});
    const beside = await startSimulators({});
    try {
      // The five curated ones, then one generated from its contract for every other imported provider.
      const curated = ['moi-civil-registry', 'mot-vehicle-registry', 'sy-epay', 'intl-pay', 'sy-post'];
      const generated = listProviders(DEFAULT_PROVIDERS_ROOT).filter((c) => !curated.includes(c));
      assert.ok(generated.length >= 5);
      assert.deepEqual(sims.running.map((s) => s.name), [...curated, ...generated]);
      assert.deepEqual(beside.running.map((s) => s.name), [...curated, ...generated]);
      const fixed = sims.running.map((s) => new URL(loadProvider(s.name).definition.environments.sandbox!.endpoint).port);
      assert.ok(sims.running.every((s, i) => new URL(s.url).port !== fixed[i]), 'not on the ports provider.json names');
      assert.ok(sims.running.every((s, i) => s.url !== beside.running[i]!.url), 'two sets side by side');
      assert.deepEqual(beside.endpoints, Object.fromEntries(beside.running.map((s) => [s.name, s.url])));
      const civil = createConnector('moi-civil-registry', 'sandbox');
      try {
        await civil.call('IssueIndividualExtract', { nationalNumber: '01020304050', purpose: 'official', copies: 1, language: 'ar', applicantName: 'ريم' }, { orderId: 'ORD-SIDE', idempotencyKey: 'ORD-SIDE:1' });
      } finally {
        await civil.close();
      }
      assert.equal(beside.running[0]!.requests.length, 1, 'the connector called the simulators started last');
    } finally {
      await beside.close();
      await sims.close();
    }
    // A pinned port is kept.
    const free = await freePort();
    const pinned = await startSimulators({ WASL_SIM_CIVIL_PORT: String(free) });
    try {
      assert.equal(new URL(pinned.running[0]!.url).port, String(free));
    } finally {
      await pinned.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
    srv.once('error', fail);
  });
}
