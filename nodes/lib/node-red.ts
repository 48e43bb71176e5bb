/**
 * The Node-RED API as wasl's nodes use it — runtime, messages, the editor's admin endpoints —
 * typed once here for every node in nodes/ (node-red ships no type declarations; the community
 * @types/node-red is not installed).
 *
 * How the nodes load: each node is `nodes/<name>.ts` (its code, type-checked with the rest of
 * wasl) plus a committed two-line `nodes/<name>.js` that requires it. Node-RED's registry only
 * takes `.js` files (it finds the editor `.html` by replacing `.js`), and a loader means there is
 * no build step and no generated file to forget: under `wasl start` the `.ts` is compiled by
 * bin/register.js (which the loader requires, a no-op when a hook is already there), under
 * mocha by tsx. The package.json "node-red" section lists the loaders; the hub points Node-RED's
 * `nodesDir` at the repository, so the registry reads that section and loads wasl as the module
 * "wasl", with its message catalogues and help from nodes/locales/<lang>/<name>.{json,html}, and
 * the editor code its dialogs share from resources/ (served at /red/resources/wasl/…).
 *
 * What the nodes reach of the hub comes through the hub's runtime context
 * (hub/runtime/context.ts), never the other way round.
 */
import type { WaslMessageMeta } from '../../hub/runtime/context';

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
  /** The order event's routing, from order-in; a wasl-call replaces it with its call's summary, which keeps orderId. */
  wasl?: Partial<WaslOrderRef> & Record<string, unknown>;
  /** The bus delivery the message carries out (hub/runtime/deliveries.ts). */
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
  /** The node's credentials (declared in registerType's options): never properties, never in flow files. */
  credentials?: Record<string, string | undefined>;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => void | Promise<void>): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  send: SendFn;
  status(status: NodeStatus | Record<string, never>): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(msg: unknown): void;
  log(msg: unknown): void;
}

/** A node instance as a node's constructor sees `this`. */
export type NodeThis<Extra = object> = Node & Extra;

export interface JsonataExpression {
  assign(name: string, value: unknown): void;
}

export type HookHandler = (event: Record<string, unknown>) => void | boolean | Promise<void | boolean>;

/** What an admin endpoint (RED.httpAdmin) gets and answers: the slice of Express's request and response used. */
export interface RequestLike {
  query?: Record<string, unknown>;
}
export interface ResponseLike {
  json(body: unknown): void;
  status(code: number): ResponseLike;
}
export type AdminHandler = (req: RequestLike, res: ResponseLike, next?: () => void) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    registerType<T extends Node = Node, D extends NodeDef = NodeDef>(type: string, ctor: (this: T, def: D) => void, opts?: { credentials?: Record<string, { type: 'text' | 'password' }> }): void;
    getNode(id: string): Node | null;
  };
  util: {
    generateId(): string;
    getMessageProperty(msg: NodeMessage, prop: string): unknown;
    setMessageProperty(msg: NodeMessage, prop: string, value: unknown, createMissing?: boolean): boolean;
    prepareJSONataExpression(expr: string, node: Node): JsonataExpression;
    evaluateJSONataExpression(expr: JsonataExpression, msg: NodeMessage, cb: (err: Error | null, value: unknown) => void): void;
  };
  hooks?: { add(name: string, handler: HookHandler): void; remove(name: string): void };
  /** The editor's admin API, under /red (permission checks: `auth.needsPermission`). */
  httpAdmin: { get(path: string, ...handlers: AdminHandler[]): void };
  auth: { needsPermission(permission: string): AdminHandler };
  /** The node's message catalogue (locales/<lang>/<node>.json), by key. */
  _(key: string, substitutions?: Record<string, unknown>): string;
}

/** A text for a node's status, cut short. */
export function short(text: string, max = 32): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
