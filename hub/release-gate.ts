/**
 * The release gate as a running hub applies it (DESIGN, "Trust": only certified code serves
 * citizens). At start, and again for a service whose definition changes under a running hub
 * (`wasl service promote` or `retire`, in another process), it decides per service whether its
 * flow runs here:
 *
 * - production: a service runs when it is live, its certificate holds (CertificateReader.check),
 *   and what it runs on — its flow graph (runtime/flow-selection.ts: its own tab or its pattern's,
 *   the subflows and config nodes they name; what its certificate covers) — holds only
 *   allow-listed node types (runtime/node-types.ts). Node-RED loads the flow graphs of the
 *   services that run (a pattern's tab once, while at least one of its services runs), nothing
 *   else: every other folder, tab and config node is left out, and reported.
 * - sandbox: everything is loaded but the tabs, subflows and config nodes that hold a refused node
 *   type (or name one that does); every service runs but those whose flow graph reaches one.
 *
 * A service that does not run is refused, not hidden: the catalogue keeps the refusal, so intake
 * answers its orders 503 service-not-certified; its events stay in its queue (the workers do not
 * subscribe for it, while a pattern's tab may run for its other services); GET /v1/services
 * (operators), the dashboard and /metrics show it; it is logged and audited (actor
 * system:release-gate) at each start or reload. The other services run normally.
 *
 * In production the gate watches flows/<code>/service.json (`watch`): a promoted service starts, a
 * retired one stops, each alone (the runtime deploys the changed tabs only, the workers subscribe
 * or unsubscribe that service). What already runs stays as it was loaded: a reload never brings in
 * another service's changed files, and a service that needs a pattern or config node changed since
 * they were loaded for the services running on them is refused until the hub restarts.
 */
import { watch as watchFiles } from 'chokidar';
import { basename, relative, sep } from 'node:path';
import stringify from 'safe-stable-stringify';
import type { ServiceDefinition, ServiceRefusal } from '../contracts/types';
import type { Catalogue } from './catalogue';
import type { WaslEnv } from './config';
import type { AuditEntry } from './audit/chain';
import { gateAuditEntry, serviceRoots, type CertificateReader, type CertificateTrust, type ServiceRoots } from './lifecycle';
import type { Logger } from './log';
import { FlowGraph, readFlowFiles, SHARED_FILE, type FlowFiles, type FlowSelection } from './runtime/flow-selection';
import type { FlowNode } from './runtime/node-types';

/** Who the gate's records name. */
export const GATE_ACTOR = 'system:release-gate';

export interface ReleaseGateOptions {
  flowsDir: string;
  /** contracts/providers: what certificates cover besides flows/. */
  providersRoot: string;
  /** The payment and delivery configuration (HubConfig.fulfilmentFile), which certificates cover too. */
  fulfilmentFile?: string;
  env: WaslEnv;
  catalogue: Catalogue;
  /** The node types flows may hold (runtime/node-types.ts, with WASL_EXTRA_NODE_TYPES). */
  allowedTypes: ReadonlySet<string>;
  /** The certificate reader the hub was given; without one, production starts no service. */
  certificates?: CertificateReader;
  /** Whose signatures make a certificate trusted (lifecycle.ts certificateTrust); a throw refuses every service. */
  trust?: () => CertificateTrust | undefined;
  logger: Logger;
  /** Appends a gate action to the audit trail (kind operator.action, actor GATE_ACTOR). */
  audit?(entry: AuditEntry): void;
  now?: () => Date;
}

/** What a reload changed. */
export interface GateChange {
  /** Services that run now and did not before. */
  started: string[];
  /** Services that ran and no longer do. */
  stopped: string[];
  /** Services this reload refused. */
  refused: string[];
  /** Whether what Node-RED loads changed. */
  flowsChanged: boolean;
}

interface Refusal {
  reason: ServiceRefusal['reason'];
  message: string;
  /** Files that differ from what was certified. */
  changed?: string[];
  /** Nodes of a type outside the allow-list. */
  nodes?: Array<{ id: string; type: string }>;
}

type Decision = { reach: Set<string> } | Refusal;

const text = (v: unknown) => stringify(v) ?? '';
const typesMessage = (nodes: Array<{ id: string; type: string }>) => `its flow holds node types wasl does not run: ${nodes.map((n) => `${n.type} (${n.id})`).join(', ')}`;

export class ReleaseGate {
  private readonly served = new Set<string>();
  /** What each running service runs on (production), by node id. */
  private readonly reachOf = new Map<string, Set<string>>();
  /** What Node-RED loads, as it loaded it, in order. */
  private loaded = new Map<string, FlowNode>();
  /** Each loaded tab's folder. */
  private tabFolder = new Map<string, string>();
  private readonly roots: ServiceRoots;
  private applying: Promise<unknown> = Promise.resolve();
  private started = false;
  /** The sandbox's left-out units already reported. */
  private reported = new Set<string>();

  constructor(private readonly opts: ReleaseGateOptions) {
    this.roots = serviceRoots(opts.flowsDir, opts.providersRoot, opts.fulfilmentFile);
  }

  /** Whether the service's flow runs in this hub (and its workers may take its events). */
  serves(code: string): boolean {
    return this.served.has(code);
  }

  /** What Node-RED loads (production: as decided at start and by each reload). */
  selection(): FlowSelection {
    // The sandbox's editor writes the flow files: what it loads is what they hold now.
    if (this.started && this.opts.env !== 'production') {
      const files = readFlowFiles(this.opts.flowsDir);
      this.sandbox(files, new FlowGraph(files));
    }
    const nodes = [...this.loaded.values()];
    return { nodes, folderOf: new Map(nodes.filter((n) => n.type === 'tab' && this.tabFolder.has(n.id)).map((n) => [n.id, this.tabFolder.get(n.id)!])) };
  }

  /** Decides every service and reports what does not start or is not loaded: at the hub's start. */
  start(): void {
    const files = readFlowFiles(this.opts.flowsDir);
    const graph = new FlowGraph(files);
    if (this.opts.env === 'production') this.startProduction(files, graph);
    else this.sandbox(files, graph);
    this.started = true;
  }

  private load(graph: FlowGraph, ids: ReadonlySet<string>): void {
    this.loaded = new Map(graph.nodes().filter((n) => ids.has(n.id)).map((n) => [n.id, n]));
    this.tabFolder = new Map([...this.loaded.values()].filter((n) => n.type === 'tab' && graph.folderOf(n.id) !== SHARED_FILE).map((n) => [n.id, graph.folderOf(n.id)!]));
  }

  private startProduction(files: FlowFiles, graph: FlowGraph): void {
    const { catalogue } = this.opts;
    const ids = new Set<string>();
    for (const { definition: def } of catalogue.all()) {
      if (def.lifecycle !== 'live') continue;
      const d = this.decide(def, files, graph);
      if ('reach' in d) {
        this.served.add(def.code);
        this.reachOf.set(def.code, d.reach);
        for (const id of d.reach) ids.add(id);
      } else this.refuse(def.code, d);
    }
    this.load(graph, ids);
    this.reportLeftOut(files, graph);
  }

  /** One report per folder of which nothing is loaded, per tab left out of a folder partly loaded, per config node or subflow of shared.json left out. */
  private reportLeftOut(files: FlowFiles, graph: FlowGraph): void {
    for (const [folder, f] of files.folders) {
      const tabs = (f.nodes ?? []).filter((n) => n.type === 'tab' && graph.folderOf(n.id) === folder).map((n) => n.id);
      const out = tabs.filter((id) => !this.loaded.has(id));
      if (out.length === 0 && f.nodes) continue;
      const reason = out.length === tabs.length ? this.notLoaded(folder, f.error) : 'not-used';
      if (reason) this.reportNotLoaded(`flows:${folder}`, { folder, reason, tabs: out });
    }
    for (const n of graph.units()) {
      if (graph.folderOf(n.id) !== SHARED_FILE || this.loaded.has(n.id)) continue;
      this.reportNotLoaded(`flows:${SHARED_FILE}#${n.id}`, { node: n.id, type: n.type, reason: 'not-used' });
    }
  }

  /** Why nothing of a folder is loaded in production; undefined when the refusal of its live service says it already. */
  private notLoaded(folder: string, error: string | undefined): string | undefined {
    const def = this.opts.catalogue.get(folder)?.definition;
    const carried = this.opts.catalogue.all().filter((s) => s.definition.flow?.pattern === folder);
    if (def?.lifecycle === 'live' && !def.flow?.pattern) return undefined;
    if (!def && carried.some((s) => s.definition.lifecycle === 'live')) return undefined;
    if (error) return 'unreadable';
    if (def) return def.flow?.pattern ? 'not-the-service-flow' : 'not-live';
    return carried.length ? 'no-live-service' : 'not-a-service';
  }

  /**
   * The sandbox: everything but what holds, or names, a node type not allowed; as the files are
   * now (the editor writes them). Refusals and left-out units are reported when they appear, a
   * service that no longer needs refusing is started again.
   */
  private sandbox(files: FlowFiles, graph: FlowGraph): void {
    const { allowedTypes, catalogue } = this.opts;
    // Left out: each tab, subflow or config node that holds, or names, a node type not allowed.
    const out = new Map<string, Array<{ id: string; type: string }>>();
    for (const u of graph.units()) {
      const nodes = graph.refused(graph.closure([u.id]), allowedTypes);
      if (nodes.length) out.set(u.id, nodes);
    }
    const outIds = new Set([...out.keys()].flatMap((id) => graph.unitIds(id)));
    this.load(graph, new Set(graph.nodes().map((n) => n.id).filter((id) => !outIds.has(id))));
    for (const { definition: def } of catalogue.all()) {
      const unit = def.flow?.pattern ?? def.code;
      const error = files.folders.get(unit)?.error;
      const nodes = graph.refused(graph.reach(def.code, def.flow?.pattern), allowedTypes);
      const refusal: Refusal | undefined = error ? { reason: 'flow', message: `its flow file flows/${unit}/flow.json cannot be read: ${error}` } : nodes.length ? { reason: 'node-type', message: typesMessage(nodes), nodes } : undefined;
      const before = catalogue.refusal(def.code);
      if (refusal) {
        this.served.delete(def.code);
        if (before?.message !== refusal.message) this.refuse(def.code, refusal);
      } else {
        this.served.add(def.code);
        catalogue.admit(def.code);
        if (before) this.record(def.code, 'service-started', `release gate: service ${def.code} started`);
      }
    }
    const reports = new Map<string, Record<string, unknown>>();
    for (const [folder, f] of files.folders) if (f.error) reports.set(`flows:${folder}`, { folder, reason: 'unreadable' });
    for (const [id, nodes] of out) {
      const folder = graph.folderOf(id)!;
      reports.set(folder === SHARED_FILE ? `flows:${SHARED_FILE}#${id}` : `flows:${folder}#${id}`, { ...(folder === SHARED_FILE ? {} : { folder }), node: id, type: graph.get(id)!.type, reason: 'node-type', nodes });
    }
    for (const [subject, data] of reports) if (!this.reported.has(subject)) this.reportNotLoaded(subject, data);
    this.reported = new Set(reports.keys());
  }

  /** Production: whether a live service's flow may run, and on what. */
  private decide(def: ServiceDefinition, files: FlowFiles, graph: FlowGraph): Decision {
    const unit = def.flow?.pattern ?? def.code;
    const f = files.folders.get(unit);
    if (f?.error) return { reason: 'flow', message: `its flow file flows/${unit}/flow.json cannot be read: ${f.error}` };
    const reach = graph.reach(def.code, def.flow?.pattern);
    if (![...reach].some((id) => graph.get(id)?.type === 'tab')) return { reason: 'flow', message: `it has no flow to run (flows/${unit}/flow.json)` };
    const nodes = graph.refused(reach, this.opts.allowedTypes);
    if (nodes.length) return { reason: 'node-type', message: typesMessage(nodes), nodes };
    if (!this.opts.certificates) return { reason: 'certificate', message: 'this hub was given no certificate reader: no certificate can be checked' };
    let problem: ReturnType<CertificateReader['check']>;
    try {
      problem = this.opts.certificates.check(def.code, this.roots, this.opts.trust?.());
    } catch (err) {
      return { reason: 'certificate', message: `its certificate cannot be checked: ${(err as Error).message}` };
    }
    if (problem) return { reason: 'certificate', message: problem.message, ...(problem.changed.length ? { changed: problem.changed } : {}) };
    return { reach };
  }

  /**
   * A service whose certificate holds for the files as they are now may still not run on what
   * this hub loaded for the services already running: a pattern's tab, a config node, changed on
   * disk since. Those stay as loaded for the others, so this one waits for a restart.
   */
  private drift(reach: ReadonlySet<string>, graph: FlowGraph, others: ReadonlySet<string>): Refusal | undefined {
    const changed = [...reach].filter((id) => others.has(id) && this.loaded.has(id) && text(this.loaded.get(id)) !== text(graph.get(id)));
    if (changed.length === 0) return undefined;
    const files = [...new Set(changed.map((id) => `flows/${graph.folderOf(id) === SHARED_FILE ? SHARED_FILE : `${graph.folderOf(id)}/flow.json`}`))].sort();
    return { reason: 'certificate', message: `what it shares with services running here changed since this hub loaded it for them (${files.join(', ')}); it is certified for the new version, which runs after the hub restarts`, changed: files };
  }

  /** Production: decides `codes` again (their definitions changed), keeping what the others run on as it was loaded. */
  reload(codes: readonly string[]): GateChange {
    const { catalogue, flowsDir, logger } = this.opts;
    const files = readFlowFiles(flowsDir);
    const graph = new FlowGraph(files);
    const servedBefore = new Set(this.served);
    const flowsBefore = text(this.selection().nodes);
    const refused: string[] = [];
    const reloaded = new Map<string, Set<string>>();
    const valid: string[] = [];
    for (const code of codes) {
      try {
        catalogue.reload(flowsDir, code);
        valid.push(code);
      } catch (err) {
        logger.error({ service: code, err: { message: (err as Error).message } }, `release gate: the definition of ${code} cannot be read; the service is left as it was`);
      }
    }
    for (const code of valid) {
      this.served.delete(code);
      this.reachOf.delete(code);
    }
    // What the services left running run on, as loaded.
    const pinned = new Set([...this.reachOf.values()].flatMap((r) => [...r]));
    for (const code of valid) {
      catalogue.admit(code);
      const def = catalogue.get(code)?.definition;
      if (!def || def.lifecycle !== 'live') continue;
      const d = this.decide(def, files, graph);
      const decision = 'reach' in d ? (this.drift(d.reach, graph, pinned) ?? d) : d;
      if ('reach' in decision) {
        this.served.add(code);
        this.reachOf.set(code, decision.reach);
        reloaded.set(code, decision.reach);
      } else {
        this.refuse(code, decision);
        refused.push(code);
      }
    }
    // The pinned nodes as loaded; the reloaded services' other nodes as the files have them.
    const fresh = new Set([...reloaded.values()].flatMap((r) => [...r]));
    const next = new Map<string, FlowNode>();
    const folders = new Map<string, string>();
    for (const n of graph.nodes()) {
      if (pinned.has(n.id)) next.set(n.id, this.loaded.get(n.id) ?? n);
      else if (fresh.has(n.id)) next.set(n.id, n);
      else continue;
      if (n.type === 'tab') folders.set(n.id, this.tabFolder.get(n.id) ?? graph.folderOf(n.id)!);
    }
    for (const [id, n] of this.loaded) {
      if (!pinned.has(id) || next.has(id)) continue;
      next.set(id, n);
      if (this.tabFolder.has(id)) folders.set(id, this.tabFolder.get(id)!);
    }
    this.loaded = next;
    this.tabFolder = new Map([...folders].filter(([, f]) => f !== SHARED_FILE));
    const change: GateChange = {
      started: [...this.served].filter((c) => !servedBefore.has(c)).sort(),
      stopped: [...servedBefore].filter((c) => !this.served.has(c)).sort(),
      refused,
      flowsChanged: text(this.selection().nodes) !== flowsBefore,
    };
    for (const code of change.started) this.record(code, 'service-started', `release gate: service ${code} started`);
    for (const code of change.stopped) {
      const lifecycle = catalogue.get(code)?.definition.lifecycle ?? 'gone';
      const refusal = catalogue.refusal(code);
      this.record(code, 'service-stopped', `release gate: service ${code} stopped (${refusal ? 'refused' : lifecycle})`, { lifecycle, ...(refusal ? { refused: refusal.reason } : {}) });
    }
    return change;
  }

  /**
   * Production: follows flows/<code>/service.json and reloads the services whose definition
   * changed (after `debounceMs` of quiet, so a promotion's writes come as one), one change at a
   * time; `apply` puts a change into effect (the workers' subscriptions, the runtime's tabs).
   * Resolves once watching; the function it gives stops, after the change under way.
   */
  async watch(apply: (change: GateChange) => Promise<void>, debounceMs = 150): Promise<() => Promise<void>> {
    const { flowsDir, logger } = this.opts;
    const pending = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const codes = [...pending].sort();
      pending.clear();
      this.applying = this.applying
        .then(async () => {
          const change = this.reload(codes);
          if (change.started.length || change.stopped.length || change.flowsChanged) await apply(change);
        })
        .catch((err: unknown) => logger.error({ services: codes, err: { message: (err as Error).message } }, 'release gate: a change of service definitions could not be applied'));
    };
    const watcher = watchFiles(flowsDir, { ignoreInitial: true, depth: 1, ignored: (p, stats) => stats?.isFile() === true && basename(p) !== 'service.json' });
    watcher.on('all', (_event, path) => {
      const parts = relative(flowsDir, path).split(sep);
      if (parts.length !== 2 || parts[1] !== 'service.json') return;
      pending.add(parts[0]!);
      clearTimeout(timer);
      timer = setTimeout(flush, debounceMs);
    });
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    return async () => {
      clearTimeout(timer);
      await watcher.close();
      await this.applying;
    };
  }

  private get now(): string {
    return (this.opts.now?.() ?? new Date()).toISOString();
  }

  /** A live service not started: the catalogue's refusal, a log line, an audit record (refuse-start). */
  private refuse(code: string, r: Refusal): void {
    const at = this.now;
    this.opts.catalogue.refuse(code, { reason: r.reason, message: r.message, at });
    const details = { reason: r.reason, ...(r.changed ? { changed: r.changed } : {}), ...(r.nodes ? { nodes: r.nodes } : {}) };
    this.opts.logger.warn({ service: code, gate: 'refuse-start', ...details }, `release gate: service ${code} not started: ${r.message}`);
    this.opts.audit?.(gateAuditEntry('refuse-start', code, GATE_ACTOR, at, { ...details, message: r.message }));
  }

  /** A service started or stopped by a reload. */
  private record(code: string, action: 'service-started' | 'service-stopped', line: string, data: Record<string, unknown> = {}): void {
    this.opts.logger.info({ service: code, gate: action, ...data }, line);
    this.opts.audit?.({ at: this.now, kind: 'operator.action', actor: GATE_ACTOR, subject: `service:${code}`, data: { action, service: code, ...data } });
  }

  /** A folder or shared node left out. */
  private reportNotLoaded(subject: string, data: Record<string, unknown>): void {
    this.opts.logger.warn({ gate: 'flow-not-loaded', ...data }, `release gate: ${subject.slice('flows:'.length)} not loaded (${String(data.reason)})`);
    this.opts.audit?.({ at: this.now, kind: 'operator.action', actor: GATE_ACTOR, subject, data: { action: 'flow-not-loaded', ...data } });
  }
}
