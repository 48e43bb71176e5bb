/**
 * The few Node-RED runtime types wasl's nodes use (node-red ships no type declarations; the
 * community @types/node-red is not installed). Shared by every node in nodes/.
 *
 * How the nodes load: each node is `nodes/<name>.ts` (its code, type-checked with the rest of
 * wasl) plus a committed two-line `nodes/<name>.js` that requires it. Node-RED's registry only
 * takes `.js` files (it finds the editor `.html` by replacing `.js`), and a loader means there is
 * no build step and no generated file to forget: under `wasl start` the `.ts` is compiled by
 * bin/register.js (which the loader requires, a no-op when a hook is already there), under
 * mocha by tsx. The package.json "node-red" section lists the loaders; the hub points Node-RED's
 * `nodesDir` at the repository, so the registry reads that section and loads wasl as the module
 * "wasl", with its message catalogues and help from nodes/locales/<lang>/<name>.{json,html}.
 */

export interface WaslMessageMeta {
  /** The bus delivery this message carries out (see hub/runtime/deliveries.ts). */
  delivery: string;
}

/** What a wasl order-in node puts on a message, for the nodes downstream. */
export interface WaslOrderRef {
  orderId: string;
  service: string;
  /** The order event type, e.g. order.received. */
  type: string;
  eventId: string;
  attempt: number;
  redelivered: boolean;
}

export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  topic?: string;
  wasl?: WaslOrderRef;
  _wasl?: WaslMessageMeta;
  [key: string]: unknown;
}

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  wires?: string[][];
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type SendFn = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null> | null) => void;
export type DoneFn = (err?: unknown) => void;

export interface Node {
  id: string;
  type: string;
  name?: string;
  z?: string;
  wires: string[][];
  on(event: 'input', handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => void): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  send: SendFn;
  status(status: NodeStatus | Record<string, never>): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(msg: unknown): void;
  log(msg: unknown): void;
}

export type HookHandler = (event: Record<string, unknown>) => void | boolean | Promise<void | boolean>;

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    registerType(type: string, ctor: new (def: NodeDef) => unknown, opts?: { credentials?: Record<string, { type: 'text' | 'password' }> }): void;
    getNode(id: string): Node | null;
  };
  util: { generateId(): string };
  hooks?: { add(name: string, handler: HookHandler): void; remove(name: string): void };
  /** The node's message catalogue (locales/<lang>/<node>.json), by key. */
  _(key: string, substitutions?: Record<string, unknown>): string;
}

/** A node instance as a node's constructor sees `this`. */
export type NodeThis<Extra = object> = Node & Extra;
