/**
 * Simulators generated from contracts (sandbox/generated): real servers that any client can call
 * — the soap package's own client on the WSDL they serve, wasl's connectors pointed at them —
 * checking requests against the contract, answering valid examples, and playing each injected
 * fault as the wire would carry it.
 */
import assert from 'node:assert/strict';
import * as soap from 'soap';
import { createAjv } from '../../contracts';
import { createConnector } from '../../connectors';
import { isConnectorError, type ConnectorError } from '../../connectors/errors';
import { listProviders } from '../../connectors/import/write';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import { overrideSandbox } from '../../connectors/sandbox-overrides';
import { exampleOf, ScenarioScripts, startContractSimulator, type GeneratedSimulator, type Script } from '../../sandbox/generated';
import { echoHeaderBlocks } from '../../sandbox/generated/soap';

const CIVIL = 'moi-civil-registry';
const VEHICLE = 'mot-vehicle-registry';
const EXTRACT = { nationalNumber: '01234567890', purpose: 'employment', copies: 2, language: 'ar', applicantName: 'هبة نزار القاسم' };

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isConnectorError(err), `a connector error, got ${String(err)}`);
    return err as ConnectorError;
  }
  assert.fail('the call succeeded');
}

describe('sandbox/generated: simulators generated from contracts', function () {
  this.timeout(30_000);

  it('a valid example for the output of every operation of every imported provider, minimal and (mostly) full', () => {
    const ajv = createAjv();
    let n = 0;
    const at = new Date('2026-11-28T10:00:00Z');
    for (const code of listProviders(DEFAULT_PROVIDERS_ROOT)) {
      for (const [name, op] of Object.entries(loadProvider(code).operations)) {
        const { $id: _id, ...schema } = op.outputSchema;
        const validate = ajv.compile(schema);
        const minimal = exampleOf(op.outputSchema, at);
        assert.ok(validate(minimal), `${code}.${name}: ${JSON.stringify(validate.errors)} for ${JSON.stringify(minimal)}`);
        assert.deepEqual(exampleOf(op.outputSchema, at), minimal, 'deterministic');
        // Filling every optional member can break "exactly one of" (the simulator then falls back to the minimal one); nothing else may.
        const full = exampleOf(op.outputSchema, at, true);
        if (!JSON.stringify(op.outputSchema).includes('"oneOf"')) assert.ok(validate(full), `${code}.${name} full: ${JSON.stringify(validate.errors)}`);
        n++;
      }
    }
    assert.ok(n >= 25, `${n} operations`);
  });

  describe('SOAP (moi-civil-registry, from its WSDL)', () => {
    let sim: GeneratedSimulator;
    const scripts = new ScenarioScripts(2_000);
    let restore: () => void;

    before(async () => {
      sim = await startContractSimulator(CIVIL, { port: 0, scripts });
      restore = overrideSandbox({ endpoints: { [CIVIL]: sim.url }, maxTimeoutMs: 800, maxHalfOpenAfterMs: 50 });
    });
    after(async () => {
      restore?.();
      await sim?.close();
    });

    it('an independent SOAP client (the soap package) reads its WSDL and imports, and calls it', async () => {
      const client = await soap.createClientAsync(`${sim.url}?wsdl`);
      const [res] = (await client.IssueIndividualExtractAsync(EXTRACT)) as [Record<string, unknown>];
      assert.equal(typeof res.extractReference, 'string');
      assert.equal((res.document as Record<string, unknown>).mediaType, 'application/pdf');
      const seen = sim.requests.at(-1)!;
      assert.equal(seen.operation, 'IssueIndividualExtract');
      assert.deepEqual(seen.input, EXTRACT, 'decoded and typed as the contract says (copies a number)');
      assert.equal(seen.outcome, 'ok');
    });

    it('the WSDL it serves names itself as the address', async () => {
      const wsdl = await (await fetch(`${sim.url}?wsdl`)).text();
      assert.match(wsdl, new RegExp(`location="${sim.url}"`));
      const xsd = await fetch(new URL('xroad.xsd', sim.url));
      assert.equal(xsd.status, 200);
      assert.doesNotMatch(await xsd.text(), /schemaLocation="https?:/, 'remote imports pointed at local copies');
    });

    it('a request that breaks the contract gets a Client fault naming what is wrong, and is recorded so', async () => {
      const client = await soap.createClientAsync(`${sim.url}?wsdl`);
      await assert.rejects(client.IssueIndividualExtractAsync({ ...EXTRACT, nationalNumber: '123', purpose: 'fun' }), (err: { root?: { Envelope?: { Body?: { Fault?: { faultcode?: string; faultstring?: string } } } } }) => {
        const fault = err.root?.Envelope?.Body?.Fault;
        assert.equal(fault?.faultcode, 'soap:Client');
        assert.match(fault?.faultstring ?? '', /\/nationalNumber/);
        assert.match(fault?.faultstring ?? '', /\/purpose/);
        return true;
      });
      const seen = sim.requests.at(-1)!;
      assert.equal(seen.outcome, 'INVALID_REQUEST');
      assert.equal(seen.violations?.length, 2);
    });

    it("wasl's connector calls it with X-Road headers; the answer echoes them and is decoded", async () => {
      const c = createConnector(CIVIL, 'sandbox');
      try {
        const r = await c.call('IssueIndividualExtract', EXTRACT, { orderId: 'ORD-A', idempotencyKey: 'ORD-A:moi-civil-registry.IssueIndividualExtract' });
        assert.equal(typeof (r.output as Record<string, unknown>).extractReference, 'string');
        const seen = sim.requests.at(-1)!;
        assert.equal(seen.idempotencyKey, 'ORD-A:moi-civil-registry.IssueIndividualExtract', 'the X-Road id');
        assert.equal(seen.orderId, 'ORD-A');
        // A repeat of the key gets the first answer again.
        const again = await c.call('IssueIndividualExtract', EXTRACT, { orderId: 'ORD-A', idempotencyKey: 'ORD-A:moi-civil-registry.IssueIndividualExtract' });
        assert.deepEqual(again.output, r.output);
        assert.equal(sim.requests.at(-1)!.repeated, true);
      } finally {
        await c.close();
      }
    });

    it('per order: a business fault when the request matches `when`, the default answer otherwise', async () => {
      const script: Script = { providers: { [CIVIL]: { IssueIndividualExtract: { when: { nationalNumber: '09900000002' }, fault: { kind: 'soap-fault', code: 'RECORD_SEALED' } } } } };
      scripts.set('ORD-B', script);
      const c = createConnector(CIVIL, 'sandbox');
      try {
        const err = await failure(c.call('IssueIndividualExtract', { ...EXTRACT, nationalNumber: '09900000002' }, { orderId: 'ORD-B', idempotencyKey: 'ORD-B:1' }));
        assert.equal(err.code, 'business-refusal');
        assert.equal((err as unknown as { reason: string }).reason, 'record-sealed');
        const ok = await c.call('IssueIndividualExtract', EXTRACT, { orderId: 'ORD-B', idempotencyKey: 'ORD-B:2' });
        assert.ok(ok.output);
      } finally {
        await c.close();
      }
    });

    it("an answer the scenario made invalid is not sent as valid: a fault, with the answer's violations recorded", async () => {
      scripts.set('ORD-C', { providers: { [CIVIL]: { IssueIndividualExtract: { respond: { issuedAt: 'yesterday' } } } } });
      const c = createConnector(CIVIL, 'sandbox');
      try {
        await failure(c.call('IssueIndividualExtract', EXTRACT, { orderId: 'ORD-C', idempotencyKey: 'ORD-C:1' }));
        const seen = sim.requests.at(-1)!;
        assert.equal(seen.outcome, 'SIMULATOR_ANSWER_INVALID');
        assert.match(seen.violations?.[0] ?? '', /^answer \/issuedAt/);
      } finally {
        await c.close();
      }
    });

    for (const [kind, code] of [
      ['hostile', 'unsafe-response'],
      ['malformed', 'unsafe-response'],
      ['timeout', 'timeout'],
    ] as const) {
      it(`fault ${kind} over SOAP: ${code}`, async () => {
        const id = `ORD-S-${kind}`;
        scripts.set(id, { providers: { [CIVIL]: { IssueIndividualExtract: { fault: { kind } } } } });
        const c = createConnector(CIVIL, 'sandbox');
        try {
          const err = await failure(c.call('IssueIndividualExtract', EXTRACT, { orderId: id, idempotencyKey: `${id}:1` }));
          assert.equal(err.code, code);
          assert.equal(sim.requests.filter((r) => r.orderId === id)[0]?.outcome, `fault:${kind}`);
        } finally {
          await c.close();
        }
      });
    }

    it('echoed header blocks carry the namespace declarations they used', () => {
      const raw = '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:x="urn:x"><e:Header><x:id>1</x:id><x:client x:t="a"><x:m>2</x:m></x:client></e:Header><e:Body/></e:Envelope>';
      assert.equal(echoHeaderBlocks(raw), '<x:id xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:x="urn:x">1</x:id><x:client xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:x="urn:x" x:t="a"><x:m>2</x:m></x:client>');
    });
  });

  describe('REST (mot-vehicle-registry, from its OpenAPI document)', () => {
    let sim: GeneratedSimulator;
    const scripts = new ScenarioScripts(2_000);
    let restore: () => void;
    const input = (plate: string) => ({ path: { plate }, query: { governorate: 'damascus' } });

    before(async () => {
      sim = await startContractSimulator(VEHICLE, { port: 0, scripts });
      restore = overrideSandbox({ endpoints: { [VEHICLE]: sim.url }, maxTimeoutMs: 600, maxHalfOpenAfterMs: 20 });
    });
    after(async () => {
      restore?.();
      await sim?.close();
    });

    it('answers a valid example, any HTTP client can call it', async () => {
      const res = await fetch(`${sim.url}/vehicles/123456/ownership?governorate=damascus`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(typeof body.statementNumber, 'string');
      assert.deepEqual((body.vehicle as Record<string, unknown>).plate, '123456', "the request's values where the answer has members of the same name");
      assert.deepEqual(sim.requests.at(-1)!.input, { path: { plate: '123456' }, query: { governorate: 'damascus' } });
    });

    it('400 with the violations when a request breaks the contract; 404 for a path it does not serve', async () => {
      const res = await fetch(`${sim.url}/vehicles/123456/ownership`);
      assert.equal(res.status, 400);
      assert.deepEqual(((await res.json()) as { violations: string[] }).violations, ['/query/governorate is required']);
      assert.equal((await fetch(`${sim.url}/nothing`)).status, 404);
    });

    it('an http-error with a business code is a refusal mapped by the provider file', async () => {
      scripts.set('ORD-R', { providers: { [VEHICLE]: { '*': { fault: { kind: 'http-error', status: 404, code: 'VEHICLE_NOT_FOUND' } } } } });
      const c = createConnector(VEHICLE, 'sandbox');
      try {
        const err = await failure(c.call('GetOwnershipStatement', input('999999'), { orderId: 'ORD-R' }));
        assert.equal(err.code, 'business-refusal');
        assert.equal((err as unknown as { reason: string }).reason, 'vehicle-not-found');
      } finally {
        await c.close();
      }
    });

    const wire: Array<[string, Script['providers'], (e: ConnectorError) => void]> = [
      ['timeout', { [VEHICLE]: { '*': { fault: { kind: 'timeout' } } } }, (e) => assert.equal(e.code, 'timeout')],
      ['outage', { [VEHICLE]: { '*': { fault: { kind: 'outage', forMs: 60_000 } } } }, (e) => assert.ok(['transport', 'circuit-open'].includes(e.code), e.code)],
      ['malformed', { [VEHICLE]: { '*': { fault: { kind: 'malformed' } } } }, (e) => assert.ok(['unsafe-response', 'contract-violation'].includes(e.code), e.code)],
      [
        'hostile',
        { [VEHICLE]: { '*': { fault: { kind: 'hostile' } } } },
        (e) => {
          assert.ok(['unsafe-response', 'contract-violation'].includes(e.code), e.code);
          assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype polluted');
        },
      ],
      ['drip', { [VEHICLE]: { '*': { fault: { kind: 'drip' } } } }, (e) => assert.equal(e.code, 'timeout')],
      ['http-error 503', { [VEHICLE]: { '*': { fault: { kind: 'http-error', status: 503 } } } }, (e) => assert.equal(e.code, 'provider-fault')],
    ];
    for (const [kind, providers, check] of wire) {
      it(`fault ${kind}: the connector sees it as the wire carries it`, async () => {
        const id = `ORD-${kind}`;
        scripts.set(id, { providers });
        const c = createConnector(VEHICLE, 'sandbox');
        try {
          check(await failure(c.call('GetOwnershipStatement', input('123456'), { orderId: id })));
          const mine = sim.requests.filter((r) => r.orderId === id);
          assert.ok(mine.length >= 1);
          assert.ok(mine.every((r) => r.outcome === `fault:${kind}` || r.outcome === 'SERVICE_UNAVAILABLE'), JSON.stringify(mine.map((r) => r.outcome)));
        } finally {
          await c.close();
        }
      });
    }

    it('`times`: the fault applies to the first calls only, then the answer comes', async () => {
      scripts.set('ORD-T', { providers: { [VEHICLE]: { GetOwnershipStatement: { fault: { kind: 'http-error', status: 503, times: 1 } } } } });
      const c = createConnector(VEHICLE, 'sandbox');
      try {
        const r = await c.call('GetOwnershipStatement', input('123456'), { orderId: 'ORD-T' });
        assert.ok(r.output);
        assert.deepEqual(
          sim.requests.filter((q) => q.orderId === 'ORD-T').map((q) => q.outcome),
          ['SERVICE_UNAVAILABLE', 'ok'],
          'retried by the connector after the 503',
        );
      } finally {
        await c.close();
      }
    });

    it('latency: the answer waits', async () => {
      scripts.set('ORD-L', { providers: { [VEHICLE]: { '*': { latencyMs: 300 } } } });
      const t = Date.now();
      const res = await fetch(`${sim.url}/vehicles/1/ownership?governorate=damascus`, { headers: { 'x-wasl-order-id': 'ORD-L' } });
      assert.equal(res.status, 200);
      assert.ok(Date.now() - t >= 290);
    });
  });

  describe('ScenarioScripts', () => {
    it('while a submission is announced, an unknown order waits for its registration; otherwise nothing waits', async () => {
      const s = new ScenarioScripts(2_000);
      // Nothing announced: the answer comes before the event loop turns, not after the 2 s wait.
      assert.equal(await Promise.race([s.forOrder('X'), new Promise((r) => setImmediate(() => r('waited')))]), undefined);
      const release = s.expect();
      const pending = s.forOrder('Y');
      setTimeout(() => {
        s.set('Y', { payment: { mode: 'decline' } });
        release();
      }, 100);
      assert.deepEqual(await pending, { payment: { mode: 'decline' } });
    });

    it('an outage lasts its window from the first call, then calls go through', async () => {
      const s = new ScenarioScripts(0);
      s.set('O', { providers: { p: { op: { fault: { kind: 'outage', forMs: 1000 } } } } });
      assert.equal((await s.plan('O', 'p', 'op', {}, 10_000)).fault?.kind, 'outage');
      assert.equal((await s.plan('O', 'p', 'op', {}, 10_900)).fault?.kind, 'outage');
      assert.equal((await s.plan('O', 'p', 'op', {}, 11_001)).fault, undefined);
      assert.equal((await s.plan('O', 'p', 'other', {}, 11_001)).fault, undefined, 'only the operation named');
    });
  });
});
