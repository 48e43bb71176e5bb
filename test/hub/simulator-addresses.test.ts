/** hub/simulator-addresses.ts: where a sandbox hub records its simulators, and who may use the record. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetSimulators, recordedSimulators, recordSimulators, simulatorsFile, useRecordedSimulators } from '../../hub/simulator-addresses';

describe('simulator addresses (data dir simulators.json)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wasl-sim-addr-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records 0600, reads back while the process lives, and is forgotten by its writer only', () => {
    assert.equal(recordedSimulators(dir), undefined);
    recordSimulators(dir, { 'sy-epay': 'http://127.0.0.1:40001/epay/v1' });
    assert.equal(statSync(simulatorsFile(dir)).mode & 0o777, 0o600);
    assert.deepEqual(recordedSimulators(dir)?.endpoints, { 'sy-epay': 'http://127.0.0.1:40001/epay/v1' });
    forgetSimulators(dir);
    assert.equal(recordedSimulators(dir), undefined);
  });

  it('ignores a record left by a process that is gone, or one that is not JSON', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(simulatorsFile(dir), JSON.stringify({ pid: Number(gone.stdout), startedAt: '', endpoints: { 'sy-epay': 'http://127.0.0.1:1/epay/v1' } }));
    assert.equal(recordedSimulators(dir), undefined);
    assert.equal(useRecordedSimulators(dir), undefined);
    forgetSimulators(dir);
    writeFileSync(simulatorsFile(dir), '{not json');
    assert.equal(recordedSimulators(dir), undefined);
  });

  it('takes only loopback addresses from a record: one that points elsewhere is dropped', () => {
    writeFileSync(simulatorsFile(dir), JSON.stringify({ pid: process.pid, startedAt: '', endpoints: { 'sy-epay': 'http://127.0.0.1:40001/epay/v1', 'moi-civil-registry': 'https://registry.moi.gov.sy/soap', 'sy-post': 'file:///etc/passwd' } }));
    assert.deepEqual(recordedSimulators(dir)?.endpoints, { 'sy-epay': 'http://127.0.0.1:40001/epay/v1' });
    forgetSimulators(dir);
  });
});
