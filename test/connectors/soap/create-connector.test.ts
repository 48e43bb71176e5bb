/**
 * createSoapConnector on a provider as `wasl provider import` writes it (contracts/providers/<code>/
 * in a temp root): the schemas from the operation files, the model compiled from contract/, the
 * endpoint and X-Road settings from provider.json.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importWsdl } from '../../../connectors/import/wsdl';
import { writeProvider } from '../../../connectors/import/write';
import { createSoapConnector } from '../../../connectors/soap/index';
import { CORPUS } from './codec-helpers';
import { startSoapServer, XROAD_CONFIG, type SoapTestServer } from './servers';

describe('soap/createSoapConnector', function () {
  let root: string;
  let srv: SoapTestServer;
  let headers: any;  
  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'wasl-soap-providers-'));
    const wsdl = `${CORPUS}/xroad-example-adapter/example-adapter.wsdl`;
    await writeProvider(root, 'xroad-adapter', await importWsdl('xroad-adapter', wsdl));
    srv = await startSoapServer({
      wsdlFile: wsdl,
      services: { testService: { testServicePort: { helloService: (a: { name: string }, _cb: unknown, h: unknown) => ((headers = h), { message: `أهلاً ${a.name}` }) } } },
    });
    const file = path.join(root, 'xroad-adapter', 'provider.json');
    const def = JSON.parse(readFileSync(file, 'utf8'));
    def.environments.sandbox.endpoint = srv.url;
    def.environments.production = { endpoint: 'https://xroad.example.sy/cgi-bin/consumer_proxy' };
    def.xroad = XROAD_CONFIG;
    writeFileSync(file, JSON.stringify(def, null, 2));
  });
  after(async () => {
    await srv.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('loads the provider files and calls the sandbox endpoint', async () => {
    const conn = createSoapConnector('xroad-adapter', 'sandbox', { providersRoot: root });
    assert.equal(conn.environment, 'sandbox');
    assert.equal(conn.endpoint, srv.url);
    const r = await conn.call('helloService', { name: 'ريم' }, { orderId: 'ORD-1', userId: 'centre-dam-01' });
    assert.deepEqual(r.output, { message: 'أهلاً ريم' });
    assert.equal(headers.service.serviceCode, 'helloService');
    assert.equal(headers.issue, 'ORD-1');
    assert.ok(conn.operations().some((o) => o.name === 'personDetails'));
  });

  it('picks the production endpoint for production', () => {
    const conn = createSoapConnector('xroad-adapter', 'production', { providersRoot: root });
    assert.equal(conn.endpoint, 'https://xroad.example.sy/cgi-bin/consumer_proxy');
  });

  it('an environment the provider does not define is a clear error', () => {
    const file = path.join(root, 'xroad-adapter', 'provider.json');
    const def = JSON.parse(readFileSync(file, 'utf8'));
    delete def.environments.production;
    writeFileSync(file, JSON.stringify(def, null, 2));
    assert.throws(() => createSoapConnector('xroad-adapter', 'production', { providersRoot: root }), /no production environment/);
  });
});
