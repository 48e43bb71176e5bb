/**
 * What a service's behaviour depends on — exactly that, so that a certificate is voided by every
 * change that can alter the service and by none that cannot (docs/release.md):
 * - its own folder: the definition (without its lifecycle, which promotion changes) and scenarios;
 * - the flow that carries it, followed through the flow graph: the tabs whose `wasl-order-in`
 *   names the service or its pattern (service.json `flow.pattern`), its own tab and its pattern's,
 *   then whatever their nodes name — a subflow they instantiate (`subflow:<id>`), a config node
 *   (a wasl-provider…) whose id a property holds, a node of another tab (a link) — and what those
 *   name in turn;
 * - the provider files of every provider it calls: its definition's, its wasl-provider config
 *   nodes', and the payment and postal companies its fulfilment uses (a wasl-payment node: the
 *   domestic and international payment providers of the fulfilment configuration; a wasl-postal
 *   node: its postal provider);
 * - the code of each wasl node type it uses (nodes/<type>.ts/.js/.html, its locales, what it
 *   imports under nodes/, resources/editor.js for the dialogs that load it), wasl's version and
 *   Node-RED's;
 * - the simulators the sandbox tested it against (runner/simulator-sources.ts), as files.
 * JSON is hashed canonically (keys in order; nodes of a tab by id; editor positions x, y, w, h
 * left out), so a reformatted or reordered file changes nothing while a changed value always does.
 * Adding a provider, a service or a config node, or editing another service, touches none of it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import stringify from 'safe-stable-stringify';
import type { ServiceDefinition } from '../contracts/types';
import { DEFAULT_FULFILMENT_FILE } from '../hub/fulfilment';
import { LifecycleError, type ServiceRoots } from '../hub/lifecycle';
import { FlowGraph, readFlowFiles, SHARED_FILE } from '../hub/runtime/flow-selection';
import type { FlowNode } from '../hub/runtime/node-types';
import { simulatorSources } from './runner/simulator-sources';

export type DependencyKind = 'definition' | 'scenario' | 'flow' | 'subflow' | 'config-node' | 'provider-file' | 'simulator' | 'node-code' | 'wasl' | 'node-red';

/** One thing a certificate covers. */
export interface Dependency {
  kind: DependencyKind;
  /** The service, a scenario's file name, a tab's label, a subflow or config node as "<id> (<type or name>)", a provider, a node type, a package. */
  name: string;
  /** The file it is read from, relative to the repository (flows/…, contracts/providers/…, sandbox/…). */
  path?: string;
  /** Its content's digest: of canonical JSON for JSON, of the bytes otherwise, of its files for node code and simulators. */
  sha256?: string;
  /** For wasl and Node-RED. */
  version?: string;
  /** The files node code or a simulator is made of, relative to the repository. */
  files?: string[];
}

/** A dependency that cannot be read: a provider the service calls is not there, its definition is missing… */
export class DependencyError extends LifecycleError {
  override name = 'DependencyError';
}

/** Where wasl's own code is (nodes/, sandbox/, package.json): this package. */
export const CODE_ROOT = resolve(__dirname, '..');

export interface DependencyOptions {
  /** Where nodes/, resources/, sandbox/ and package.json are read from; this package by default. */
  codeRoot?: string;
  /** Node-RED's version; the one installed by default. */
  nodeRedVersion?: string;
}


const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
/** Editor-only: where a node sits on the canvas, and a group's size. */
const POSITION = new Set(['x', 'y', 'w', 'h']);
const withoutPosition = (n: Record<string, unknown>) => Object.fromEntries(Object.entries(n).filter(([k]) => !POSITION.has(k)));
export const canonicalDigest = (value: unknown) => sha256(stringify(value) ?? '');

/** A file's digest: canonical for JSON (a reformat or reordered keys do not change it), bytes otherwise. */
function fileDigest(file: string): string {
  const bytes = readFileSync(file);
  if (file.endsWith('.json')) {
    try {
      return canonicalDigest(JSON.parse(bytes.toString('utf8')));
    } catch {
      // Not JSON after all: its bytes.
    }
  }
  return sha256(bytes);
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else if (entry.isFile()) out.push(p);
  }
  return out.sort();
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const posix = (p: string) => p.split('\\').join('/');

// ---- code ----

const isFile = (f: string) => existsSync(f) && statSync(f).isFile();

const IMPORT = /(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** A file and what it imports, transitively, of the files under `within`. */
function importClosure(entry: string, within: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry) || !existsSync(entry)) return seen;
  seen.add(entry);
  if (!/\.[cm]?[jt]s$/.test(entry)) return seen;
  for (const m of readFileSync(entry, 'utf8').matchAll(IMPORT)) {
    const target = resolve(dirname(entry), m[1]!);
    const file = [target, `${target}.ts`, `${target}.js`, join(target, 'index.ts'), join(target, 'index.js')].find(isFile);
    if (file && !relative(within, file).startsWith('..')) importClosure(file, within, seen);
  }
  return seen;
}


function codeDependency(kind: 'node-code' | 'simulator', name: string, files: Iterable<string>, root: string, path?: string): Dependency {
  const rel = [...new Set(files)].filter((f) => existsSync(f)).map((f) => posix(relative(root, f))).sort();
  const sha = sha256(rel.map((f) => `${sha256(readFileSync(join(root, f)))}  ${f}\n`).join(''));
  return { kind, name, ...(path ? { path } : {}), sha256: sha, files: rel };
}

/** A wasl node type's code: the node, its shim and dialog, its help and messages, what it imports under nodes/, and the dialogs' shared script when its dialog loads it. */
function nodeCode(type: string, root: string): Dependency {
  const nodes = join(root, 'nodes');
  const files = new Set<string>();
  for (const ext of ['.ts', '.js', '.html']) files.add(join(nodes, `${type}${ext}`));
  for (const lang of existsSync(join(nodes, 'locales')) ? readdirSync(join(nodes, 'locales')) : []) for (const ext of ['.json', '.html']) files.add(join(nodes, 'locales', lang, `${type}${ext}`));
  for (const f of importClosure(join(nodes, `${type}.ts`), nodes)) files.add(f);
  const html = join(nodes, `${type}.html`);
  if (existsSync(html) && readFileSync(html, 'utf8').includes('editor.js')) files.add(join(root, 'resources', 'editor.js'));
  return codeDependency('node-code', type, files, root);
}

/** The simulator the runner starts for a provider: its entry files, what they import under sandbox/, and the assets beside them (a generated SOAP simulator's empty.xsd). */
function simulator(provider: string, kind: string, root: string): Dependency {
  const sandbox = join(root, 'sandbox');
  const { made, entries, alone } = simulatorSources(provider, kind);
  const files = new Set<string>(alone.map((f) => join(sandbox, f)));
  for (const e of entries) {
    const entry = join(sandbox, e);
    for (const f of importClosure(entry, sandbox)) files.add(f);
    for (const f of readdirSync(dirname(entry))) if (!/\.(ts|js|md)$/.test(f) && isFile(join(dirname(entry), f))) files.add(join(dirname(entry), f));
  }
  return codeDependency('simulator', `${provider} (${made})`, files, root, posix(relative(root, join(sandbox, entries[0]!))));
}

/**
 * wasl's own code as installed (CODE_ROOT) is read once per process: it is the code this process
 * runs (Node caches what it loaded), and reading it for each of many services is most of the work.
 * Code read from another root (a test's copy) is read every time.
 */
const installed = new Map<string, Dependency>();
function installedCode(key: string, root: string, make: () => Dependency): Dependency {
  if (root !== CODE_ROOT) return make();
  let d = installed.get(key);
  if (!d) installed.set(key, (d = make()));
  return d;
}

function packageVersion(file: string): string {
  return String(readJson<{ version?: string }>(file).version ?? '');
}

let nodeRed: string | undefined;
/** The Node-RED this process runs. */
const NODE_RED_VERSION = () => (nodeRed ??= packageVersion(require.resolve('node-red/package.json')));

// ---- the whole ----

const ORDER: DependencyKind[] = ['definition', 'scenario', 'flow', 'subflow', 'config-node', 'provider-file', 'simulator', 'node-code', 'wasl', 'node-red'];

/** How a dependency is told apart from the others of a certificate. */
export const dependencyKey = (d: { kind: string; name: string; path?: string }) => `${d.kind}\u0000${d.name}\u0000${d.path ?? ''}`;

function sortDependencies(deps: Dependency[]): Dependency[] {
  return deps.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || (dependencyKey(a) < dependencyKey(b) ? -1 : dependencyKey(a) > dependencyKey(b) ? 1 : 0));
}

/** The providers a service's fulfilment calls: the payment providers when its flow requests payments, the postal one when it ships. */
function fulfilmentProviders(types: Set<string>, fulfilmentFile: string): string[] {
  if (!types.has('wasl-payment') && !types.has('wasl-postal')) return [];
  let config: { payments?: { domestic?: { provider?: string }; international?: { provider?: string } }; postal?: { provider?: string } };
  try {
    config = readJson(fulfilmentFile);
  } catch (err) {
    throw new DependencyError(`the fulfilment configuration ${fulfilmentFile} cannot be read: ${(err as Error).message}`);
  }
  const out: Array<string | undefined> = [];
  if (types.has('wasl-payment')) out.push(config.payments?.domestic?.provider, config.payments?.international?.provider);
  if (types.has('wasl-postal')) out.push(config.postal?.provider);
  return out.filter((p): p is string => typeof p === 'string' && p.length > 0);
}

/** Everything a service's behaviour depends on, each with its digest, in a stable order. */
export function serviceDependencies(code: string, roots: ServiceRoots, opts: DependencyOptions = {}): Dependency[] {
  const root = opts.codeRoot ?? CODE_ROOT;
  const dir = join(roots.flowsDir, code);
  const defFile = join(dir, 'service.json');
  if (!existsSync(defFile)) throw new DependencyError(`no service ${code} in ${roots.flowsDir}`);
  const def = readJson<ServiceDefinition>(defFile);
  const deps: Dependency[] = [];
  // The definition without its lifecycle: promoting a service must not void its certificate.
  const { lifecycle: _lifecycle, ...defined } = def;
  deps.push({ kind: 'definition', name: code, path: `flows/${code}/service.json`, sha256: canonicalDigest(defined) });
  const scenarios = join(dir, 'scenarios');
  for (const f of filesUnder(scenarios)) deps.push({ kind: 'scenario', name: posix(relative(scenarios, f)), path: `flows/${code}/scenarios/${posix(relative(scenarios, f))}`, sha256: fileDigest(f) });

  // The graph the release gate loads a service by (hub/runtime/flow-selection.ts): a certificate
  // covers exactly what a production hub will run for it.
  let graph: FlowGraph;
  try {
    graph = new FlowGraph(readFlowFiles(roots.flowsDir));
  } catch (err) {
    throw new DependencyError((err as Error).message);
  }
  const byId = (ids: Iterable<string>) => [...ids].sort().map((id) => graph.get(id)!);
  const reached = byId(graph.reach(code, def.flow?.pattern));
  const isContainer = (n: FlowNode | undefined) => n?.type === 'tab' || n?.type === 'subflow';
  const containers = reached.filter(isContainer);
  const configs = reached.filter((n) => !isContainer(n) && !(typeof n.z === 'string' && isContainer(graph.get(n.z))));
  const types = new Set<string>();
  const providers = new Set<string>([def.provider.code]);
  const note = (n: FlowNode) => {
    types.add(n.type);
    if (n.type === 'wasl-provider' && typeof n.code === 'string' && n.code) providers.add(n.code);
  };
  for (const c of containers) {
    const nodes = byId(graph.unitIds(c.id));
    nodes.forEach(note);
    const label = String(c.type === 'tab' ? (c.label ?? c.id) : `${c.id} (${String(c.name ?? 'subflow')})`);
    const folder = graph.folderOf(c.id);
    deps.push({ kind: c.type === 'tab' ? 'flow' : 'subflow', name: label, path: folder === SHARED_FILE ? `flows/${SHARED_FILE}` : `flows/${folder}/flow.json`, sha256: canonicalDigest(nodes.map(withoutPosition)) });
  }
  for (const n of configs) {
    note(n);
    deps.push({ kind: 'config-node', name: `${n.id} (${n.type})`, sha256: canonicalDigest(withoutPosition(n)) });
  }

  for (const p of fulfilmentProviders(types, roots.fulfilmentFile ?? DEFAULT_FULFILMENT_FILE)) providers.add(p);
  for (const p of [...providers].sort()) {
    const pdir = join(roots.providersRoot, p);
    const files = filesUnder(pdir);
    if (files.length === 0) throw new DependencyError(`service ${code} uses provider ${p}, which is not under ${roots.providersRoot}`);
    for (const f of files) deps.push({ kind: 'provider-file', name: p, path: `contracts/providers/${p}/${posix(relative(pdir, f))}`, sha256: fileDigest(f) });
    const kind = existsSync(join(pdir, 'provider.json')) ? String(readJson<{ kind?: string }>(join(pdir, 'provider.json')).kind ?? '') : '';
    deps.push(installedCode(`simulator ${p} ${kind}`, root, () => simulator(p, kind, root)));
  }

  for (const t of [...types].filter((t) => t.startsWith('wasl-')).sort()) deps.push(installedCode(`node ${t}`, root, () => nodeCode(t, root)));
  deps.push(installedCode('wasl', root, () => ({ kind: 'wasl', name: 'wasl', version: packageVersion(join(root, 'package.json')) })));
  deps.push({ kind: 'node-red', name: 'node-red', version: opts.nodeRedVersion ?? NODE_RED_VERSION() });
  return sortDependencies(deps);
}

/** The digest of a list of dependencies: of their canonical JSON, in their stable order. */
export function dependenciesDigest(deps: readonly Dependency[]): string {
  return canonicalDigest(sortDependencies([...deps]));
}

/** What a dependency is called in a sentence: its file when it is one, else its kind and name. */
export function describeDependency(d: { kind: string; name: string; path?: string }): string {
  if (d.path && (d.kind === 'definition' || d.kind === 'scenario' || d.kind === 'provider-file' || d.kind === 'flow')) return d.path;
  return `${d.kind} ${d.name}`;
}
