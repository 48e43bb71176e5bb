/**
 * wasl's node definitions as the editor reads them (nodes/<type>.html, the script that calls
 * RED.nodes.registerType), run outside a browser with a stand-in RED: their defaults and
 * validators, their labels and palette labels, and a translator over nodes/locales/ that
 * behaves as the editor's `this._` (a missing key comes back as the key itself).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import type { FlowNode } from '../../hub/runtime/node-types';

export const NODES_DIR = join(__dirname, '..', '..', 'nodes');

type Validator = (this: unknown, v: unknown, opt?: Record<string, unknown>) => unknown;

export interface PropertyDef {
  value: unknown;
  required?: boolean;
  validate?: Validator;
  /** A config node's type: the property holds its id. */
  type?: string;
}

export interface NodeDefinition {
  category: string;
  defaults: Record<string, PropertyDef>;
  label?: string | ((this: unknown) => string);
  paletteLabel?: string | ((this: unknown) => string);
}

export type Translate = (key: string, params?: Record<string, unknown>) => string;

/** The editor's Node-RED 4 validators that wasl's definitions use (editor-client red.js, RED.validators). */
const validators = {
  number: (blankAllowed?: boolean) => (v: unknown) => (blankAllowed && (v === '' || v === undefined)) || (v !== '' && !Number.isNaN(Number(v))),
  regex: (re: RegExp) => (v: unknown) => re.test(String(v)),
};

/** Every wasl node type's definition, by type. */
export function nodeDefinitions(): Map<string, NodeDefinition> {
  const defs = new Map<string, NodeDefinition>();
  const RED = { nodes: { registerType: (type: string, def: NodeDefinition) => void defs.set(type, def) }, validators, _: (k: string) => k };
  for (const file of readdirSync(NODES_DIR).filter((f) => f.endsWith('.html'))) {
    const html = readFileSync(join(NODES_DIR, file), 'utf8');
    for (const m of html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)) runInNewContext(m[1]!, { RED, $: () => ({}), window: {} });
  }
  return defs;
}

/** `this._` of a type's definition in `lang` (en-US, ar): nodes/locales/<lang>/<type>.json, __name__ substituted. */
export function translator(type: string, lang: string): Translate {
  const file = join(NODES_DIR, 'locales', lang, `${type}.json`);
  const catalogue = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  return (key, params = {}) => {
    let v: unknown = catalogue;
    for (const part of key.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    if (typeof v !== 'string') return key;
    return v.replace(/__(\w+)__/g, (_m, name: string) => String(params[name] ?? ''));
  };
}

/**
 * Why the editor marks a node of a wasl type invalid (the red triangle), as its validateNode does:
 * a required property empty, a validator that does not return true, a config node property naming
 * no config node of its type among `all`. Empty when valid.
 */
export function invalidProperties(def: NodeDefinition, node: FlowNode, all: readonly FlowNode[], _: Translate): string[] {
  const self = { ...node, _ };
  const out: string[] = [];
  for (const [prop, p] of Object.entries(def.defaults)) {
    const value = node[prop];
    if (p.required && value === '') {
      out.push(`${prop}: required`);
      continue;
    }
    if (p.validate && !(p.required === false && value === '')) {
      const r = p.validate.call(self, value, {});
      if (r !== true) out.push(`${prop}: ${JSON.stringify(value)} ${typeof r === 'string' ? r : 'does not validate'}`);
    }
    if (p.type && (p.required || (value !== '' && value !== undefined)) && !all.some((n) => n.id === value && n.type === p.type)) out.push(`${prop}: no ${p.type} ${JSON.stringify(value)}`);
  }
  return out;
}
