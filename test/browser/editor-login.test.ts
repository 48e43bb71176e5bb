/**
 * The editor of a sandbox with operators, in a real browser (Debian's Chromium, playwright-core):
 * the login dialog Node-RED's editor shows posts to wasl's own /red/auth/token
 * (hub/runtime/editor-login.ts), the editor then loads with the session (its WebSocket included,
 * which the gateway's Origin and Host checks let through from the page itself), and Deploy — a
 * browser's same-origin POST, with its Origin header — saves the flow and is audited by name.
 * A wrong password shows the dialog's failure, not a lockout. With the session, a wasl-map
 * dialog fills its schema chooser: the dialogs' shared code loads without a token (static, from
 * the module's resources/), the providers it lists come from the admin API with one.
 *
 * Skipped, with a line saying so, when /usr/bin/chromium is absent (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { hashPassword, parseOperators } from '../../hub/operators';
import type { TestHub } from '../helpers';
import { runtimeHub, SERVICE, serviceFlowsDir, until } from '../security/runtime-hub';
import { launchChromium, skipWithoutChromium } from './chromium';

const PASSWORD = 'كلمة سر المحرر 2026';

describe('flows editor login in Chromium', function () {
  this.timeout(120_000);
  let hub: TestHub | undefined;
  let url = '';
  let flowsDir = '';
  let browser: Browser | undefined;

  before(async function () {
    skipWithoutChromium(this);
    const operators = parseOperators(JSON.stringify([{ user: 'rana', passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }), role: 'admin' }]));
    flowsDir = serviceFlowsDir([{ id: 'map1', z: 'tab1', type: 'wasl-map', name: '', expression: 'payload', source: 'expression', definitionKey: 'input', schema: 'input', def: '', provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', property: 'input', x: 160, y: 100, wires: [[]] }]);
    ({ hub, url } = await runtimeHub({ flowsDir, operators }));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  it("logs in through the editor's dialog, deploys from the page, and the deploy is audited by name", async () => {
    const context = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${url}/red/`, { waitUntil: 'domcontentloaded' });
      const user = page.locator('#node-dialog-login-username');
      await user.waitFor({ state: 'visible', timeout: 60_000 });
      await user.fill('rana');
      await page.locator('#node-dialog-login-password').fill('not the password');
      await page.locator('#node-dialog-login-submit').click();
      await page.locator('#node-dialog-login-failed').waitFor({ state: 'visible', timeout: 15_000 });

      await page.locator('#node-dialog-login-password').fill(PASSWORD);
      await page.locator('#node-dialog-login-submit').click();
      await page.locator('#red-ui-palette-container-wasl').waitFor({ state: 'attached', timeout: 60_000 });
      type Red = { nodes: { workspace(id: string): unknown; node(id: string): unknown; dirty(): boolean }; view: { importNodes(n: unknown[], o?: unknown): void }; editor: { edit(node: unknown): void } };
      // The flows come after the palette: the change goes onto the service's tab once it is there.
      await page.waitForFunction(() => (window as unknown as { RED: Red }).RED.nodes.workspace('tab1') !== undefined, undefined, { timeout: 60_000 });

      // A wasl-map dialog's chooser, filled by the shared editor code with the session's providers.
      await page.evaluate(() => {
        const RED = (window as unknown as { RED: Red }).RED;
        RED.editor.edit(RED.nodes.node('map1'));
      });
      // The choosers hold their empty choice from the start; the providers' operations come with the admin API's answer.
      await page.waitForFunction(() => document.querySelectorAll('#node-input-operation option:not([value=""])').length > 0, undefined, { timeout: 15_000 });
      assert.equal(await page.locator('#node-input-provider').inputValue(), 'moi-civil-registry');
      assert.equal(await page.locator('#node-input-operation').inputValue(), 'IssueIndividualExtract');
      await page.locator('#node-dialog-cancel').click();
      await page.locator('#node-input-provider').waitFor({ state: 'detached', timeout: 15_000 });

      // A change on the service's tab, then Deploy as a person presses it.
      await page.evaluate(() => {
        (window as unknown as { RED: Red }).RED.view.importNodes([{ id: 'browser-note', type: 'comment', name: 'من المتصفح', x: 200, y: 200, wires: [] }], { generateIds: false });
      });
      // An imported node follows the mouse until it is dropped: a click on the canvas drops it.
      await page.mouse.click(600, 400);
      await page.waitForFunction(() => (window as unknown as { RED: Red }).RED.nodes.node('browser-note') !== undefined && (window as unknown as { RED: Red }).RED.nodes.dirty(), undefined, { timeout: 15_000 });
      const deployed = page.waitForResponse((r) => r.url().endsWith('/red/flows') && r.request().method() === 'POST', { timeout: 30_000 });
      await page.locator('#red-ui-header-button-deploy').click();
      const res = await deployed;
      assert.equal(res.status(), 200, await res.text());
      await until(() => readFileSync(join(flowsDir, SERVICE, 'flow.json'), 'utf8').includes('من المتصفح'), 30_000, 'the deployed flow on disk');
      await until(async () => (await hub!.store.readAudit({ subject: 'editor', limit: 100 })).some((a) => a.data.action === 'deploy' && a.actor === 'operator:rana'), 10_000, 'the deploy in the audit trail');
      const logins = (await hub!.store.readAudit({ subject: 'editor', limit: 100 })).map((a) => [a.actor, a.data.action]);
      assert.deepEqual(logins.slice(0, 2), [['operator:rana', 'login-failed'], ['operator:rana', 'login']]);
    } finally {
      await context.close();
    }
  });
});
