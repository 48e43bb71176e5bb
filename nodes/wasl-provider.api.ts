/**
 * The slice of Node-RED's runtime API that wasl-provider, wasl-call, wasl-validate and wasl-map
 * use (Node-RED ships no types), and what a wasl-provider config node offers its users.
 */
import type { Connector, Environment } from '../connectors/connector';

export type Done = (err?: Error) => void;
export type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;

export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [key: string]: unknown;
}

export interface Node {
  id: string;
  type: string;
  name?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', cb: (msg: NodeMessage, send: Send, done: Done) => void | Promise<void>): void;
  on(event: 'close', cb: (removed: boolean, done: () => void) => void): void;
  status(s: NodeStatus): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(text: unknown): void;
  log(text: unknown): void;
}

export interface JsonataExpression {
  assign(name: string, value: unknown): void;
}

export interface RequestLike {
  query?: Record<string, unknown>;
}
export interface ResponseLike {
  json(body: unknown): void;
  status(code: number): ResponseLike;
}
type Handler = (req: RequestLike, res: ResponseLike, next?: () => void) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    registerType<T extends Node = Node>(type: string, ctor: (this: T, def: NodeDef) => void, opts?: { credentials?: Record<string, { type: 'text' | 'password' }> }): void;
    getNode(id: string): Node | null;
  };
  util: {
    getMessageProperty(msg: NodeMessage, prop: string): unknown;
    setMessageProperty(msg: NodeMessage, prop: string, value: unknown, createMissing?: boolean): boolean;
    prepareJSONataExpression(expr: string, node: Node): JsonataExpression;
    evaluateJSONataExpression(expr: JsonataExpression, msg: NodeMessage, cb: (err: Error | null, value: unknown) => void): void;
  };
  httpAdmin: { get(path: string, ...handlers: Handler[]): void };
  auth: { needsPermission(permission: string): Handler };
  _(key: string, subs?: Record<string, unknown>): string;
}

/** What wasl-call gets from its wasl-provider config node. */
export interface ProviderConfigNode extends Node {
  code: string;
  environment: Environment;
  /** The shared connector; builds it on the first register. Throws when the provider does not load. */
  register(user: Node): Connector;
  /** `removed`: the user was deleted (not a redeploy): the last one closes the connector. */
  deregister(user: Node, removed: boolean, done: () => void): void;
}

/** Text of an error for a status, short. */
export function short(text: string, max = 32): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
