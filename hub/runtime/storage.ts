/**
 * Node-RED's storage for wasl: flows live in the repository, one pretty-printed file per service
 * (`flows/<service>/flow.json`: the service's tab and its nodes), so they diff and merge in git;
 * what belongs to no service tab (config nodes such as wasl-provider, subflows) in
 * `flows/shared.json`. A tab's folder is the one it was read from, else its label, which must name
 * a service (flows/<label>/service.json, not carried by a pattern's flow) or a pattern (pattern-…):
 * a tab that is neither is refused, and nothing is written into flows/ for it.
 *
 * A deploy writes a flow file only when its content changed, in one canonical form
 * (flow-file.ts: stable node and key order), so renaming one node changes one file, and the editor's
 * order of nodes and keys changes nothing. Deleting a tab removes its flow.json (a copy is kept in
 * the data dir, deleted-flows/) and keeps the service's folder — definition, scenarios, certificate,
 * lifecycle, which the editor does not own; it is refused for a live service (retire it first) and
 * for a pattern that services name. Credentials never sit in those files: Node-RED encrypts them with
 * credentialSecret (credential-key.ts) and they are kept in the data dir (0600), with the
 * runtime's settings and sessions. In production the flows are read-only (they come only from
 * the repository).
 *
 * The storage is where a deploy lands, with the user who made it: so it is where a deploy is
 * refused (a node type outside the allow-list, a function node changed by someone who is not an
 * admin: node-types.ts) before anything is written, and where it is audited with what changed.
 * Node-RED hands the credentials over just before the flows; they are held until the flows are
 * accepted, so a refused deploy writes nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writePrivateFile } from '../private-files';
import type { OperatorRole } from '../operators';
import { changedCredentialNodes, decryptCredentials, isEncrypted, rekeyCredentials } from './credential-key';
import { flowFileText, nodeText } from './flow-file';
import { everyFlow, type FlowSelection } from './flow-selection';
import { adminOnlyChanges, disallowedNodes, type FlowNode, type FlowProblem } from './node-types';

/** Who deployed: an operator's role, or `local` when the editor has no login (the sandbox on loopback). */
export type DeployerRole = OperatorRole | 'local';

export interface FlowStorageOptions {
  flowsDir: string;
  /** Where credentials, runtime settings and sessions are kept. */
  stateDir: string;
  readOnly: boolean;
  /** The node types flows may hold (node-types.ts). */
  allowedTypes: ReadonlySet<string>;
  /** The user Node-RED passes with a deploy ({username}; none without a login), as an actor and a role; undefined: not an operator. */
  deployer(user: unknown): { actor: string; role: DeployerRole } | undefined;
  /** The key Node-RED encrypts credentials with, and older keys whose files are moved to it. */
  credentialSecret: string;
  legacySecrets?: readonly string[];
  /** Appends an admin action to the audit trail. */
  audit?(actor: string, action: string, data: Record<string, unknown>): void;
  /**
   * What Node-RED loads: the release gate's choice (../release-gate.ts), a refused service's
   * folder left out and the others loaded. Without it, every flow file, all or nothing
   * (flow-selection.ts everyFlow).
   */
  select?(): FlowSelection;
}

/** Why a deploy's tabs cannot be saved as they are (see saveFlows). */
export type TabProblemCode = 'tab-not-a-service' | 'tab-folder-taken' | 'live-service-flow-deleted' | 'pattern-in-use';
type DeployProblem = FlowProblem | { code: TabProblemCode; nodeId: string; type: 'tab'; z?: undefined; message: string };

/** A deploy refused: Node-RED's admin API answers with this status and code. */
export class DeployRefused extends Error {
  readonly status = 400;
  constructor(
    readonly code: DeployProblem['code'],
    message: string,
  ) {
    super(message);
  }
}

const SERVICE = /^[a-z][a-z0-9-]{2,63}$/;
const SHARED = 'shared.json';

function readJson<T>(file: string, dflt: T): T {
  if (!existsSync(file)) return dflt;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

function readText(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

function writeText(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Credentials, settings and sessions: owner-only. */
function writeState(file: string, value: unknown): void {
  writePrivateFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function createFlowStorage(opts: FlowStorageOptions) {
  const { flowsDir, stateDir } = opts;
  /** tab id → folder it was read from. */
  const folderOf = new Map<string, string>();
  const state = (name: string) => join(stateDir, name);
  /** The flows as last read or saved: what a deploy is compared with. */
  let current: FlowNode[] = [];
  /** Credentials handed over for the deploy under way, written once its flows are accepted. */
  let pendingCredentials: unknown;

  const refuse = (who: { actor: string } | undefined, problems: DeployProblem[]): never => {
    opts.audit?.(who?.actor ?? 'operator:(unknown)', 'deploy-refused', {
      nodes: problems.map((p) => ({ id: p.nodeId, type: p.type, ...(p.z ? { z: p.z } : {}), code: p.code })),
    });
    pendingCredentials = undefined;
    throw new DeployRefused(problems[0]!.code, problems.map((p) => p.message).join('; '));
  };

  const readCredentials = (): unknown => {
    const blob = readJson<unknown>(state('flows_cred.json'), {});
    if (!isEncrypted(blob)) return blob;
    const { blob: now, rekeyed } = rekeyCredentials(blob, opts.credentialSecret, opts.legacySecrets ?? []);
    if (rekeyed) writeState(state('flows_cred.json'), now);
    return now;
  };

  /** flows/<folder>/service.json, when there is one. */
  const definitionIn = (folder: string) => readJson<{ lifecycle?: string; flow?: { pattern?: string } } | undefined>(join(flowsDir, folder, 'service.json'), undefined);
  /** The services whose definition names `folder` as the flow that carries them (service.json flow.pattern). */
  const servicesOn = (folder: string): string[] =>
    (existsSync(flowsDir) ? readdirSync(flowsDir, { withFileTypes: true }) : [])
      .filter((d) => d.isDirectory() && d.name !== folder && definitionIn(d.name)?.flow?.pattern === folder)
      .map((d) => d.name)
      .sort();
  /** Why a tab's flow may not be written into flows/<folder>, or undefined when it may. */
  const notAFlowFolder = (folder: string, label: string): string | undefined => {
    if (!SERVICE.test(folder)) return `tab "${label}" is not named after a service: a flow is saved under flows/ only as a service's (flows/<code>/service.json) or a pattern's (pattern-…); name the tab after its service's code`;
    const def = definitionIn(folder);
    if (def?.flow?.pattern) return `tab "${label}": service ${folder} is carried by the flow of ${def.flow.pattern} (flow.pattern in its service.json): change that tab, or take flow.pattern out of the definition first`;
    if (!def && !folder.startsWith('pattern-')) return `tab "${label}" is not a service: there is no flows/${folder}/service.json (create the service first: npx wasl service new ${folder} --provider <code>), and it is not a pattern (pattern-…)`;
    return undefined;
  };

  /**
   * What a deploy writes: the flow files (each folder's flow.json, shared.json) whose canonical text
   * differs from the file's, and the folders whose tab was deleted; or why its tabs cannot be saved.
   */
  const planSave = (flows: readonly FlowNode[]) => {
    const problems: DeployProblem[] = [];
    const tabProblem = (tab: FlowNode, code: TabProblemCode, message: string) => problems.push({ code, nodeId: tab.id, type: 'tab', message });
    const labelOf = (tab: FlowNode) => String(tab.label ?? tab.id);
    /** tab id → folder; folder → its tab. */
    const tabs = new Map<string, string>();
    const tabIn = new Map<string, FlowNode>();
    for (const n of flows) {
      if (n.type !== 'tab') continue;
      const folder = folderOf.get(n.id) ?? labelOf(n);
      const other = tabIn.get(folder);
      if (other) tabProblem(n, 'tab-folder-taken', `tabs "${labelOf(other)}" and "${labelOf(n)}" are both the flow of ${folder}: a service has one tab`);
      else {
        tabs.set(n.id, folder);
        tabIn.set(folder, n);
      }
    }
    const files = new Map<string, FlowNode[]>([...tabIn.keys()].map((folder) => [folder, []]));
    const shared: FlowNode[] = [];
    for (const n of flows) {
      const folder = n.type === 'tab' ? tabs.get(n.id) : n.z ? tabs.get(n.z) : undefined;
      if (folder) files.get(folder)!.push(n);
      else shared.push(n);
    }
    const writes = new Map<string, string>();
    for (const [folder, nodes] of files) {
      const tab = tabIn.get(folder)!;
      // A label is a path only once it is a code; a folder read from disk is one already.
      if (folderOf.get(tab.id) !== folder && !SERVICE.test(folder)) {
        tabProblem(tab, 'tab-not-a-service', notAFlowFolder(folder, labelOf(tab))!);
        continue;
      }
      const file = join(flowsDir, folder, 'flow.json');
      const text = flowFileText(nodes);
      if (readText(file) === text) continue;
      const why = notAFlowFolder(folder, labelOf(tab));
      if (why) tabProblem(tab, 'tab-not-a-service', why);
      else writes.set(file, text);
    }
    const sharedFile = join(flowsDir, SHARED);
    const sharedText = flowFileText(shared);
    const onDisk = readText(sharedFile);
    if (onDisk !== sharedText && (onDisk !== undefined || shared.length > 0)) writes.set(sharedFile, sharedText);
    // A deleted tab: its flow.json goes, the service's folder stays; not a live service's, nor a pattern's that services name.
    const deployed = new Set(flows.filter((n) => n.type === 'tab').map((n) => n.id));
    const removals: Array<{ id: string; folder: string }> = [];
    for (const n of current) {
      const folder = n.type === 'tab' && !deployed.has(n.id) ? folderOf.get(n.id) : undefined;
      if (!folder || tabIn.has(folder) || !existsSync(join(flowsDir, folder, 'flow.json'))) continue;
      const users = servicesOn(folder);
      if (definitionIn(folder)?.lifecycle === 'live') tabProblem(n, 'live-service-flow-deleted', `tab "${labelOf(n)}" is the flow of ${folder}, which is live: retire the service first (npx wasl service retire ${folder}), or undo the deletion`);
      else if (users.length) tabProblem(n, 'pattern-in-use', `tab "${labelOf(n)}" is the flow of ${users.length} services (${users.slice(0, 5).join(', ')}${users.length > 5 ? ', …' : ''}): point their definitions (flow.pattern) at another flow first, or undo the deletion`);
      else removals.push({ id: n.id, folder });
    }
    return { problems, tabs, writes, removals };
  };

  return {
    async init(): Promise<void> {
      mkdirSync(stateDir, { recursive: true });
      // Node-RED reads the user dir's package.json for installed modules; wasl installs none there.
      const pkg = join(stateDir, 'package.json');
      if (!existsSync(pkg)) writeState(pkg, { name: 'wasl-node-red', private: true, dependencies: {} });
    },

    async getFlows(): Promise<FlowNode[]> {
      // A flow file with a node outside the allow-list does not run, here or in production: the
      // gate leaves that folder (and the services it carries) out, and loads the others.
      const { nodes, folderOf: folders } = opts.select?.() ?? everyFlow(flowsDir, opts.allowedTypes);
      for (const [tab, folder] of folders) folderOf.set(tab, folder);
      current = nodes;
      return nodes;
    },

    async saveFlows(flows: FlowNode[], user?: unknown): Promise<void> {
      if (opts.readOnly) throw new Error('flows are read-only here: they come from the repository');
      const who = opts.deployer(user);
      const problems = [...disallowedNodes(flows, { allowed: opts.allowedTypes }), ...(who?.role === 'admin' || who?.role === 'local' ? [] : adminOnlyChanges(current, flows))];
      if (problems.length) refuse(who, problems);
      const plan = planSave(flows);
      if (plan.problems.length) refuse(who, plan.problems);
      for (const [file, text] of plan.writes) {
        mkdirSync(dirname(file), { recursive: true });
        writeText(file, text);
      }
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      for (const { id, folder } of plan.removals) {
        const dir = join(flowsDir, folder);
        writePrivateFile(state(join('deleted-flows', `${folder}-${stamp}.json`)), readFileSync(join(dir, 'flow.json')));
        rmSync(join(dir, 'flow.json'));
        if (readdirSync(dir).length === 0) rmdirSync(dir);
        folderOf.delete(id);
      }
      for (const [id, folder] of plan.tabs) folderOf.set(id, folder);
      const actor = who?.actor ?? 'operator:(unknown)';
      if (pendingCredentials !== undefined) {
        const before = readCredentials();
        writeState(state('flows_cred.json'), pendingCredentials);
        const open = (c: unknown) => (isEncrypted(c) ? decryptCredentials(c, opts.credentialSecret) : (c as Record<string, unknown>));
        const nodes = changedCredentialNodes(open(before), open(pendingCredentials));
        pendingCredentials = undefined;
        if (nodes.length) opts.audit?.(actor, 'credentials-changed', { nodes: nodes.map((id) => ({ id, type: flows.find((n) => n.id === id)?.type ?? '(removed)' })) });
      }
      opts.audit?.(actor, 'deploy', deployDiff(current, flows));
      current = flows;
    },

    // Node-RED hands these over already encrypted with credentialSecret.
    getCredentials: async () => readCredentials(),
    saveCredentials: async (creds: unknown) => {
      pendingCredentials = creds;
    },
    getSettings: async () => readJson(state('runtime-settings.json'), {}),
    saveSettings: async (s: unknown) => writeState(state('runtime-settings.json'), s),
    getSessions: async () => readJson(state('sessions.json'), {}),
    saveSessions: async (s: unknown) => writeState(state('sessions.json'), s),
    getLibraryEntry: async () => [],
    saveLibraryEntry: async () => {
      throw new Error('the library is off in wasl');
    },
  };
}

/** What a deploy changed, for the audit trail: tabs by id and label, node types, counts; never node content. */
export function deployDiff(before: readonly FlowNode[], after: readonly FlowNode[]): Record<string, unknown> {
  const key = nodeText;
  const old = new Map(before.map((n) => [n.id, n]));
  const now = new Map(after.map((n) => [n.id, n]));
  const added = after.filter((n) => !old.has(n.id));
  const removed = before.filter((n) => !now.has(n.id));
  const changed = after.filter((n) => old.has(n.id) && key(old.get(n.id)!) !== key(n));
  const touched = [...added, ...removed, ...changed];
  const label = (id: string) => String((now.get(id) ?? old.get(id))?.label ?? (now.get(id) ?? old.get(id))?.name ?? '');
  const tabIds = new Set(touched.map((n) => (n.type === 'tab' || n.type === 'subflow' ? n.id : n.z)).filter((z): z is string => typeof z === 'string'));
  return {
    tabs: [...tabIds].sort().map((id) => ({ id, label: label(id), change: !old.has(id) ? 'added' : !now.has(id) ? 'removed' : 'changed' })),
    nodeTypes: [...new Set(touched.map((n) => n.type))].sort(),
    added: added.length,
    changed: changed.length,
    removed: removed.length,
    configNodes: touched.filter((n) => !n.z && n.type !== 'tab' && n.type !== 'subflow').map((n) => n.id).sort(),
  };
}
