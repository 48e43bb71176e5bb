/**
 * The operational records of provider calls (like X-Road's): each call a hub's connectors make is
 * kept — start, end, outcome, HTTP status, the provider's fault code, attempts, sizes, order —
 * queryable by provider and time window (`wasl provider calls`), and goes into the audit trail.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createConnector } from '../../connectors';
import { observeCalls, reportCall } from '../../connectors/observe';
import { overrideSandbox } from '../../connectors/sandbox-overrides';
import type { CallRecord } from '../../connectors/connector';
import { ScenarioScripts, startContractSimulator } from '../../sandbox/generated';
import { SqliteStore } from '../../hub/store/sqlite';
import { testHub } from '../helpers';

const REPO = resolve(__dirname, '..', '..');
const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
};

describe('operational records of provider calls', function () {
  this.timeout(60_000);

  it("the connectors report the provider's fault code with the outcome", async () => {
    const scripts = new ScenarioScripts(0);
    scripts.set('ORD-F', { providers: { 'moi-civil-registry': { IssueIndividualExtract: { fault: { kind: 'soap-fault', code: 'RECORD_SEALED' } } } } });
    const sim = await startContractSimulator('moi-civil-registry', { port: 0, scripts });
    const restore = overrideSandbox({ endpoints: { 'moi-civil-registry': sim.url } });
    const seen: CallRecord[] = [];
    const stop = observeCalls((r) => seen.push(r));
    const c = createConnector('moi-civil-registry', 'sandbox');
    try {
      await assert.rejects(c.call('IssueIndividualExtract', { nationalNumber: '01020304050', purpose: 'official', copies: 1, language: 'ar', applicantName: 'ريم' }, { orderId: 'ORD-F', idempotencyKey: 'ORD-F:1' }));
      assert.deepEqual([seen.at(-1)?.outcome, seen.at(-1)?.faultCode], ['business-refusal', 'RECORD_SEALED']);
    } finally {
      stop();
      await c.close();
      restore();
      await sim.close();
    }
  });

  it('a hub keeps every call its process makes, in its records and its audit trail; wasl provider calls lists them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasl-calls-'));
    const hub = await testHub({ dataDir: dir }, new SqliteStore({ file: join(dir, 'wasl.db') }));
    try {
      reportCall({ provider: 'mohe-degrees', operation: 'GetTranscript', endpoint: 'http://127.0.0.1:8098/mohe/degrees/v2', orderId: 'ord_01JCALLS', outcome: 'success', status: 200, attempts: 1, durationMs: 75, requestBytes: 0, responseBytes: 812, startedAt: new Date().toISOString() });
      await until(async () => (await hub.store.listProviderCalls({ provider: 'mohe-degrees', limit: 10 })).length > 0);
      const [rec] = await hub.store.listProviderCalls({ provider: 'mohe-degrees', limit: 10 });
      assert.deepEqual([rec?.operation, rec?.orderId, rec?.status, rec?.responseBytes], ['GetTranscript', 'ord_01JCALLS', 200, 812]);
      await until(async () => (await hub.store.readAudit({ limit: 100 })).some((a) => a.kind === 'provider.call'));
      const audit = (await hub.store.readAudit({ limit: 100 })).find((a) => a.kind === 'provider.call');
      assert.equal(audit?.subject, 'ord_01JCALLS');
    } finally {
      await hub.close();
    }
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'wasl.js'), 'provider', 'calls', 'mohe-degrees'], { env: { ...process.env, WASL_DATA_DIR: dir, WASL_LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^started\s+provider\s+operation\s+outcome/m);
    assert.match(r.stdout, /mohe-degrees\s+GetTranscript\s+success\s+200\s+75\s+1\s+0\s+812\s+ord_01JCALLS/);
    rmSync(dir, { recursive: true, force: true });
  });
});
