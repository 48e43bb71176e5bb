/**
 * The seed catalogue (sandbox/catalogue): its 48 services load, each has scenarios for every
 * delivery method it offers and for a business refusal, services of one provider share its
 * pattern flow, and the files in flows/ are what the table makes them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryMethod } from '../../contracts/types';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import { checkCertificate, readCertificate } from '../../sandbox/certificate';
import { Catalogue } from '../../hub/catalogue';
import { lifecycleHistory } from '../../hub/lifecycle';
import { loadScenarios } from '../../sandbox/runner/scenarios';
import { buildCatalogue, patternOf } from '../../sandbox/catalogue/build';
import { SEED_SERVICES } from '../../sandbox/catalogue/services';
import { FLOWS_DIR, TEST_CERT_KEYS } from '../helpers';

const MINISTRIES = ['moi-civil-registry', 'moj-judicial-records', 'moe-exams', 'mohe-degrees', 'mot-vehicle-registry', 'motour-licensing', 'sif-insurance'];

describe('the seed catalogue', () => {
  const catalogue = Catalogue.load(FLOWS_DIR);

  it('has the 48 services, bilingual, over seven ministries in a mix of styles', () => {
    assert.equal(SEED_SERVICES.length, 48);
    assert.equal(new Set(SEED_SERVICES.map((s) => s.code)).size, 48);
    for (const s of SEED_SERVICES) {
      const def = catalogue.get(s.code)?.definition;
      assert.ok(def, `${s.code} is in flows/`);
      assert.ok(/\p{Script=Arabic}/u.test(def.names.ar) && /^[A-Z]/.test(def.names.en), `${s.code} names`);
    }
    assert.deepEqual([...new Set(SEED_SERVICES.map((s) => s.provider))].sort(), [...MINISTRIES].sort());
    const defs = MINISTRIES.map((m) => loadProvider(m).definition);
    const soap = defs.filter((d) => d.kind === 'soap');
    const rest = defs.filter((d) => d.kind === 'rest');
    assert.ok(soap.length >= 3 && rest.length >= 3);
    assert.ok(soap.some((d) => d.xroad), 'a SOAP provider with X-Road headers');
    assert.ok(soap.some((d) => d.environments.sandbox?.security?.wsSecurity ?? d.security?.wsSecurity), 'a SOAP provider with WS-Security');
    const soap12 = soap.filter((d) => Object.values(loadProvider(d.code).operations).some((o) => (o.binding as { soapVersion?: string }).soapVersion === '1.2'));
    assert.equal(soap12.length, 1, 'a SOAP 1.2 provider');
    assert.ok(rest.some((d) => d.security?.oauth2), 'a REST provider with OAuth2 client credentials');
    assert.ok(rest.some((d) => d.contract.type === 'manual'), 'a REST provider described by hand');
    assert.ok(rest.some((d) => Object.values(loadProvider(d.code).operations).some((o) => (o.binding as { requestMediaType?: string }).requestMediaType === 'application/xml')), 'a REST provider with XML bodies');
    for (const d of defs) assert.ok((d.errors?.rules?.length ?? 0) >= 2, `${d.code} maps its business refusals`);
  });

  it('every service has scenarios for each of its delivery methods and a business refusal', () => {
    for (const { definition: def } of catalogue.all()) {
      const scenarios = loadScenarios(def.code, FLOWS_DIR).map((l) => l.scenario);
      assert.ok(scenarios.length > 0, `${def.code} has scenarios`);
      for (const method of def.delivery) {
        const covered = scenarios.some((s) => (s.order as { delivery?: { method?: DeliveryMethod } } | undefined)?.delivery?.method === method && ['delivered', 'ready-for-pickup'].includes(s.expect.status));
        assert.ok(covered, `${def.code}: no scenario delivers by ${method}`);
      }
      const refusal = scenarios.some((s) => s.expect.reason && Object.values(s.providers ?? {}).some((ops) => Object.values(ops ?? {}).some((b) => b?.fault?.code)));
      assert.ok(refusal, `${def.code}: no scenario of a business refusal`);
    }
  });

  it('services of one provider share its pattern flow, each with its own operation and mappings', () => {
    for (const s of SEED_SERVICES.filter((x) => !x.ownFlow)) {
      const def = catalogue.get(s.code)!.definition;
      assert.equal(def.flow?.pattern, patternOf(s.provider));
      assert.equal(existsSync(join(FLOWS_DIR, s.code, 'flow.json')), false, `${s.code} has no flow of its own`);
      assert.ok(existsSync(join(FLOWS_DIR, patternOf(s.provider), 'flow.json')));
    }
  });

  it('all 48 are live, each on a certificate that holds for what it depends on as it is now, signed by the test QA key', () => {
    const roots = { flowsDir: FLOWS_DIR, providersRoot: DEFAULT_PROVIDERS_ROOT, base: join(FLOWS_DIR, '..') };
    const again = (code: string) => `certify again: WASL_CERT_SIGNING_KEY=<test/fixtures/release-keys.json's signingKey> npx wasl sandbox test ${code} && npx wasl service promote ${code}`;
    for (const s of SEED_SERVICES) {
      assert.equal(catalogue.get(s.code)!.definition.lifecycle, 'live', s.code);
      const problem = checkCertificate(s.code, roots);
      assert.equal(problem, undefined, `${problem?.message} — ${again(s.code)}`);
      const trusted = checkCertificate(s.code, roots, { publicKeys: [TEST_CERT_KEYS.publicKey] });
      assert.equal(trusted, undefined, `${trusted?.message} — ${again(s.code)}`);
      const last = lifecycleHistory(s.code, roots).at(-1);
      assert.equal(last?.lifecycle, 'live');
      assert.equal(last?.digest, readCertificate(s.code, roots)?.digest, `${s.code} is live on the certificate it has`);
    }
  });

  it('flows/ holds what sandbox/catalogue/services.ts makes (npm run catalogue)', () => {
    assert.deepEqual(buildCatalogue(FLOWS_DIR, true), []);
  });

  it('refuses a mapping that does not parse, and a pattern without its flow', () => {
    const def = { ...catalogue.get('birth-certificate-extract')!.definition };
    assert.throws(() => new Catalogue([{ ...def, flow: { ...def.flow!, input: '{ "a": ' } }]), /\/flow\/input is not a valid JSONata expression/);
    const dir = mkdtempSync(join(tmpdir(), 'wasl-pattern-'));
    try {
      mkdirSync(join(dir, def.code));
      writeFileSync(join(dir, def.code, 'service.json'), JSON.stringify({ ...def, flow: { ...def.flow!, pattern: 'pattern-nowhere' } }));
      assert.throws(() => Catalogue.load(dir), /its flow pattern pattern-nowhere has no .*pattern-nowhere\/flow\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
