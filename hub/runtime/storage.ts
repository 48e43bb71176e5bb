/**
 * Node-RED's storage for wasl: flows live in the repository, one pretty-printed file per service
 * (`flows/<service>/flow.json`: the service's tab and its nodes), so they diff and merge in git;
 * what belongs to no service tab (config nodes such as wasl-provider, subflows) in
 * `flows/shared.json`. A tab's folder is the one it was read from, else its label when that is a
 * service code. Credentials never sit in those files: Node-RED encrypts them with
 * credentialSecret (WASL_SECRET) and they are kept in the data dir, with the runtime's settings
 * and sessions. In production the flows are read-only (they come only from the repository).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type FlowNode = { id: string; type: string; z?: string; label?: string; [k: string]: unknown };

export interface FlowStorageOptions {
  flowsDir: string;
  /** Where credentials, runtime settings and sessions are kept. */
  stateDir: string;
  readOnly: boolean;
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

export function createFlowStorage(opts: FlowStorageOptions) {
  const { flowsDir, stateDir } = opts;
  /** tab id → folder it was read from. */
  const folderOf = new Map<string, string>();
  const state = (name: string) => join(stateDir, name);

  return {
    async init(): Promise<void> {
      mkdirSync(stateDir, { recursive: true });
      // Node-RED reads the user dir's package.json for installed modules; wasl installs none there.
      const pkg = join(stateDir, 'package.json');
      if (!existsSync(pkg)) writeJson(pkg, { name: 'wasl-node-red', private: true, dependencies: {} });
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
      return nodes;
    },

    async saveFlows(flows: FlowNode[]): Promise<void> {
      if (opts.readOnly) throw new Error('flows are read-only here: they come from the repository');
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
    },

    // Node-RED hands these over already encrypted with credentialSecret.
    getCredentials: async () => readJson(state('flows_cred.json'), {}),
    saveCredentials: async (creds: unknown) => writeJson(state('flows_cred.json'), creds),
    getSettings: async () => readJson(state('runtime-settings.json'), {}),
    saveSettings: async (s: unknown) => writeJson(state('runtime-settings.json'), s),
    getSessions: async () => readJson(state('sessions.json'), {}),
    saveSessions: async (s: unknown) => writeJson(state('sessions.json'), s),
    getLibraryEntry: async () => [],
    saveLibraryEntry: async () => {
      throw new Error('the library is off in wasl');
    },
  };
}
