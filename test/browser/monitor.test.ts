/**
 * The monitoring dashboard in a real browser (Debian's Chromium, playwright-core): an operator logs
 * in, sees the figures of the orders the test submitted and its ministries' health, switches to
 * English and back to Arabic (right to left), finds an order by national number (masked), and
 * replays a dead-lettered event; sees a payment not applied as not matching its invoice, and — as the
 * admin alone — the admin actions. Screenshots in test-artifacts/monitor-ar.png and monitor-en.png.
 * Skipped, with a line saying so, when /usr/bin/chromium is absent (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from './chromium';
import type { Order } from '../../contracts/types';
import { reportCall } from '../../connectors/observe';
import { hashPassword } from '../../hub/operators';
import { auth, CITIZEN, KEYS, newKey, testHub, validRequest, type TestHub } from '../helpers';

const ARTIFACTS = resolve(__dirname, '..', '..', 'test-artifacts');

describe('monitoring dashboard in Chromium', function () {
  this.timeout(120_000);
  let hub: TestHub | undefined;
  let browser: Browser | undefined;
  let url = '';
  const ids: string[] = [];

  before(async function () {
    skipWithoutChromium(this);
    const cost = { N: 1024, r: 8, p: 1 };
    hub = await testHub({ operators: [{ user: 'maha', passwordHash: await hashPassword('operator-password', cost), role: 'operator' }, { user: 'rana', passwordHash: await hashPassword('admin-password', cost), role: 'admin' }] });
    url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    for (let i = 0; i < 3; i++) {
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() });
      ids.push(res.json<Order>().id);
    }
    reportCall({ provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', endpoint: 'http://127.0.0.1:8091/moi', orderId: ids[0], outcome: 'success', status: 200, attempts: 1, durationMs: 180, requestBytes: 700, responseBytes: 1500, startedAt: new Date().toISOString() });
    await hub.store.recordDeadLetter({ message: { eventId: `evt-${newKey()}`, orderId: ids[1], service: 'civil-registry-individual-extract', type: 'order.received', occurredAt: new Date().toISOString(), payload: {} } as never, reason: 'attempts-exhausted', history: [] });
    const anomaly = { kinds: ['amount-mismatch' as const], expected: { invoiceId: 'INV-B1', amount: 2500, currency: 'SYP' }, received: { invoiceId: 'INV-B1', amount: 1, currency: 'SYP' } };
    await hub.store.recordCallback({ provider: 'sy-epay', eventId: 'EV-B1', type: 'invoice.paid', orderId: ids[2], reference: 'TX-B1', amount: 1, currency: 'SYP', outcome: 'anomaly', anomaly, receivedAt: new Date().toISOString() });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('shows the figures live, in Arabic and English, finds an order by national number and replays a dead letter', async () => {
    const context = await browser!.newContext({ httpCredentials: { username: 'maha', password: 'operator-password' }, viewport: { width: 1400, height: 1100 } });
    const page = await context.newPage();
    try {
      await page.goto(`${url}/monitor`, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction(() => Number(document.getElementById('accepted')?.textContent) >= 3, undefined, { timeout: 15_000 });
      assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
      assert.match(await page.locator('header').innerText(), /maha \(operator\)/);
      assert.ok((await page.locator('#statusChart rect').count()) >= 1, 'a chart of orders by status');
      // The ministry by its name (its code is the row's data-provider and the cell's tooltip).
      await page.locator('#providerRows tr[data-provider="moi-civil-registry"]', { hasText: 'وزارة الداخلية' }).waitFor({ timeout: 15_000 });
      await page.locator('#deadRows tr', { hasText: ids[1]! }).waitFor({ timeout: 15_000 });
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'monitor-ar.png'), fullPage: true });

      await page.click('#lang');
      assert.equal(await page.evaluate(() => document.documentElement.dir), 'ltr');
      assert.equal((await page.locator('[data-t="overview"]').innerText()).trim(), 'Overview');
      await page.screenshot({ path: join(ARTIFACTS, 'monitor-en.png'), fullPage: true });
      await page.click('#lang');
      assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');

      await page.fill('#q', CITIZEN.nationalNumber);
      await page.click('#searchForm button');
      await page.locator('#results tr', { hasText: ids[0]! }).waitFor({ timeout: 10_000 });
      assert.ok(!(await page.locator('#results').innerText()).includes(CITIZEN.nationalNumber), 'masked in the list');
      assert.ok((await page.locator('#results').innerText()).includes('0311*****54'));
      await page.click(`a[data-order="${ids[0]}"]`);
      await page.locator('#detail', { hasText: 'moi-civil-registry.IssueIndividualExtract' }).waitFor({ timeout: 10_000 });

      await page.click(`#deadRows button[data-act="replay"]`);
      await page.locator('#deadRows tr', { hasText: ids[1]! }).waitFor({ state: 'detached', timeout: 10_000 });
      const order = (await hub!.store.getOrder(ids[1]!))!;
      assert.ok(order.timeline.some((s) => s.actor.kind === 'operator' && s.actor.id === 'maha'), 'the replay is on the order');
      assert.ok(existsSync(join(ARTIFACTS, 'monitor-ar.png')) && existsSync(join(ARTIFACTS, 'monitor-en.png')));
    } finally {
      await context.close();
    }
  });

  it('shows every role the payments not applied, and the admin alone the admin actions, in Arabic and English', async () => {
    const asOperator = await browser!.newContext({ httpCredentials: { username: 'maha', password: 'operator-password' }, viewport: { width: 1400, height: 1100 } });
    try {
      const page = await asOperator.newPage();
      await page.goto(`${url}/monitor`, { waitUntil: 'domcontentloaded' });
      const row = page.locator('#anomalyRows tr', { hasText: ids[2]! });
      await row.waitFor({ timeout: 15_000 });
      assert.match(await row.innerText(), /2500 SYP[\s\S]*1 SYP/);
      assert.match(await row.innerText(), /المبلغ/);
      await page.waitForFunction(() => Number(document.getElementById('anomalyCount')?.textContent) >= 1, undefined, { timeout: 15_000 });
      assert.equal(await page.locator('#admin').isVisible(), false, 'no admin actions for an operator');
    } finally {
      await asOperator.close();
    }

    const asAdmin = await browser!.newContext({ httpCredentials: { username: 'rana', password: 'admin-password' }, viewport: { width: 1400, height: 1100 } });
    try {
      const page = await asAdmin.newPage();
      await page.goto(`${url}/monitor`, { waitUntil: 'domcontentloaded' });
      assert.equal(await page.locator('#admin').isVisible(), true);
      // The operator's sign-in above, newest first after the admin's own.
      await page.locator('#adminRows tr', { hasText: 'operator:maha' }).first().waitFor({ timeout: 15_000 });
      assert.equal((await page.locator('#admin h2').innerText()).trim(), 'إجراءات المشرفين');
      assert.match(await page.locator('#adminRows').innerText(), /فتح لوحة المراقبة/);
      await page.click('#lang');
      assert.equal((await page.locator('#admin h2').innerText()).trim(), 'Admin actions');
      assert.equal((await page.locator('#anomalies h2').innerText()).trim(), 'Payment anomalies');
      await page.locator('#adminRows tr', { hasText: 'Dashboard opened' }).first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'monitor-admin-en.png'), fullPage: true });
      await page.click('#lang');
    } finally {
      await asAdmin.close();
    }
  });
});
