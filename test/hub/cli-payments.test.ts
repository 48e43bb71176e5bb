/** `wasl payments reconcile`: against the payment simulators, on free ports recorded in the data dir (hub/simulator-addresses.ts). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteStore } from '../../hub/store/sqlite';
import { startEpay, startIntlPay, type RunningSimulator } from '../../sandbox/simulators';
import { recordSimulators } from '../../hub/simulator-addresses';

const BIN = resolve(__dirname, '..', '..', 'bin', 'wasl.js');

describe('wasl payments reconcile', function () {
  this.timeout(60_000);
  let sims: RunningSimulator[] = [];
  let sink: Server;
  let dir: string;

  before(async () => {
    sims = [await startEpay({ port: 0, payDelayMs: 10, callbackRetryDelaysMs: [] }), await startIntlPay({ port: 0, payDelayMs: 10, callbackRetryDelaysMs: [] })];
    // Where the stray payment's callback goes: nowhere that matters.
    sink = createServer((_req, res) => res.writeHead(200).end()).listen(0, '127.0.0.1');
    dir = mkdtempSync(join(tmpdir(), 'wasl-reconcile-'));
    // On free ports: `wasl` finds them where a sandbox hub would record its own, in the data dir.
    recordSimulators(dir, Object.fromEntries(sims.map((s) => [s.name, s.url])));
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.close()));
    sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Not spawnSync: the simulators it calls live in this process's event loop.
  const run = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, [BIN, 'payments', 'reconcile', ...args], { env: { ...process.env, WASL_DATA_DIR: dir, WASL_ENV: 'sandbox', DATABASE_URL: '', AMQP_URL: '', WASL_LOG_LEVEL: 'silent' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => done({ status, stdout, stderr }));
    });

  it('refuses a malformed date', async () => {
    const r = await run('--date', '28/11/2026');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /YYYY-MM-DD/);
  });

  it('lists a settled payment for an order the hub does not know, and exits 2', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const clean = await run('--date', today, '--json');
    assert.equal(clean.status, 0, clean.stderr);
    assert.deepEqual(JSON.parse(clean.stdout).mismatches, []);

    const { port } = sink.address() as { port: number };
    const res = await fetch(`${sims[0]!.url}/invoices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `stray-${Date.now()}` },
      body: JSON.stringify({ merchantReference: 'ord_01JZZZZZZZZZZZZZZZZZZZZZZZ', amount: 5000, currency: 'SYP', description: 'paid at the provider', callbackUrl: `http://127.0.0.1:${port}/cb`, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }),
    });
    assert.equal(res.status, 201);
    const invoiceId = ((await res.json()) as { invoiceId: string }).invoiceId;
    for (let i = 0; i < 100; i++) {
      const s = (await (await fetch(`${sims[0]!.url}/invoices/${invoiceId}`)).json()) as { status: string };
      if (s.status === 'paid') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const found = await run('--date', today);
    assert.equal(found.status, 2, found.stderr);
    assert.match(found.stdout, /payment-without-order\s+sy-epay\s+ord_01JZZZZZZZZZZZZZZZZZZZZZZZ/);
    assert.match(found.stdout, /sy-epay: 1 settled \(5000 SYP\)/);
  });

  it('lists a payment the hub did not apply because it was not the invoice\'s amount, and exits 2', async () => {
    const today = new Date().toISOString().slice(0, 10);
    // What the hub recorded when the provider reported 1 SYP for a 2,500 SYP invoice (test/security/payment-mismatch.test.ts).
    const store = new SqliteStore({ file: join(dir, 'wasl.db') });
    const anomaly = { kinds: ['amount-mismatch' as const], expected: { invoiceId: 'INV-CLI-1', amount: 2500, currency: 'SYP' }, received: { invoiceId: 'INV-CLI-1', amount: 1, currency: 'SYP' } };
    await store.recordCallback({ provider: 'sy-epay', eventId: 'EV-CLI-1', type: 'invoice.paid', orderId: 'ord_01JYYYYYYYYYYYYYYYYYYYYYYY', reference: 'TX-CLI-1', amount: 1, currency: 'SYP', outcome: 'anomaly', anomaly, receivedAt: new Date().toISOString() });
    await store.close();
    const found = await run('--date', today);
    assert.equal(found.status, 2, found.stderr);
    assert.match(found.stdout, /amount-mismatch\s+sy-epay\s+ord_01JYYYYYYYYYYYYYYYYYYYYYYY\s+TX-CLI-1\s+1 SYP\n\s+reported 1 SYP on invoice INV-CLI-1; the order's invoice asks 2500 SYP on invoice INV-CLI-1; not applied to the order: refund it or settle it by hand with the provider/);
    const json = JSON.parse((await run('--date', today, '--json')).stdout) as { mismatches: Array<{ kind: string; anomaly?: unknown }> };
    assert.deepEqual(json.mismatches.find((m) => m.kind === 'amount-mismatch')?.anomaly, anomaly);
  });
});
