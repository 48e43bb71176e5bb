/**
 * Node-RED's storage for wasl: flows live in the repository, one pretty-printed file per service
 * (`flows/<service>/flow.json`: the service's tab and its nodes), so they diff and merge in git;
 * what belongs to no service tab (config nodes such as wasl-provider, subflows) in
 * `flows/shared.json`. A tab's folder is the one it was read from, else its label when that is a
 * service code. Credentials never sit in those files: Node-RED encrypts them with
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
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../private-files';
import type { OperatorRole } from '../operators';
import { changedCredentialNodes, decryptCredentials, isEncrypted, rekeyCredentials } from './credential-key';
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
}

/** A deploy refused: Node-RED's admin API answers with this status and code. */
export class DeployRefused extends Error {
  readonly status = 400;
  constructor(
    readonly code: FlowProblem['code'],
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

function writeJson(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
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

  const refuse = (who: { actor: string } | undefined, problems: FlowProblem[]): never => {
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

  return {
    async init(): Promise<void> {
      mkdirSync(stateDir, { recursive: true });
      // Node-RED reads the user dir's package.json for installed modules; wasl installs none there.
      const pkg = join(stateDir, 'package.json');
      if (!existsSync(pkg)) writeState(pkg, { name: 'wasl-node-red', private: true, dependencies: {} });
    },

    async getFlows(): Promise<FlowNode[]> {
      const nodes: FlowNode[] = [];
      const dirs = existsSync(flowsDir) ? readdirSync(flowsDir, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
      for (const dir of dirs.sort((a, b) => a.name.localeCompare(b.name))) {
        const file = join(flowsDir, dir.name, 'flow.json');
        const flow = readJson<FlowNode[]>(file, []);
        if (!Array.isArray(flow)) throw new Error(`${file}: a flow file is a JSON array of nodes`);
        for (const n of flow) if (n.type === 'tab') folderOf.set(n.id, dir.name);
        nodes.push(...flow);
      }
      nodes.push(...readJson<FlowNode[]>(join(flowsDir, SHARED), []));
      // A flow file with a node outside the allow-list does not run, here or in production.
      const problems = disallowedNodes(nodes, { allowed: opts.allowedTypes });
      if (problems.length) throw new Error(`the flows under ${flowsDir} hold nodes wasl does not run: ${problems.map((p) => `${p.z ? `${folderOf.get(p.z) ?? p.z}: ` : ''}${p.message}`).join('; ')}`);
      current = nodes;
      return nodes;
    },

    async saveFlows(flows: FlowNode[], user?: unknown): Promise<void> {
      if (opts.readOnly) throw new Error('flows are read-only here: they come from the repository');
      const who = opts.deployer(user);
      const problems = [...disallowedNodes(flows, { allowed: opts.allowedTypes }), ...(who?.role === 'admin' || who?.role === 'local' ? [] : adminOnlyChanges(current, flows))];
      if (problems.length) refuse(who, problems);
      const tabs = new Map<string, string>();
      for (const n of flows) {
        if (n.type !== 'tab') continue;
        const folder = folderOf.get(n.id) ?? (SERVICE.test(String(n.label)) ? String(n.label) : undefined);
        if (!folder) throw new Error(`flow tab "${n.label}" must be named after its service code to be saved under flows/`);
        tabs.set(n.id, folder);
      }
      const files = new Map<string, FlowNode[]>();
      for (const folder of tabs.values()) files.set(folder, []);
      const shared: FlowNode[] = [];
      for (const n of flows) {
        const folder = n.type === 'tab' ? tabs.get(n.id) : n.z ? tabs.get(n.z) : undefined;
        if (folder) files.get(folder)!.push(n);
        else shared.push(n);
      }
      for (const [folder, nodes] of files) {
        mkdirSync(join(flowsDir, folder), { recursive: true });
        writeJson(join(flowsDir, folder, 'flow.json'), nodes);
      }
      writeJson(join(flowsDir, SHARED), shared);
      for (const [id, folder] of tabs) folderOf.set(id, folder);
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
  const key = (n: FlowNode) => JSON.stringify(n);
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
