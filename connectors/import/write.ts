/**
 * Writes an imported contract (WSDL or OpenAPI) to contracts/providers/<code>/:
 *
 *   provider.json                    the provider file (contracts/provider.schema.json)
 *   contract/                        the contract and every resolved schema, self-contained
 *   operations/<Op>.input.schema.json, <Op>.output.schema.json
 *   operations/bindings.json         per operation: description, idempotent, schema files, binding
 *   types.ts                         generated TypeScript types (./typescript.ts), only when
 *                                    provider.json names an `adapter`
 *
 * types.ts is for the TypeScript that reads the provider's answers: a payment or postal adapter
 * (connectors/payment/, connectors/postal/), named by the provider file's `adapter`. A ministry
 * names none: flows reach it, with JSON and JSONata checked against the operations' JSON Schemas
 * at run time, and no code would read its types — so none are written, and a types.ts left from
 * before is removed. A provider that comes to name an adapter gets its types.ts at the next
 * import, even of an unchanged contract.
 *
 * Re-importing compares with what is there: operations added, removed, changed (input, output or
 * binding), whether the contract files changed, and whether types.ts is to be written or removed.
 * Nothing is overwritten unless `yes` (the CLI asks on a TTY). provider.json keeps everything the
 * engineer edited — names, environments, security, xroad, resilience, errors, xml, operations,
 * adapter, callbacks — and only its contract fields (and kind) are updated. Other files in the
 * folder are left alone.
 *
 * A new provider.json's sandbox endpoint is the simulator the sandbox generates for the provider
 * (a loopback port of its own, see simulatorEndpoint), never the contract's address, so a sandbox
 * test cannot reach a real system; the contract's address (WSDL soap:address, OpenAPI servers)
 * becomes environments.production's, unless it is a placeholder (loopback, example hosts…), when
 * production is left for the engineer to fill in. The plan's notes say which address went where.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ProviderDefinition } from '../../contracts/types';
import { createAjv, pointErrors, ref } from '../../contracts';
import { generateTypes } from './typescript';
import type { ImportedContract } from './types';

const CODE = /^[a-z][a-z0-9-]{1,63}$/;

export interface OperationChange {
  name: string;
  /** What differs: the input schema, the output schema, the binding (SOAPAction, style, headers, method, path…), the description. */
  what: Array<'input' | 'output' | 'binding' | 'description' | 'idempotent'>;
}

export interface ProviderDiff {
  /** No provider folder yet. */
  fresh: boolean;
  added: string[];
  removed: string[];
  changed: OperationChange[];
  /** The contract files (or their service/port) differ from the last import. */
  contractChanged: boolean;
  /**
   * types.ts to be written (provider.json names an adapter, and there is none yet) or removed (it
   * names none); absent when it is as it should be — rewritten with the rest when the contract changed.
   */
  types?: 'write' | 'remove';
}

export interface WriteOptions {
  /** Overwrite an existing provider when the contract changed. */
  yes?: boolean;
}

export interface WriteResult {
  status: 'created' | 'updated' | 'unchanged' | 'not-written';
  dir: string;
  diff: ProviderDiff;
  provider: ProviderDefinition;
}

/** Bindings file entry for one operation. */
export interface BindingsEntry {
  description?: string;
  idempotent: boolean;
  inputSchema: string;
  outputSchema: string;
  binding: Record<string, unknown>;
}

export function operationFileBase(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
}

export function contractSha256(files: ImportedContract['files']): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f.path).update('\0').update(f.content, 'utf8').update('\0');
  return h.digest('hex');
}

export function hasChanges(diff: ProviderDiff): boolean {
  return diff.fresh || diff.contractChanged || diff.added.length > 0 || diff.removed.length > 0 || diff.changed.length > 0 || diff.types !== undefined;
}

/** Whether a provider gets types.ts: when its file names the adapter that reads them. */
export function wantsTypes(provider: ProviderDefinition): boolean {
  return provider.adapter !== undefined;
}

/** The diff as the CLI prints it. */
export function formatDiff(code: string, diff: ProviderDiff): string {
  if (diff.fresh) return `new provider ${code}`;
  if (!hasChanges(diff)) return `provider ${code}: no changes`;
  const lines: string[] = [];
  if (diff.contractChanged || diff.added.length || diff.removed.length || diff.changed.length) {
    lines.push(`provider ${code}: the contract changed`);
    for (const n of diff.added) lines.push(`  + ${n}  (added)`);
    for (const n of diff.removed) lines.push(`  - ${n}  (removed)`);
    for (const c of diff.changed) lines.push(`  ~ ${c.name}  (changed: ${c.what.join(', ')})`);
    if (!diff.added.length && !diff.removed.length && !diff.changed.length) lines.push('  contract files changed; operations are the same');
  } else lines.push(`provider ${code}: the contract is the same`);
  if (diff.types === 'write') lines.push('  types.ts to be written: provider.json names an adapter, which reads them');
  if (diff.types === 'remove') lines.push('  types.ts to be removed: provider.json names no adapter, and nothing reads them');
  return lines.join('\n');
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : val,
  );
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`${file} is not readable JSON: ${(err as Error).message}`, { cause: err });
  }
}

interface Existing {
  provider: Record<string, unknown>;
  bindings: Record<string, BindingsEntry>;
  schemas: Record<string, { input: unknown; output: unknown }>;
}

function readExisting(dir: string): Existing | undefined {
  const pfile = path.join(dir, 'provider.json');
  if (!existsSync(pfile)) return undefined;
  const provider = readJson(pfile) as Record<string, unknown>;
  const bfile = path.join(dir, 'operations', 'bindings.json');
  const bindings = existsSync(bfile) ? (readJson(bfile) as Record<string, BindingsEntry>) : {};
  const schemas: Existing['schemas'] = {};
  for (const [name, b] of Object.entries(bindings)) {
    const load = (f: string) => (existsSync(path.join(dir, 'operations', f)) ? readJson(path.join(dir, 'operations', f)) : undefined);
    schemas[name] = { input: load(b.inputSchema), output: load(b.outputSchema) };
  }
  return { provider, bindings, schemas };
}

function contractRef(imported: ImportedContract, sha256: string): Record<string, string> {
  const main = imported.files[0];
  const out: Record<string, string> = { type: imported.contractType };
  if (main) out.file = `contract/${main.path}`;
  const c = imported.provider.contract;
  if (c?.service) out.service = c.service;
  if (c?.port) out.port = c.port;
  out.sha256 = sha256;
  return out;
}

export function diffProvider(existing: Existing | undefined, imported: ImportedContract, sha256: string): ProviderDiff {
  if (!existing) return { fresh: true, added: imported.operations.map((o) => o.name), removed: [], changed: [], contractChanged: true };
  const names = new Set(imported.operations.map((o) => o.name));
  const diff: ProviderDiff = {
    fresh: false,
    added: imported.operations.filter((o) => !existing.bindings[o.name]).map((o) => o.name),
    removed: Object.keys(existing.bindings).filter((n) => !names.has(n)),
    changed: [],
    contractChanged: canonical(existing.provider.contract) !== canonical(contractRef(imported, sha256)) || existing.provider.kind !== imported.kind,
  };
  for (const op of imported.operations) {
    const was = existing.bindings[op.name];
    if (!was) continue;
    const what: OperationChange['what'] = [];
    const s = existing.schemas[op.name];
    if (canonical(s?.input) !== canonical(op.inputSchema)) what.push('input');
    if (canonical(s?.output) !== canonical(op.outputSchema)) what.push('output');
    if (canonical(was.binding) !== canonical(op.binding)) what.push('binding');
    if ((was.description ?? '') !== (op.description ?? '')) what.push('description');
    if (was.idempotent !== op.idempotent) what.push('idempotent');
    if (what.length) diff.changed.push({ name: op.name, what });
  }
  return diff;
}

function validEndpoint(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !/[{}$\s]/.test(url);
  } catch {
    return false;
  }
}

/**
 * Ports of the sandbox's own simulators (sandbox/simulators: WASL_SIM_CIVIL_PORT … WASL_SIM_POST_PORT
 * by default), which a generated simulator must not take.
 */
const CURATED_SIMULATOR_PORTS = [8091, 8092, 8093, 8094, 8095];
/** The first port the import gives a provider's generated simulator. */
export const FIRST_SIMULATOR_PORT = 8096;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function sandboxPorts(root: string, except: string): Set<number> {
  const used = new Set(CURATED_SIMULATOR_PORTS);
  for (const code of listProviders(root)) {
    if (code === except) continue;
    try {
      const def = JSON.parse(readFileSync(path.join(root, code, 'provider.json'), 'utf8')) as { environments?: { sandbox?: { endpoint?: unknown } } };
      const endpoint = def.environments?.sandbox?.endpoint;
      if (typeof endpoint !== 'string') continue;
      const u = new URL(endpoint);
      if (LOOPBACK_HOSTS.has(u.hostname)) used.add(Number(u.port || (u.protocol === 'https:' ? 443 : 80)));
    } catch {
      // A provider.json that does not read holds no port; loading it says what is wrong with it.
    }
  }
  return used;
}

/**
 * The sandbox endpoint of a new provider: the simulator the sandbox generates from its contract
 * (sandbox/generated), which `wasl start` in the sandbox serves on this loopback port and path
 * (sandbox/simulators/index.ts) and the sandbox runner on a free port with the same path — never
 * the contract's own address. The port is the first from FIRST_SIMULATOR_PORT that neither the
 * sandbox's own simulators nor another provider's sandbox endpoint under `root` takes.
 */
export function simulatorEndpoint(root: string, code: string): string {
  const used = sandboxPorts(root, code);
  let port = FIRST_SIMULATOR_PORT;
  while (used.has(port)) port++;
  return `http://127.0.0.1:${port}/${code}`;
}

/**
 * Whether a contract's address is a placeholder rather than a system to call: loopback or
 * unspecified addresses, and the names and networks reserved for examples and documentation
 * (RFC 2606, 6761, 5737) — localhost, example.com/.net/.org, *.example, *.test, *.invalid,
 * *.localhost, *.local, 192.0.2.0/24…
 */
export function isPlaceholderAddress(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return true;
  }
  if (host.startsWith('[')) return ['[::1]', '[::]'].includes(host) || host.startsWith('[::ffff:127.') || host.startsWith('[::ffff:7f');
  if (/^(127\.|0\.)/.test(host) || /^(192\.0\.2|198\.51\.100|203\.0\.113)\./.test(host)) return true;
  if (['localhost', 'example', 'example.com', 'example.net', 'example.org'].includes(host)) return true;
  return /\.(localhost|example|test|invalid|local|example\.com|example\.net|example\.org)$/.test(host);
}

/**
 * The environments of a new provider: the sandbox is always its local simulator; the contract's
 * address (its first usable one that is not a placeholder) is production's. Notes say which went where.
 */
function environmentsFor(root: string, code: string, imported: ImportedContract, notes: string[]): Record<string, { endpoint: string }> {
  const sandbox = simulatorEndpoint(root, code);
  const usable = imported.endpoints.filter(validEndpoint);
  const production = usable.find((u) => !isPlaceholderAddress(u));
  notes.push(`environments.sandbox.endpoint: ${sandbox} (the simulator the sandbox generates from the contract; never the contract's own address)`);
  if (production) {
    notes.push(`environments.production.endpoint: ${production} (the contract's address; check it is the production system)`);
    if (usable.length > 1) notes.push(`the contract lists ${usable.length} addresses (${usable.join(', ')}); production is ${production} — change it in provider.json if another is right`);
  } else if (imported.endpoints.length) {
    const first = imported.endpoints[0] as string;
    notes.push(
      `the contract's address ${first} ${usable.length ? 'is a placeholder (a loopback or example host)' : 'is not a usable http(s) URL'}: environments.production is left out — fill in environments.production.endpoint in provider.json before going live`,
    );
  } else notes.push('the contract names no address: environments.production is left out — fill in environments.production.endpoint in provider.json before going live');
  return { sandbox: { endpoint: sandbox }, ...(production ? { production: { endpoint: production } } : {}) };
}

function mergeProvider(root: string, code: string, existing: Record<string, unknown> | undefined, imported: ImportedContract, sha256: string, dir: string, notes: string[]): Record<string, unknown> {
  const contract = { ...((existing?.contract as Record<string, unknown> | undefined) ?? {}), ...contractRef(imported, sha256) };
  if (existing) {
    const sandbox = (existing.environments as { sandbox?: { endpoint?: unknown } } | undefined)?.sandbox?.endpoint;
    if (typeof sandbox === 'string' && validEndpoint(sandbox) && !LOOPBACK_HOSTS.has(new URL(sandbox).hostname)) {
      notes.push(`environments.sandbox.endpoint is ${sandbox}, not a local simulator: sandbox tests would call it — unless it is the provider's test system, set it to ${simulatorEndpoint(root, code)}`);
    }
    return { ...existing, code, kind: imported.kind, contract };
  }
  const fresh: Record<string, unknown> = {};
  const schemaFile = path.resolve(__dirname, '..', '..', 'contracts', 'provider.schema.json');
  const relSchema = path.relative(dir, schemaFile);
  if (!relSchema.startsWith(`..${path.sep}..${path.sep}..`)) fresh.$schema = relSchema.split(path.sep).join('/');
  const { contract: _c, names, environments: _e, ...hints } = imported.provider;
  const out: Record<string, unknown> = { ...fresh, code, names: names ?? { ar: code, en: code }, kind: imported.kind, contract, environments: environmentsFor(root, code, imported, notes) };
  // Importer hints (security schemes found…) may add to the defaults, never change code, kind, contract or environments.
  for (const [k, v] of Object.entries(hints)) if (k !== 'code' && k !== 'kind') out[k] = v;
  return out;
}

function validateProvider(def: unknown, where: string): ProviderDefinition {
  const validate = createAjv().getSchema(ref('provider'));
  if (!validate) throw new Error('contracts/provider.schema.json is not loaded');
  if (!validate(def)) {
    const errs = pointErrors(validate.errors).map((e) => `${e.pointer || '/'} ${e.message}`);
    throw new Error(`${where} does not match contracts/provider.schema.json:\n${errs.map((e) => `  - ${e}`).join('\n')}`);
  }
  return def as ProviderDefinition;
}

/** Writes `files` into `dir` through a sibling temporary folder, so a failure leaves the old folder whole. */
function replaceFolder(dir: string, files: Array<{ path: string; content: string }>): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const f of files) {
    const target = path.resolve(tmp, f.path);
    if (!target.startsWith(path.resolve(tmp) + path.sep)) throw new Error(`contract file ${f.path} would be written outside the provider folder`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.content);
  }
  mkdirSync(tmp, { recursive: true });
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

export interface ProviderPlan {
  /** Things the engineer should know: which address went to which environment, a production address to fill in… */
  notes: string[];
  dir: string;
  diff: ProviderDiff;
  sha256: string;
  provider: ProviderDefinition;
}

/** What writing would change, without writing. Validates the merged provider.json. */
export function planProvider(root: string, code: string, imported: ImportedContract): ProviderPlan {
  if (!CODE.test(code)) throw new Error(`provider code "${code}" must be lower-case letters, digits and dashes, starting with a letter (2–64 characters)`);
  const dir = path.join(root, code);
  const existing = readExisting(dir);
  const sha256 = contractSha256(imported.files);
  const diff = diffProvider(existing, imported, sha256);
  const notes: string[] = [];
  const provider = validateProvider(mergeProvider(root, code, existing?.provider, imported, sha256, dir, notes), existing ? `${path.join(dir, 'provider.json')} (after updating its contract)` : 'the new provider.json');
  const hasTypes = existsSync(path.join(dir, 'types.ts'));
  if (existing && wantsTypes(provider) && !hasTypes) diff.types = 'write';
  if (!wantsTypes(provider) && hasTypes) diff.types = 'remove';
  return { notes, dir, diff, sha256, provider };
}

export async function writeProvider(root: string, code: string, imported: ImportedContract, opts: WriteOptions = {}): Promise<WriteResult> {
  const plan = planProvider(root, code, imported);
  const { dir, diff, provider } = plan;
  if (!hasChanges(diff)) return { status: 'unchanged', dir, diff, provider };
  if (!diff.fresh && !opts.yes) return { status: 'not-written', dir, diff, provider };

  const types = wantsTypes(provider) ? await generateTypes(code, imported.operations) : undefined;
  const bindings: Record<string, BindingsEntry> = {};
  const opFiles: Array<{ path: string; content: string }> = [];
  const used = new Set<string>();
  for (const op of imported.operations) {
    let base = operationFileBase(op.name);
    for (let n = 2; used.has(base.toLowerCase()); n++) base = `${operationFileBase(op.name)}_${n}`;
    used.add(base.toLowerCase());
    const entry: BindingsEntry = { idempotent: op.idempotent, inputSchema: `${base}.input.schema.json`, outputSchema: `${base}.output.schema.json`, binding: op.binding };
    if (op.description) entry.description = op.description;
    bindings[op.name] = entry;
    opFiles.push({ path: entry.inputSchema, content: `${JSON.stringify(op.inputSchema, null, 2)}\n` });
    opFiles.push({ path: entry.outputSchema, content: `${JSON.stringify(op.outputSchema, null, 2)}\n` });
  }
  opFiles.push({ path: 'bindings.json', content: `${JSON.stringify(bindings, null, 2)}\n` });

  mkdirSync(dir, { recursive: true });
  replaceFolder(path.join(dir, 'contract'), imported.files);
  replaceFolder(path.join(dir, 'operations'), opFiles);
  if (types !== undefined) writeFileSync(path.join(dir, 'types.ts'), types);
  else rmSync(path.join(dir, 'types.ts'), { force: true });
  writeFileSync(path.join(dir, 'provider.json'), `${JSON.stringify(provider, null, 2)}\n`);
  return { status: diff.fresh ? 'created' : 'updated', dir, diff, provider };
}

/** Lists the provider codes under a root (folders with a provider.json). */
export function listProviders(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, 'provider.json')))
    .map((d) => d.name)
    .sort();
}
