/**
 * Which node types a flow may hold. A flow runs inside the hub's process, as the hub's user: a
 * node that runs a command, reads or writes files, or opens its own sockets is remote code
 * execution or a way around the connectors' resilience, audit and sandbox for whoever may
 * deploy. So the flows may use wasl's own nodes and an allow-list of Node-RED's core nodes that
 * only transform and route messages; every other core node is left out of the runtime (not in
 * the palette, unknown to the runtime) and a deploy or a flow file holding one is refused, in the
 * sandbox and in production alike. WASL_EXTRA_NODE_TYPES adds core types to the list, as a
 * deliberate, documented decision (docs/security.md).
 *
 * The `function` node runs JavaScript in the hub's process (its vm is not a security boundary):
 * it stays available, but only an admin may add one or change its code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import stringify from 'safe-stable-stringify';

/** Core types a flow may hold, and why each is harmless. */
export const CORE_ALLOWED: Readonly<Record<string, string>> = {
  tab: 'a flow tab',
  subflow: 'a subflow definition',
  group: 'a group of nodes',
  junction: 'a wire junction',
  comment: 'text on the canvas',
  unknown: "Node-RED's placeholder",
  inject: 'starts a message (pressed by operators in the sandbox)',
  debug: "shows messages in the editor's sidebar",
  complete: 'reacts to a node finishing a message',
  catch: 'reacts to errors in the flow',
  status: "reacts to a node's status",
  'link in': 'a link between flows',
  'link out': 'a link between flows',
  'link call': 'a link between flows',
  'global-config': "the runtime's global environment settings",
  function: 'JavaScript in the hub process: admins only',
  switch: 'routes messages by their content',
  change: 'sets, moves and deletes message properties',
  range: 'scales numbers',
  template: 'Mustache templates',
  delay: 'delays and rate-limits messages',
  trigger: 'sends after a delay',
  rbe: 'filters unchanged values',
  csv: 'parses and writes CSV',
  html: 'extracts from HTML',
  json: 'parses and writes JSON',
  xml: 'parses and writes XML (no DTD, no entities)',
  yaml: 'parses and writes YAML (safe schema)',
  split: 'splits messages',
  join: 'joins messages',
  sort: 'sorts sequences',
  batch: 'batches messages',
};

/** Core types left out, and why: each reaches the host or the network outside a connector. */
export const CORE_REFUSED: Readonly<Record<string, string>> = {
  exec: "runs commands as the hub's user",
  file: "writes the hub's files",
  'file in': "reads the hub's files (its secrets and database among them)",
  watch: "watches the hub's files",
  'tcp in': 'opens raw TCP sockets',
  'tcp out': 'opens raw TCP sockets',
  'tcp request': 'opens raw TCP sockets',
  'udp in': 'opens raw UDP sockets',
  'udp out': 'opens raw UDP sockets',
  'http request': 'calls any URL outside a connector (no contract, resilience, audit or sandbox simulator)',
  'http in': "serves HTTP outside the gateway's authentication and limits",
  'http response': "serves HTTP outside the gateway's authentication and limits",
  'http proxy': 'configures outbound HTTP',
  'tls-config': 'holds keys for outbound TLS',
  'websocket in': 'opens WebSockets outside the gateway',
  'websocket out': 'opens WebSockets outside the gateway',
  'websocket-listener': 'opens WebSockets outside the gateway',
  'websocket-client': 'opens WebSockets outside the gateway',
  'mqtt in': 'connects to brokers outside a connector',
  'mqtt out': 'connects to brokers outside a connector',
  'mqtt-broker': 'connects to brokers outside a connector',
};

/** The node type only an admin may add or change. */
export const ADMIN_ONLY_TYPES: ReadonlySet<string> = new Set(['function']);

const REPO_ROOT = join(__dirname, '..', '..');

/** wasl's own node types: the package.json "node-red" section (each set is named after its type). */
export function waslNodeTypes(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { 'node-red'?: { nodes?: Record<string, string> } };
  return Object.keys(pkg['node-red']?.nodes ?? {});
}

export interface NodeTypePolicy {
  /** Every type a flow may hold (besides `subflow:<id>` instances of its own subflows). */
  allowed: ReadonlySet<string>;
  /** Core node files Node-RED must not load (settings.nodesExcludes): those registering a type not allowed. */
  excludedFiles: string[];
}

/** The allow-list, with `extra` core types added (WASL_EXTRA_NODE_TYPES). */
export function nodeTypePolicy(extra: readonly string[] = []): NodeTypePolicy {
  const allowed = new Set([...Object.keys(CORE_ALLOWED), ...waslNodeTypes(), ...extra]);
  const excludedFiles: string[] = [];
  for (const { file, types } of coreNodeFiles()) {
    if (types.some((t) => !allowed.has(t))) excludedFiles.push(basename(file));
  }
  return { allowed, excludedFiles };
}

/** Node-RED's core node files and the types each registers, read from their source. */
export function coreNodeFiles(): Array<{ file: string; types: string[] }> {
  const root = join(dirname(require.resolve('@node-red/nodes/package.json')), 'core');
  const out: Array<{ file: string; types: string[] }> = [];
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(root, dir.name))) {
      if (!/\.c?js$/.test(f)) continue;
      const file = join(root, dir.name, f);
      const types = [...readFileSync(file, 'utf8').matchAll(/registerType\(\s*["']([^"']+)["']/g)].map((m) => m[1]!);
      if (types.length) out.push({ file, types });
    }
  }
  return out;
}

export type FlowNode = { id: string; type: string; z?: string; [k: string]: unknown };

export interface FlowProblem {
  code: 'node-type-not-allowed' | 'function-node-admin-only';
  nodeId: string;
  type: string;
  /** The tab or subflow the node is on. */
  z?: string;
  message: string;
}

/** The nodes of `flows` whose type is not allowed (subflow instances are allowed when the subflow is there). */
export function disallowedNodes(flows: readonly FlowNode[], policy: Pick<NodeTypePolicy, 'allowed'>): FlowProblem[] {
  const subflows = new Set(flows.filter((n) => n.type === 'subflow').map((n) => n.id));
  return flows
    .filter((n) => !policy.allowed.has(n.type) && !(n.type.startsWith('subflow:') && subflows.has(n.type.slice('subflow:'.length))))
    .map((n) => ({
      code: 'node-type-not-allowed',
      nodeId: n.id,
      type: n.type,
      ...(n.z ? { z: n.z } : {}),
      message: `node ${n.id} is of type "${n.type}", which wasl does not allow in flows${CORE_REFUSED[n.type] ? ` (${CORE_REFUSED[n.type]})` : ''}; use a wasl node (wasl-call for a provider) or see docs/security.md for the allow-list`,
    }));
}

/** What makes an admin-only node's behaviour: moving it or rewiring it is anyone's. */
const CODE_FIELDS = ['func', 'initialize', 'finalize', 'libs', 'outputs', 'timeout', 'type'];

/** A node's code, whatever order the keys of its values come in (the editor's and a flow file's differ). */
function codeOf(n: FlowNode): string {
  return stringify(CODE_FIELDS.map((f) => n[f] ?? null)) ?? '';
}

/** The admin-only nodes that `next` adds or whose code it changes, against `previous`. */
export function adminOnlyChanges(previous: readonly FlowNode[], next: readonly FlowNode[]): FlowProblem[] {
  const before = new Map(previous.filter((n) => ADMIN_ONLY_TYPES.has(n.type)).map((n) => [n.id, codeOf(n)]));
  return next
    .filter((n) => ADMIN_ONLY_TYPES.has(n.type) && before.get(n.id) !== codeOf(n))
    .map((n) => ({
      code: 'function-node-admin-only',
      nodeId: n.id,
      type: n.type,
      ...(n.z ? { z: n.z } : {}),
      message: `node ${n.id} is a ${n.type} node, which runs code in the hub: only an admin may add one or change its code`,
    }));
}
