/**
 * The one form a flow file is written in (flows/<folder>/flow.json, flows/shared.json), so that the
 * same nodes are always the same bytes, whatever order the editor sent them or their keys in, and a
 * change to one node changes that node's lines only:
 * - a JSON array, one node per entry, pretty-printed (two spaces), ending with a newline;
 * - nodes in a stable order: each tab or subflow first, then the nodes on it, by id; a config node
 *   on no tab on its own, by id (so a file holding a tab: the tab, then its nodes by id);
 * - a node's keys in Node-RED's natural order where present — id, type, z, g, name, label — then
 *   the others sorted; keys inside a property's value sorted; array elements kept in their order
 *   (they mean something: wires, rules).
 * The storage writes flow files in this form (storage.ts); the catalogue and the scaffold write the
 * flows they make in it too.
 */
import type { FlowNode } from './node-types';

const FIRST = ['id', 'type', 'z', 'g', 'name', 'label'];

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A value with the keys of every object in it sorted. */
function sortedValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedValue);
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties: a key named __proto__ stays a key.
  return Object.fromEntries(Object.keys(value).sort(byCodePoint).map((k) => [k, sortedValue((value as Record<string, unknown>)[k])]));
}

/** A node with its keys in the canonical order. */
export function canonicalNode(node: FlowNode): FlowNode {
  const keys = Object.keys(node);
  const first = FIRST.filter((k) => keys.includes(k));
  const rest = keys.filter((k) => !FIRST.includes(k)).sort(byCodePoint);
  return Object.fromEntries([...first, ...rest].map((k) => [k, sortedValue(node[k])])) as FlowNode;
}

/** The tab or subflow a node belongs with (its own id for a tab, a subflow or a config node on none), then whether it is that container. */
function placeOf(n: FlowNode): [string, number, string] {
  const container = n.type === 'tab' || n.type === 'subflow' ? n.id : typeof n.z === 'string' && n.z ? n.z : n.id;
  return [container, container === n.id ? 0 : 1, n.id];
}

/** Nodes in the canonical order (a new array; the nodes are not changed). */
export function canonicalOrder(nodes: readonly FlowNode[]): FlowNode[] {
  const keyed = nodes.map((n) => ({ n, k: placeOf(n) }));
  keyed.sort((a, b) => byCodePoint(a.k[0], b.k[0]) || a.k[1] - b.k[1] || byCodePoint(a.k[2], b.k[2]));
  return keyed.map((e) => e.n);
}

/** The text of a flow file holding `nodes`. */
export function flowFileText(nodes: readonly FlowNode[]): string {
  return `${JSON.stringify(canonicalOrder(nodes).map(canonicalNode), null, 2)}\n`;
}

/** One node as a string that does not depend on its keys' order: for comparing a node before and after a deploy. */
export function nodeText(node: FlowNode): string {
  return JSON.stringify(canonicalNode(node));
}
