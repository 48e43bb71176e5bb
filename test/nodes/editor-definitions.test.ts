/**
 * The editor's view of wasl's nodes (issue 24): no node of a shipped flow, nor of a flow
 * `wasl service new` scaffolds, shows the editor's "invalid" triangle, and every palette label and
 * default node label comes from nodes/locales/, in English and in Arabic.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProvider } from '../../connectors/provider-files';
import type { FlowNode } from '../../hub/runtime/node-types';
import { scaffoldService } from '../../sandbox/scaffold/scaffold';
import { FLOWS_DIR } from '../helpers';
import { invalidProperties, nodeDefinitions, translator } from './editor-definitions';

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as FlowNode[];
const shared = () => read(join(FLOWS_DIR, 'shared.json'));

/** Every shipped flow file, by its folder. */
function shippedFlows(): Map<string, FlowNode[]> {
  const out = new Map<string, FlowNode[]>();
  for (const d of readdirSync(FLOWS_DIR, { withFileTypes: true })) {
    const file = join(FLOWS_DIR, d.name, 'flow.json');
    if (d.isDirectory() && existsSync(file)) out.set(d.name, read(file));
  }
  out.set('shared.json', shared());
  return out;
}

/** The providers of shared.json, each with its operations. */
function ministries(): Array<{ code: string; operations: string[] }> {
  return shared()
    .filter((n) => n.type === 'wasl-provider')
    .map((n) => ({ code: String(n.code), operations: Object.keys(loadProvider(String(n.code)).operations) }))
    .filter((p) => p.operations.length > 0);
}

describe("wasl's nodes as the editor sees them", () => {
  const defs = nodeDefinitions();

  it('reads every wasl node type from nodes/*.html', () => {
    assert.deepEqual([...defs.keys()].sort(), ['wasl-call', 'wasl-map', 'wasl-order-in', 'wasl-order-update', 'wasl-payment', 'wasl-postal', 'wasl-provider', 'wasl-validate']);
  });

  it('no node of a shipped flow is invalid in the editor (every property of every wasl type checked)', () => {
    const all = [...shippedFlows().values()].flat();
    const invalid: string[] = [];
    let checked = 0;
    for (const [folder, nodes] of shippedFlows()) {
      for (const n of nodes) {
        const def = defs.get(n.type);
        if (!def) continue;
        checked++;
        const why = invalidProperties(def, n, all, translator(n.type, 'en-US'));
        if (why.length > 0) invalid.push(`${folder}: ${n.id} (${n.type}): ${why.join('; ')}`);
      }
    }
    assert.ok(checked > 100, `${checked} nodes checked`);
    assert.deepEqual(invalid, []);
  });

  it('no node of a flow `wasl service new` scaffolds is invalid, whichever ministry and operation', () => {
    const root = mkdtempSync(join(tmpdir(), 'wasl-scaffold-'));
    try {
      const invalid: string[] = [];
      for (const { code: provider, operations } of ministries()) {
        for (const operation of operations) {
          const flowsDir = join(root, `${provider}-${operation}`.toLowerCase());
          mkdirSync(flowsDir);
          cpSync(join(FLOWS_DIR, 'shared.json'), join(flowsDir, 'shared.json'));
          scaffoldService({ code: 'new-service', provider, operation, flowsDir });
          const nodes = [...read(join(flowsDir, 'new-service', 'flow.json')), ...read(join(flowsDir, 'shared.json'))];
          for (const n of nodes) {
            const def = defs.get(n.type);
            const why = def ? invalidProperties(def, n, nodes, translator(n.type, 'en-US')) : [];
            if (why.length > 0) invalid.push(`${provider} ${operation}: ${n.id} (${n.type}): ${why.join('; ')}`);
          }
        }
      }
      assert.deepEqual(invalid, []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("an order-in's empty timeout and in-flight limit mean the runtime's defaults; a wrong one is still invalid", () => {
    const def = defs.get('wasl-order-in')!;
    const _ = translator('wasl-order-in', 'en-US');
    const node = (extra: Record<string, unknown>): FlowNode => ({ id: 'n1', type: 'wasl-order-in', z: 't', service: 'civil-registry-individual-extract', types: ['order.received'], ...extra });
    for (const empty of [{}, { concurrency: '' }, { timeout: '' }, { concurrency: 16, timeout: 300 }, { concurrency: '150' }]) assert.deepEqual(invalidProperties(def, node(empty), [], _), [], JSON.stringify(empty));
    assert.deepEqual(invalidProperties(def, node({ concurrency: 0 }), [], _), ['concurrency: 0 In flight at most: a whole number from 1 to 1000, or empty for 16']);
    assert.equal(invalidProperties(def, node({ concurrency: 1.5 }), [], _).length, 1);
    assert.equal(invalidProperties(def, node({ concurrency: 1001 }), [], _).length, 1);
    assert.equal(invalidProperties(def, node({ timeout: 'soon' }), [], _).length, 1);
    assert.equal(invalidProperties(def, node({ service: '' }), [], _).length, 1, 'a service or a pattern');
  });

  it('palette labels and default node labels come from the locales, in English and Arabic', () => {
    const problems: string[] = [];
    // wasl-order-update's locale files are another change's: its palette label falls back to English until they carry the key.
    const englishOnly = new Set(['wasl-order-update']);
    for (const [type, def] of defs) {
      for (const lang of ['en-US', 'ar']) {
        const _ = translator(type, lang);
        const palette = typeof def.paletteLabel === 'function' ? def.paletteLabel.call({ ...def, _ }) : def.paletteLabel;
        if (typeof def.paletteLabel !== 'function') problems.push(`${type}: paletteLabel is not a function`);
        const defaults = Object.fromEntries(Object.entries(def.defaults).map(([k, p]) => [k, p.value]));
        const label = typeof def.label === 'function' ? def.label.call({ ...defaults, _ }) : def.label;
        for (const [what, text] of [['paletteLabel', palette], ['label', label]] as const) {
          if (typeof text !== 'string' || text === '') problems.push(`${type} ${lang} ${what}: ${String(text)}`);
          else if (/^wasl-[a-z-]+\.[\w.]+$/.test(text)) problems.push(`${type} ${lang} ${what}: the key ${text}, untranslated`);
          else if (lang === 'ar' && what === 'paletteLabel' && !englishOnly.has(type) && !/[\u0600-\u06FF]/.test(text)) problems.push(`${type} ar paletteLabel: ${text}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});
