/** What the wasl-payment and wasl-postal node tests share: a node's status record, and its locales checked. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { helper } from './wasl-order-helpers';

/** Records what a node shows as its status. */
export function recordStatus(id: string): Array<{ fill?: string; shape?: string; text?: string }> {
  const node = helper.getNode(id)! as unknown as { status(s: object): void };
  const seen: Array<{ fill?: string; shape?: string; text?: string }> = [];
  const original = node.status.bind(node);
  node.status = (s: object) => {
    seen.push(s as { text?: string });
    original(s);
  };
  return seen;
}

/** Both locales carry the node's message catalogue and help; the Arabic help reads right to left. */
export function assertLocales(type: string): void {
  const root = join(__dirname, '..', '..', 'nodes', 'locales');
  const en = JSON.parse(readFileSync(join(root, 'en-US', `${type}.json`), 'utf8')) as Record<string, Record<string, Record<string, string> | string>>;
  const ar = JSON.parse(readFileSync(join(root, 'ar', `${type}.json`), 'utf8')) as typeof en;
  // A group of messages, or a single one (the palette label).
  const keys = (c: typeof en) => Object.entries(c[type] ?? {}).flatMap(([group, texts]) => (typeof texts === 'string' ? [group] : Object.keys(texts).map((k) => `${group}.${k}`))).sort();
  assert.ok(keys(en).length > 0, `${type} has messages`);
  assert.deepEqual(keys(ar), keys(en), 'the same messages in both languages');
  for (const lang of ['en-US', 'ar']) {
    const file = join(root, lang, `${type}.html`);
    assert.ok(existsSync(file), file);
    assert.ok(readFileSync(file, 'utf8').includes(`data-help-name="${type}"`), `${lang} help names ${type}`);
  }
  const arHelp = readFileSync(join(root, 'ar', `${type}.html`), 'utf8');
  assert.ok(arHelp.includes('<div dir="rtl">'), 'Arabic help right to left');
  assert.match(arHelp, /[\u0600-\u06FF]{3}/);
  assert.ok(existsSync(join(__dirname, '..', '..', 'nodes', 'icons', `${type}.svg`)), 'its icon');
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
  assert.equal(pkg['node-red'].nodes[type], `nodes/${type}.js`, 'listed for Node-RED');
}

