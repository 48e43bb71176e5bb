/**
 * The flows editor in a real browser: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core — never a downloaded browser. A sandbox hub with the runtime on a temporary data
 * dir; the editor at /red/ with the browser's language set to Arabic (Node-RED's editor takes its
 * language from the browser unless the user picked one: `navigator.language`, sent as
 * Accept-Language when it loads the nodes' help); wasl's nodes are in the palette under the
 * `wasl` category, and a node's help opens in Arabic, right-to-left. A screenshot is saved to
 * test-artifacts/editor-ar.png. A wasl-map node's dialog fills its schema chooser (the providers,
 * the chosen provider's operations, the order's $defs) with the editor code the dialogs share,
 * served once from the module's resources/ (/red/resources/wasl/editor.js).
 *
 * Skipped, with a line saying so, when /usr/bin/chromium is absent (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from './chromium';
import { createLogger } from '../../hub/log';
import { startHub, type Hub } from '../../hub/hub';
import { sandboxExtension } from '../../sandbox/extension';
import { FLOWS_DIR, LogSink, testConfig } from '../helpers';

const ARTIFACTS = resolve(__dirname, '..', '..', 'test-artifacts');
const SERVICE = 'civil-registry-individual-extract';
const WASL_TYPES = ['wasl-order-in', 'wasl-validate', 'wasl-map', 'wasl-call', 'wasl-order-update', 'wasl-payment', 'wasl-postal'];

/** One service and a tiny flow, so the editor opens on wasl nodes whatever flows/ holds today. */
function flowsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-test-flows-'));
  mkdirSync(join(dir, SERVICE));
  copyFileSync(join(FLOWS_DIR, SERVICE, 'service.json'), join(dir, SERVICE, 'service.json'));
  const flow = [
    { id: 'tab1', type: 'tab', label: SERVICE },
    { id: 'in1', z: 'tab1', type: 'wasl-order-in', service: SERVICE, types: ['order.received'], timeout: 30, x: 160, y: 100, wires: [['up1']] },
    { id: 'up1', z: 'tab1', type: 'wasl-order-update', status: 'awaiting-payment', reason: 'fees-due', complete: true, x: 420, y: 100, wires: [[]] },
    { id: 'map1', z: 'tab1', type: 'wasl-map', name: '', expression: '{ "nationalNumber": payload.applicant.nationalNumber }', source: 'expression', definitionKey: 'input', schema: 'input', def: '', provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', property: 'input', x: 160, y: 200, wires: [[]] },
  ];
  writeFileSync(join(dir, SERVICE, 'flow.json'), JSON.stringify(flow, null, 2));
  return dir;
}

describe('flows editor in Chromium', function () {
  this.timeout(120_000);
  let hub: Hub | undefined;
  let browser: Browser | undefined;

  before(async function () {
    skipWithoutChromium(this);
    const config = testConfig({ flowsDir: flowsDir(), port: 0, host: '127.0.0.1' });
    hub = await startHub(config, { ...sandboxExtension, logger: createLogger('warn', new LogSink()) });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('shows wasl\'s nodes in the palette and a node\'s help in Arabic, right to left', async () => {
    const context = await browser!.newContext({ locale: 'ar', viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${hub!.url}/red/`, { waitUntil: 'domcontentloaded' });
      // The palette is built once the node definitions have loaded.
      const category = page.locator('#red-ui-palette-container-wasl');
      await category.waitFor({ state: 'attached', timeout: 60_000 });
      // The category's nodes are added one by one after it: each is waited for, then counted once.
      for (const type of WASL_TYPES) {
        const node = page.locator(`#red-ui-palette-container-wasl .red-ui-palette-node[data-palette-type="${type}"]`);
        await node.first().waitFor({ state: 'attached', timeout: 30_000 }).catch(() => undefined);
        assert.equal(await node.count(), 1, `${type} in the wasl category`);
      }
      assert.equal(await page.evaluate(() => navigator.language), 'ar');

      // Open the help of wasl-call as a person does: click it in the palette, then the book
      // button of its popover, which shows the help in the sidebar.
      const paletteNode = page.locator('#red-ui-palette-container-wasl .red-ui-palette-node[data-palette-type="wasl-call"]');
      await paletteNode.scrollIntoViewIfNeeded();
      await paletteNode.click();
      await page.locator('.red-ui-popover button:has(i.fa-book)').click({ timeout: 15_000 });
      const help = page.locator('.red-ui-help [dir="rtl"]').first();
      await help.waitFor({ state: 'visible', timeout: 15_000 });
      const text = (await help.innerText()).trim();
      assert.match(text, /[\u0600-\u06FF]{3}/, `Arabic help text: ${text.slice(0, 120)}`);
      assert.ok(text.includes('تستدعي عملية واحدة'), text.slice(0, 200));
      assert.equal(await help.evaluate((el) => getComputedStyle(el).direction), 'rtl');

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'editor-ar.png') });
      assert.ok(existsSync(join(ARTIFACTS, 'editor-ar.png')));
    } finally {
      await context.close();
    }
  });

  it("fills a wasl-map dialog's schema chooser with the editor code the dialogs share", async () => {
    const context = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const shared: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/red/resources/wasl/editor.js') shared.push(r.status());
    });
    try {
      await page.goto(`${hub!.url}/red/`, { waitUntil: 'domcontentloaded' });
      type Red = { nodes: { node(id: string): unknown }; editor: { edit(node: unknown): void } };
      await page.waitForFunction(() => (window as unknown as { RED: Red }).RED?.nodes?.node('map1') !== undefined, undefined, { timeout: 60_000 });
      assert.ok(shared.length > 0 && shared.every((s) => s === 200 || s === 304), `the shared editor code: ${shared.join(', ') || 'never asked for'}`);
      assert.equal(await page.evaluate(() => typeof (window as unknown as { waslEditor?: { schemaChooser?: unknown } }).waslEditor?.schemaChooser), 'function');

      await page.evaluate(() => {
        const RED = (window as unknown as { RED: Red }).RED;
        RED.editor.edit(RED.nodes.node('map1'));
      });
      // The providers come from GET /red/wasl/providers; the node's own choice is selected.
      await page.waitForFunction(() => document.querySelectorAll('#node-input-provider option').length > 1, undefined, { timeout: 15_000 });
      // (No named functions inside evaluate: tsx's helpers do not exist in the page.)
      const options = (sel: string) => page.locator(`${sel} option`).evaluateAll((els) => els.map((o) => (o as HTMLOptionElement).value));
      const chooser = {
        providers: await options('#node-input-provider'),
        provider: await page.locator('#node-input-provider').inputValue(),
        operations: await options('#node-input-operation'),
        operation: await page.locator('#node-input-operation').inputValue(),
        defs: await options('#node-input-def'),
        opRows: await page.locator('.wasl-op-row').first().isVisible(),
        orderRows: await page.locator('.wasl-order-row').first().isVisible(),
      };
      for (const code of ['moi-civil-registry', 'mot-vehicle-registry', 'sy-epay']) assert.ok(chooser.providers.includes(code), `${code} among ${chooser.providers.join(', ')}`);
      assert.equal(chooser.provider, 'moi-civil-registry');
      // The empty choice first, named (issue 24), then the provider's operations.
      assert.equal(chooser.operations[0], '');
      assert.deepEqual(chooser.operations.slice(1).sort(), ['IssueCivilDocument', 'IssueFamilyExtract', 'IssueIndividualExtract']);
      assert.equal(chooser.providers[0], '');
      assert.equal(chooser.operation, 'IssueIndividualExtract');
      assert.ok(chooser.defs.includes('') && chooser.defs.includes('Results'), chooser.defs.join(', '));
      assert.equal(chooser.opRows, true, "an operation's input: the provider and operation rows show");
      assert.equal(chooser.orderRows, false, 'and the order rows do not');

      // Another provider: its operations replace the first one's.
      await page.locator('#node-input-provider').selectOption('mot-vehicle-registry');
      const after = await options('#node-input-operation');
      assert.ok(after.length > 1 && !after.includes('IssueIndividualExtract'), after.join(', '));
      // The order: its rows show, the operation's hide.
      await page.locator('#node-input-schema').selectOption('order');
      assert.equal(await page.locator('.wasl-order-row').first().isVisible(), true);
      assert.equal(await page.locator('.wasl-op-row').first().isVisible(), false);
    } finally {
      await context.close();
    }
  });
});
