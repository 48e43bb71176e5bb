/**
 * The flow files under flows/ as the release gate (../release-gate.ts) chooses among them: each
 * folder's flow.json read on its own (one that cannot be read keeps only itself out) and
 * shared.json's config nodes and subflows; and, over all of them, the flow graph of a service —
 * the nodes it runs on, exactly what its certificate covers as a flow, subflow or config node
 * (sandbox/certificate-dependencies.ts reads it through this graph): the tabs whose `wasl-order-in`
 * names the service or its pattern, the tabs of its own folder and of its pattern's, then
 * whatever their nodes name — a subflow they instantiate, a config node whose id a property holds,
 * a node of another tab (a link) — and what those name in turn.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { disallowedNodes, type FlowNode } from './node-types';

export const SHARED_FILE = 'shared.json';

export interface FlowFolder {
  /** Its flow.json's nodes, when it could be read. */
  nodes?: FlowNode[];
  /** Why its flow.json could not be read. */
  error?: string;
}

export interface FlowFiles {
  /** The folders that hold a flow.json, by name, in name order. */
  folders: Map<string, FlowFolder>;
  shared: FlowNode[];
}

/** What Node-RED loads: the nodes, and the folder each tab was read from (where a deploy writes it back). */
export interface FlowSelection {
  nodes: FlowNode[];
  folderOf: ReadonlyMap<string, string>;
}

const isNodeList = (v: unknown): v is FlowNode[] => Array.isArray(v) && v.every((n) => typeof (n as FlowNode)?.id === 'string' && typeof (n as FlowNode)?.type === 'string');

/** Every flows/<folder>/flow.json and flows/shared.json; a shared.json that cannot be read stops everything (throws). */
export function readFlowFiles(flowsDir: string): FlowFiles {
  const folders = new Map<string, FlowFolder>();
  const dirs = existsSync(flowsDir) ? readdirSync(flowsDir, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
  for (const name of dirs.map((d) => d.name).sort()) {
    const file = join(flowsDir, name, 'flow.json');
    if (!existsSync(file)) continue;
    try {
      const nodes = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      folders.set(name, isNodeList(nodes) ? { nodes } : { error: 'a flow file is a JSON array of nodes, each with an id and a type' });
    } catch (err) {
      folders.set(name, { error: `not valid JSON: ${(err as Error).message}` });
    }
  }
  const sharedFile = join(flowsDir, SHARED_FILE);
  const shared = existsSync(sharedFile) ? (JSON.parse(readFileSync(sharedFile, 'utf8')) as unknown) : [];
  if (!isNodeList(shared)) throw new Error(`${sharedFile}: a flow file is a JSON array of nodes, each with an id and a type`);
  return { folders, shared };
}

/** Every string a node's properties hold, however deep (wires, a catch node's scope, a link's targets…). */
function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringsOf(v, out);
  return out;
}

const isContainer = (n: FlowNode | undefined) => n?.type === 'tab' || n?.type === 'subflow';

/** The nodes of every readable flow file, with the file each came from and the nodes of each tab or subflow. */
export class FlowGraph {
  private readonly byId = new Map<string, FlowNode>();
  /** Node id → the folder of its flow.json, or SHARED_FILE. */
  private readonly fileOf = new Map<string, string>();
  private readonly members = new Map<string, FlowNode[]>();

  constructor(files: FlowFiles) {
    const add = (n: FlowNode, file: string) => {
      // The first of two nodes with one id is the one the graph knows (as the certificates read them).
      if (this.byId.has(n.id)) return;
      this.byId.set(n.id, n);
      this.fileOf.set(n.id, file);
      if (typeof n.z === 'string') this.members.set(n.z, [...(this.members.get(n.z) ?? []), n]);
    };
    for (const [folder, f] of files.folders) for (const n of f.nodes ?? []) add(n, folder);
    for (const n of files.shared) add(n, SHARED_FILE);
  }

  get(id: string): FlowNode | undefined {
    return this.byId.get(id);
  }

  /** The folder a node was read from, or SHARED_FILE. */
  folderOf(id: string): string | undefined {
    return this.fileOf.get(id);
  }

  /** Every node, folders first (in name order), then shared.json, each in file order. */
  nodes(): FlowNode[] {
    return [...this.byId.values()];
  }

  /** What is loaded or left out as one: tabs and subflows (with their nodes), and the nodes on neither (config nodes). */
  units(): FlowNode[] {
    return this.nodes().filter((n) => isContainer(n) || !(typeof n.z === 'string' && isContainer(this.byId.get(n.z))));
  }

  /** The ids a unit stands for: itself and, for a tab or subflow, its nodes. */
  unitIds(id: string): string[] {
    return [id, ...(this.members.get(id) ?? []).map((n) => n.id)];
  }

  /** The nodes a service runs on (its tabs and subflows with their nodes, the config nodes they name), by id. */
  reach(code: string, pattern?: string): Set<string> {
    const starts: string[] = [];
    for (const n of this.byId.values()) {
      const orderIn = n.type === 'wasl-order-in' && (n.service === code || (pattern && n.pattern === pattern));
      if (orderIn && typeof n.z === 'string' && isContainer(this.byId.get(n.z))) starts.push(n.z);
      if (n.type === 'tab' && (this.fileOf.get(n.id) === code || (pattern && this.fileOf.get(n.id) === pattern))) starts.push(n.id);
    }
    return this.closure(starts);
  }

  /** What `ids` run on: a tab or subflow with its nodes, and what any of them names, transitively. */
  closure(ids: readonly string[]): Set<string> {
    const out = new Set<string>();
    const queue: FlowNode[] = [];
    const take = (id: string) => {
      const n = this.byId.get(id);
      if (!n || out.has(id)) return;
      if (typeof n.z === 'string' && isContainer(this.byId.get(n.z))) return take(n.z);
      out.add(id);
      queue.push(n);
      if (isContainer(n)) {
        for (const m of this.members.get(id) ?? []) {
          out.add(m.id);
          queue.push(m);
        }
      }
    };
    for (const id of ids) take(id);
    while (queue.length) {
      const n = queue.shift()!;
      if (n.type.startsWith('subflow:')) take(n.type.slice('subflow:'.length));
      for (const [key, value] of Object.entries(n)) if (key !== 'id') for (const s of stringsOf(value)) if (s !== n.id) take(s);
    }
    return out;
  }

  /** The nodes of `ids` whose type is not allowed, as {id, type} (a subflow instance is allowed when its subflow is among them). */
  refused(ids: ReadonlySet<string>, allowed: ReadonlySet<string>): Array<{ id: string; type: string }> {
    const nodes = [...ids].map((id) => this.byId.get(id)!).filter(Boolean);
    return disallowedNodes(nodes, { allowed }).map((p) => ({ id: p.nodeId, type: p.type }));
  }
}

/**
 * Every flow file, all or nothing (a storage without a release gate): a node type outside the
 * allow-list anywhere stops the load, with the folder it is in.
 */
export function everyFlow(flowsDir: string, allowed: ReadonlySet<string>): FlowSelection {
  const files = readFlowFiles(flowsDir);
  const nodes: FlowNode[] = [];
  const folderOf = new Map<string, string>();
  for (const [folder, f] of files.folders) {
    if (!f.nodes) throw new Error(`${join(flowsDir, folder, 'flow.json')}: ${f.error}`);
    for (const n of f.nodes) if (n.type === 'tab') folderOf.set(n.id, folder);
    nodes.push(...f.nodes);
  }
  nodes.push(...files.shared);
  const problems = disallowedNodes(nodes, { allowed });
  if (problems.length) throw new Error(`the flows under ${flowsDir} hold nodes wasl does not run: ${problems.map((p) => `${p.z ? `${folderOf.get(p.z) ?? p.z}: ` : ''}${p.message}`).join('; ')}`);
  return { nodes, folderOf };
}
