/**
 * The data directory on a shared server (issue 19, items 9 and 10; hub/private-files.ts,
 * hub/runtime/credential-key.ts): `wasl.db` (citizens' data) and the editor's sessions were
 * created 0644, readable by every user of the machine; Node-RED encrypted the flows' credentials
 * with a key of its own and warned at every start. Now:
 *
 *  - the data directory is 0700 and every file in it 0600, whatever the umask, and an older,
 *    wider directory is tightened at start;
 *  - the credentials are encrypted under a key derived from WASL_SECRET (not WASL_SECRET itself),
 *    or, without it, a sandbox key kept 0600 in the data directory: no warning either way; a
 *    file written under WASL_SECRET itself by an earlier version is moved to the derived key.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub, type Hub } from '../../hub/hub';
import { createLogger } from '../../hub/log';
import { hashPassword, parseOperators } from '../../hub/operators';
import { credentialSecret, decryptCredentials, encryptCredentials, type EncryptedCredentials } from '../../hub/runtime/credential-key';
import { LogSink, setProviderCallbackSecrets, testConfig } from '../helpers';
import { currentFlows, deploy, editorLogin, raw, serviceFlowsDir } from './runtime-hub';

const PASSWORD = 'data-files-password-2026';
const SECRET = 'a-wasl-secret-of-at-least-32-characters!!';
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

/** Every file and folder under `dir`, with its mode. */
function modes(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push([p.slice(dir.length + 1), mode(p)]);
    if (e.isDirectory()) out.push(...modes(p).map(([q, m]): [string, string] => [`${e.name}/${q}`, m]));
  }
  return out;
}

/** A hub on a SQLite file in `dataDir` (not in memory), with the runtime, listening. */
async function fileHub(dataDir: string, extra: Parameters<typeof testConfig>[0] = {}): Promise<{ hub: Hub; url: string; logs: LogSink }> {
  const logs = new LogSink();
  const restore = setProviderCallbackSecrets();
  const hub = await createHub(testConfig({ dataDir, flowsDir: serviceFlowsDir(), ...extra }), { runtime: true, logger: createLogger('info', logs) }).finally(restore);
  try {
    await hub.startBackground();
    return { hub, url: await hub.app.listen({ host: '127.0.0.1', port: 0 }), logs };
  } catch (err) {
    await hub.close();
    throw err;
  }
}

describe('security: the data directory', function () {
  this.timeout(60_000);
  let umask: number;
  beforeEach(() => {
    // The most permissive umask: the modes must not depend on it.
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
  });

  it('is created 0700 with every file 0600 (database, WAL, keys, sessions, credentials), whatever the umask', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'wasl-modes-')), 'data');
    const operators = parseOperators(JSON.stringify([{ user: 'rana', passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }), role: 'admin' }]));
    const { hub, url } = await fileHub(dataDir, { operators, secret: SECRET, channelKeys: undefined });
    try {
      const token = (await editorLogin(url, 'rana', PASSWORD)).token!;
      const headers = { authorization: `Bearer ${token}` };
      const { rev, flows } = await currentFlows(url, headers);
      assert.equal((await deploy(url, rev, [...flows, { id: 'prov1', type: 'wasl-provider', name: 'p', code: 'sif-insurance', environment: '', credentials: { password: 'x' } }], headers)).status, 200);
      // (runtime-settings.json too, where Node-RED's settings are available: not in a process
      // where node-red-node-test-helper has run, as in the whole suite.)
      for (const f of ['wasl.db', 'wasl.db-wal', 'wasl.db-shm', 'demo-channel-key', 'node-red/flows_cred.json', 'node-red/editor-sessions.json']) assert.ok(existsSync(join(dataDir, f)), `${f} was made`);
      const wide = modes(dataDir).filter(([p, m]) => (statSync(join(dataDir, p)).isDirectory() ? m !== '700' : m !== '600'));
      assert.deepEqual(wide, [], 'nothing in the data directory is readable by others');
      assert.equal(mode(dataDir), '700');
    } finally {
      await hub.close();
    }
  });

  it('tightens a data directory an older version left readable by others', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'wasl-modes-')), 'data');
    mkdirSync(join(dataDir, 'node-red'), { recursive: true });
    chmodSync(dataDir, 0o755);
    const { hub } = await fileHub(dataDir);
    await hub.close();
    chmodSync(join(dataDir, 'wasl.db'), 0o644);
    chmodSync(dataDir, 0o755);
    const again = await fileHub(dataDir);
    try {
      assert.equal(mode(dataDir), '700');
      assert.equal(mode(join(dataDir, 'wasl.db')), '600');
    } finally {
      await again.hub.close();
    }
  });

  it("encrypts the flows' credentials under a key derived from WASL_SECRET, and warns of no system key", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wasl-creds-'));
    const operators = parseOperators(JSON.stringify([{ user: 'rana', passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }), role: 'admin' }]));
    const { hub, url, logs } = await fileHub(dataDir, { operators, secret: SECRET });
    try {
      const headers = { authorization: `Bearer ${(await editorLogin(url, 'rana', PASSWORD)).token!}` };
      const { rev, flows } = await currentFlows(url, headers);
      assert.equal((await deploy(url, rev, [...flows, { id: 'prov1', type: 'wasl-provider', name: 'p', code: 'sif-insurance', environment: '', credentials: { password: 'pw-1', username: 'svc' } }], headers)).status, 200);
      const blob = JSON.parse(readFileSync(join(dataDir, 'node-red', 'flows_cred.json'), 'utf8')) as EncryptedCredentials;
      assert.equal(decryptCredentials(blob, SECRET), undefined, 'not under WASL_SECRET itself');
      const derived = credentialSecret(SECRET, join(dataDir, 'node-red'));
      assert.notEqual(derived, SECRET);
      assert.deepEqual(decryptCredentials(blob, derived)?.prov1, { password: 'pw-1', username: 'svc' });
      assert.ok(!logs.lines.some((l) => l.includes('system-generated key')), 'no warning of a system-generated key');
      assert.ok(!existsSync(join(dataDir, 'node-red', 'credential-key')), 'no sandbox key beside a WASL_SECRET');
    } finally {
      await hub.close();
    }
  });

  it('keeps a sandbox credential key (0600) without WASL_SECRET, and warns of none', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wasl-creds-'));
    const { hub, logs } = await fileHub(dataDir);
    try {
      const key = join(dataDir, 'node-red', 'credential-key');
      assert.match(readFileSync(key, 'utf8').trim(), /^[0-9a-f]{64}$/);
      assert.equal(mode(key), '600');
      assert.ok(!logs.lines.some((l) => l.includes('system-generated key')), 'no warning of a system-generated key');
    } finally {
      await hub.close();
    }
  });

  it('moves credentials written under WASL_SECRET itself (as wasl did before) to the derived key, and the node still has them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wasl-creds-'));
    const flowsDir = serviceFlowsDir();
    writeFileSync(join(flowsDir, 'shared.json'), JSON.stringify([{ id: 'prov1', type: 'wasl-provider', name: 'p', code: 'sif-insurance', environment: '' }]));
    mkdirSync(join(dataDir, 'node-red'), { recursive: true });
    writeFileSync(join(dataDir, 'node-red', 'flows_cred.json'), JSON.stringify(encryptCredentials({ prov1: { username: 'svc-legacy', password: 'pw-legacy' } }, SECRET)));
    const { hub, url } = await fileHub(dataDir, { secret: SECRET, flowsDir });
    try {
      const view = JSON.parse((await raw(`${url}/red/credentials/wasl-provider/prov1`)).body) as Record<string, unknown>;
      assert.equal(view.username, 'svc-legacy', 'the node has its credentials');
      assert.equal(view.has_password, true);
      const blob = JSON.parse(readFileSync(join(dataDir, 'node-red', 'flows_cred.json'), 'utf8')) as EncryptedCredentials;
      assert.deepEqual(decryptCredentials(blob, credentialSecret(SECRET, join(dataDir, 'node-red')))?.prov1, { username: 'svc-legacy', password: 'pw-legacy' });
    } finally {
      await hub.close();
    }
  });
});
