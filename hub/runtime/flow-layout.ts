/**
 * Where a flow's nodes sit on the editor's canvas (issue 24): each node's box as the editor draws
 * it, approximated from its label (wider rather than narrower), the overlaps and the nodes past the
 * canvas's top or left edge that make a shipped flow hard to read, and a layered layout that has
 * neither: columns by the longest wire path from a flow's start nodes (every wire runs left to
 * right), one row per branch, a flow's start nodes in the order they stood. The unit tests check
 * every shipped flow and a freshly scaffolded one with `layoutIssues`.
 *
 * The editor's own sizes (Node-RED 4, view.js): width max(100, label width + 50 (+7 with an input),
 * rounded up to the 20-pixel grid), height max(30, 15 per output); x and y are the box's centre.
 * A label's width is taken as 7 pixels a character (Helvetica 14 px is narrower for most Latin and
 * Arabic letters), the height as 30 and 15 more per output after the first.
 */
import type { FlowNode } from './node-types';

export interface Box {
  id: string;
  /** The tab or subflow it is drawn on. */
  z: string;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export type LayoutIssue =
  | { kind: 'overlap'; z: string; a: string; b: string; message: string }
  | { kind: 'off-canvas'; z: string; node: string; message: string }
  | { kind: 'backward-wire'; z: string; from: string; to: string; message: string };

export const CHAR_WIDTH = 7;
export const MIN_WIDTH = 100;
export const GRID = 20;

/** The label the editor shows for a node with no name, for the types shipped flows use (English, as in the nodes' definitions). */
function defaultLabel(n: FlowNode): string {
  const s = (k: string) => (typeof n[k] === 'string' ? (n[k] as string) : '');
  switch (n.type) {
    case 'wasl-order-in':
      return s('service') || (s('pattern') ? `${s('pattern')} *` : 'order in');
    case 'wasl-call':
      return s('operation') || 'call';
    case 'wasl-map':
    case 'wasl-validate': {
      const verb = n.type === 'wasl-map' ? 'map' : 'validate';
      if (s('schema') === 'input' || s('schema') === 'output') return `${verb} ${s('operation')} ${s('schema')}`;
      return s('schema') === 'order' || n.type === 'wasl-validate' ? `${verb} order${s('def') ? `/${s('def')}` : ''}` : verb;
    }
    case 'wasl-order-update':
      return `→ ${s('status')}`;
    case 'wasl-payment':
      return s('action') === 'refund' ? 'payment: refund' : 'payment: request';
    case 'wasl-postal':
      return 'post: ship';
    case 'comment':
      return s('name') || 'comment';
    default:
      return s('label') || n.type;
  }
}

export function labelOf(n: FlowNode): string {
  const name = typeof n.name === 'string' ? n.name.trim() : '';
  return name || defaultLabel(n);
}

/** Outputs drawn on the node's right: its `outputs`, else as many as its wires, at least one for the types that have one. */
function outputsOf(n: FlowNode): number {
  if (typeof n.outputs === 'number') return n.outputs;
  return Array.isArray(n.wires) ? n.wires.length : 0;
}

/** Whether a node is drawn on a canvas (not a tab, a subflow's definition, a config node or a group). */
export function isDrawn(n: FlowNode): boolean {
  return typeof n.x === 'number' && typeof n.y === 'number' && typeof n.z === 'string' && n.z !== '' && n.type !== 'group' && n.type !== 'tab' && n.type !== 'subflow';
}

export function widthOf(label: string): number {
  return Math.max(MIN_WIDTH, GRID * Math.ceil((Array.from(label).length * CHAR_WIDTH + 50) / GRID));
}

export function heightOf(outputs: number): number {
  return 30 + 15 * Math.max(0, outputs - 1);
}

export function boxOf(n: FlowNode): Box {
  const label = labelOf(n);
  return { id: n.id, z: n.z as string, label, x: n.x as number, y: n.y as number, w: widthOf(label), h: heightOf(outputsOf(n)) };
}

const overlaps = (a: Box, b: Box) => Math.abs(a.x - b.x) * 2 < a.w + b.w && Math.abs(a.y - b.y) * 2 < a.h + b.h;

/** Every overlap of two nodes on one tab, every node past the canvas's top or left edge, and every wire that runs right to left. */
export function layoutIssues(nodes: readonly FlowNode[]): LayoutIssue[] {
  const issues: LayoutIssue[] = [];
  const boxes = nodes.filter(isDrawn).map(boxOf);
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const byTab = new Map<string, Box[]>();
  for (const b of boxes) byTab.set(b.z, [...(byTab.get(b.z) ?? []), b]);
  for (const [z, list] of byTab) {
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (a.x - a.w / 2 < 0 || a.y - a.h / 2 < 0) issues.push({ kind: 'off-canvas', z, node: a.id, message: `"${a.label}" (${a.id}) at ${a.x},${a.y} is ${a.w}×${a.h}: past the canvas's ${a.x - a.w / 2 < 0 ? 'left' : 'top'} edge` });
      for (let j = i + 1; j < list.length; j++) {
        const b = list[j]!;
        if (overlaps(a, b)) issues.push({ kind: 'overlap', z, a: a.id, b: b.id, message: `"${a.label}" (${a.id}) at ${a.x},${a.y} overlaps "${b.label}" (${b.id}) at ${b.x},${b.y}` });
      }
    }
  }
  for (const n of nodes.filter(isDrawn)) {
    const from = byId.get(n.id)!;
    for (const to of targetsOf(n)) {
      const t = byId.get(to);
      if (t && t.z === from.z && t.x - t.w / 2 <= from.x + from.w / 2) issues.push({ kind: 'backward-wire', z: from.z, from: from.id, to: t.id, message: `the wire from "${from.label}" (${from.id}) to "${t.label}" (${t.id}) runs right to left` });
    }
  }
  return issues;
}

function targetsOf(n: FlowNode): string[] {
  return Array.isArray(n.wires) ? (n.wires as unknown[]).flatMap((port) => (Array.isArray(port) ? port.filter((t): t is string => typeof t === 'string') : [])) : [];
}

export interface LayoutOptions {
  /** The left edge of the first column and the top of the first row. */
  margin?: number;
  /** Between one column's widest node and the next column. */
  columnGap?: number;
  /** From one row's centre to the next. */
  rowPitch?: number;
  /** The label a node is sized by, when not its own (a template's placeholders at their widest). */
  labelFor?: (n: FlowNode) => string;
}

/**
 * The nodes with x and y laid out, tab by tab (a new array; nodes that are not drawn and every
 * other property unchanged). A tab whose wires loop keeps its positions.
 */
export function layOut(nodes: readonly FlowNode[], opts: LayoutOptions = {}): FlowNode[] {
  const margin = opts.margin ?? 40;
  const gap = opts.columnGap ?? 60;
  const pitch = opts.rowPitch ?? 60;
  const labelFor = opts.labelFor ?? labelOf;
  const placed = new Map<string, { x: number; y: number }>();
  const tabs = new Map<string, FlowNode[]>();
  for (const n of nodes.filter(isDrawn)) tabs.set(n.z as string, [...(tabs.get(n.z as string) ?? []), n]);
  for (const list of tabs.values()) {
    const ids = new Set(list.map((n) => n.id));
    const out = new Map(list.map((n) => [n.id, targetsOf(n).filter((t) => ids.has(t))]));
    const incoming = new Map<string, number>(list.map((n) => [n.id, 0]));
    for (const ts of out.values()) for (const t of ts) incoming.set(t, incoming.get(t)! + 1);
    // Columns: the longest path from a start node (Kahn's order; a loop leaves nodes unordered).
    const column = new Map<string, number>(list.map((n) => [n.id, 0]));
    const waiting = new Map(incoming);
    const queue = list.filter((n) => incoming.get(n.id) === 0).map((n) => n.id);
    let ordered = 0;
    while (queue.length > 0) {
      const id = queue.shift()!;
      ordered++;
      for (const t of out.get(id)!) {
        column.set(t, Math.max(column.get(t)!, column.get(id)! + 1));
        waiting.set(t, waiting.get(t)! - 1);
        if (waiting.get(t) === 0) queue.push(t);
      }
    }
    if (ordered < list.length) continue;
    // Rows: each start node (in the order they stood, top to bottom) begins a row; a node's first
    // unplaced target continues its row, each further one begins a new row.
    const row = new Map<string, number>();
    let last = -1;
    const place = (id: string, r: number) => {
      row.set(id, r);
      let first = true;
      for (const t of out.get(id)!) {
        if (row.has(t)) continue;
        place(t, first ? r : ++last);
        first = false;
      }
    };
    const byPosition = (a: FlowNode, b: FlowNode) => (a.y as number) - (b.y as number) || (a.x as number) - (b.x as number) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    for (const start of list.filter((n) => incoming.get(n.id) === 0).sort(byPosition)) {
      if (row.has(start.id)) continue;
      place(start.id, ++last);
    }
    const width = new Map(list.map((n) => [n.id, widthOf(labelFor(n))]));
    const columns = Math.max(...column.values()) + 1;
    const left: number[] = [];
    for (let c = 0, at = margin; c < columns; c++) {
      left.push(at);
      at += Math.max(0, ...list.filter((n) => column.get(n.id) === c).map((n) => width.get(n.id)!)) + gap;
    }
    for (const n of list) placed.set(n.id, { x: left[column.get(n.id)!]! + width.get(n.id)! / 2, y: margin + row.get(n.id)! * pitch });
  }
  return nodes.map((n) => {
    const p = placed.get(n.id);
    return p ? { ...n, x: p.x, y: p.y } : n;
  });
}
