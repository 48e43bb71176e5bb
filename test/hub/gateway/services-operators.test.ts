/**
 * GET /v1/services for operators (HTTP Basic, WASL_OPERATORS): every service whatever its
 * lifecycle, with its certificate (and whether it still holds) and who certified, promoted or
 * retired it and when. Channels keep their own view; operators get nothing else of the API.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogueEntry } from '../../../contracts/types';
import { DEFAULT_PROVIDERS_ROOT } from '../../../connectors/provider-files';
import { hashPassword } from '../../../hub/operators';
import { promote, retire, type ServiceRoots } from '../../../hub/lifecycle';
import { certificateReader, certify } from '../../../sandbox/certificate';
import { auth, FLOWS_DIR, KEYS, testHub, type TestHub } from '../../helpers';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const VEHICLE = 'vehicle-ownership-statement';
const CIVIL = 'civil-registry-individual-extract';

describe('gateway: the catalogue as operators see it', function () {
  this.timeout(30_000);
  let dir: string;
  let hub: TestHub;
  let roots: ServiceRoots;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wasl-ops-catalogue-'));
    const flows = join(dir, 'flows');
    cpSync(FLOWS_DIR, flows, { recursive: true, filter: (src) => !/(certificate|lifecycle)\.json$/.test(src) });
    roots = { flowsDir: flows, providersRoot: DEFAULT_PROVIDERS_ROOT, base: dir };
    const report = { scenarios: 2, passed: 2, failed: 0, durationMs: 1200 };
    certify(VEHICLE, report, roots, 'qa-lina', { now: new Date('2026-11-20T09:00:00Z') });
    promote(VEHICLE, roots, 'ops-samer', certificateReader, new Date('2026-11-21T10:00:00Z'));
    certify(CIVIL, report, roots, 'qa-lina', { now: new Date('2026-11-22T09:00:00Z') });
    // Edited after its certification: the certificate no longer holds.
    const def = join(flows, CIVIL, 'service.json');
    writeFileSync(def, readFileSync(def, 'utf8').replace('"hours": 24', '"hours": 12'));
    retire('no-criminal-record-certificate', roots, 'ops-samer', new Date('2026-11-23T10:00:00Z'));
    const passwordHash = await hashPassword('s3cret-operator', { N: 1024, r: 8, p: 1 });
    hub = await testHub({ flowsDir: flows, operators: [{ user: 'maha', passwordHash, role: 'viewer' }] });
  });
  after(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an operator sees every service, with its certificate and lifecycle history', async () => {
    const res = await hub.app.inject({ url: '/v1/services', headers: basic('maha', 's3cret-operator') });
    assert.equal(res.statusCode, 200, res.body);
    const services = new Map(res.json<{ services: CatalogueEntry[] }>().services.map((s) => [s.code, s]));
    assert.deepEqual([...services.keys()].sort(), hub.catalogue.all().map((s) => s.definition.code).sort(), 'every service, whatever its lifecycle');

    const vehicle = services.get(VEHICLE)!;
    assert.equal(vehicle.lifecycle, 'live');
    assert.deepEqual(vehicle.lifecycleHistory?.map((c) => [c.lifecycle, c.by, c.at]), [
      ['certified', 'qa-lina', '2026-11-20T09:00:00.000Z'],
      ['live', 'ops-samer', '2026-11-21T10:00:00.000Z'],
    ]);
    assert.equal(vehicle.certificate?.holds, true);
    assert.equal(vehicle.certificate?.by, 'qa-lina');
    assert.equal(vehicle.lifecycleHistory?.[1]?.digest, vehicle.certificate?.digest, 'promoted on that certificate');

    const civil = services.get(CIVIL)!;
    assert.equal(civil.lifecycle, 'certified');
    assert.equal(civil.certificate?.holds, false);
    assert.match(civil.certificate?.problem ?? '', /flows\/civil-registry-individual-extract\/service\.json/);

    const retired = services.get('no-criminal-record-certificate')!;
    assert.equal(retired.lifecycle, 'retired');
    assert.equal(retired.certificate, undefined);
  });

  it('a channel sees what it may order, without certificates or history', async () => {
    const res = await hub.app.inject({ url: '/v1/services', headers: auth(KEYS.centre) });
    assert.equal(res.statusCode, 200);
    const services = res.json<{ services: CatalogueEntry[] }>().services;
    assert.ok(services.length >= 2);
    assert.ok(services.every((s) => s.lifecycle !== 'retired' && s.certificate === undefined && s.lifecycleHistory === undefined));
  });

  it('a wrong password, an unknown user or a malformed header is refused; an operator cannot submit orders', async () => {
    for (const headers of [basic('maha', 'wrong'), basic('nobody', 's3cret-operator'), { authorization: 'Basic !!!' }, { authorization: 'Basic ' + Buffer.from('no-colon').toString('base64') }]) {
      const res = await hub.app.inject({ url: '/v1/services', headers });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
    }
    const post = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...basic('maha', 's3cret-operator'), 'idempotency-key': 'k-operator-1' }, payload: {} });
    assert.equal(post.statusCode, 401);
    const list = await hub.app.inject({ url: '/v1/orders', headers: basic('maha', 's3cret-operator') });
    assert.equal(list.statusCode, 401);
  });
});
