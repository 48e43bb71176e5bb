/**
 * Metrics of the flows runtime, per flow (tab) and per node, from Node-RED's messaging hooks —
 * plain counters the monitoring issue exposes with prom-client:
 *
 * - **received**: messages a node was given (`onReceive`; inject and order-in nodes start
 *   messages themselves, so they receive none);
 * - **sent**: messages a node sent down its wires (`onSend`, one per message and output, before
 *   it is copied for each wire);
 * - **errors**: errors a node reported for a message or on its own — `done(err)` and
 *   `node.error(…)` alike, each counted once: a Catch node receiving it (`onReceive` on a
 *   catch node, several Catch nodes of one error counting once), or else Node-RED logging it at
 *   error level (`loggedError`, from the runtime's log handler, see runtime.ts);
 * - **duration**: from the moment a message is handed to a node (`preDeliver`) to that node's
 *   `done()` (`onComplete`), in milliseconds, as a histogram with Prometheus' cumulative `le`
 *   buckets, a sum and a count. Queueing inside Node-RED counts; a message a node never
 *   completes is not observed.
 *
 * A flow's figures are the sums of its nodes'. Counters only grow, across redeploys too; a
 * flow's label (its service code) comes from the deployed configuration.
 */

/** Upper bounds, in ms, of the duration histogram's buckets (then +Inf). */
export const DURATION_BUCKETS_MS: readonly number[] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

export interface DurationSnapshot {
  /** Cumulative: how many took at most `le` ms; the last bucket is `le: '+Inf'` and equals count. */
  buckets: Array<{ le: number | '+Inf'; count: number }>;
  sumMs: number;
  count: number;
}

export interface Counts {
  received: number;
  sent: number;
  errors: number;
  durationMs: DurationSnapshot;
}

export interface NodeMetrics extends Counts {
  node: string;
  type: string;
  name?: string;
  /** The flow (tab or subflow instance) the node is in. */
  flow: string;
}

export interface FlowMetrics extends Counts {
  flow: string;
  /** The tab's label: the service code for a service flow. */
  label?: string;
}

export interface MetricsSnapshot {
  /** When counting started (ISO 8601). */
  since: string;
  flows: FlowMetrics[];
  nodes: NodeMetrics[];
}

interface HookNode {
  id?: string;
  type?: string;
  name?: string;
  z?: string;
}

interface HookEvent {
  msg?: unknown;
  error?: unknown;
  source?: { id?: string; node?: HookNode };
  destination?: { id?: string; node?: HookNode };
  node?: { id?: string; node?: HookNode };
}

export interface Hooks {
  add(name: string, handler: (event: never) => void): void;
  remove(name: string): void;
}

export interface RuntimeEvents {
  on(e: string, f: (ev: Record<string, unknown>) => void): void;
  removeListener(e: string, f: (ev: Record<string, unknown>) => void): void;
}

class Histogram {
  readonly counts = new Array<number>(DURATION_BUCKETS_MS.length + 1).fill(0);
  sum = 0;
  n = 0;

  observe(ms: number): void {
    let i = 0;
    while (i < DURATION_BUCKETS_MS.length && ms > DURATION_BUCKETS_MS[i]!) i++;
    this.counts[i]!++;
    this.sum += ms;
    this.n++;
  }

  addTo(other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) other.counts[i]! += this.counts[i]!;
    other.sum += this.sum;
    other.n += this.n;
  }

  snapshot(): DurationSnapshot {
    let acc = 0;
    const buckets = this.counts.map((c, i) => {
      acc += c;
      return { le: i < DURATION_BUCKETS_MS.length ? DURATION_BUCKETS_MS[i]! : ('+Inf' as const), count: acc };
    });
    return { buckets, sumMs: round(this.sum), count: this.n };
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

class NodeCounts {
  received = 0;
  sent = 0;
  errors = 0;
  readonly duration = new Histogram();
  constructor(
    readonly id: string,
    public type: string,
    public flow: string,
    public name?: string,
  ) {}
}

const HOOK = 'wasl-metrics';

export class RuntimeMetrics {
  private readonly nodes = new Map<string, NodeCounts>();
  private readonly labels = new Map<string, string>();
  /** Message object → destination node id → when it was handed over (performance.now()). */
  private readonly delivered = new WeakMap<object, Map<string, number>>();
  /** Errors already counted from a Catch node in this turn of the event loop. */
  private caughtNow = new Set<string>();
  private clearScheduled = false;
  private since = new Date();
  private hooks?: Hooks;
  private events?: RuntimeEvents;

  private readonly onFlowsStarted = (ev: Record<string, unknown>) => {
    const flows = (ev.config as { flows?: Array<{ id?: unknown; type?: unknown; label?: unknown; name?: unknown }> } | undefined)?.flows;
    for (const n of flows ?? []) {
      const label = n.type === 'tab' ? n.label : n.type === 'subflow' ? n.name : undefined;
      if (typeof n.id === 'string' && typeof label === 'string') this.labels.set(n.id, label);
    }
  };

  /** Starts counting: adds the hooks (process-wide, replacing earlier ones of this module) and follows deploys for flow labels. */
  install(hooks: Hooks, events?: RuntimeEvents): void {
    this.uninstall();
    this.hooks = hooks;
    this.events = events;
    this.since = new Date();
    hooks.add(`onSend.${HOOK}`, (events: HookEvent[]) => {
      for (const e of events) {
        const c = this.counts(e.source?.node, e.source?.id);
        if (c) c.sent++;
      }
    });
    hooks.add(`onReceive.${HOOK}`, (e: HookEvent) => {
      const node = e.destination?.node;
      const c = this.counts(node, e.destination?.id);
      if (!c) return;
      c.received++;
      if (node?.type === 'catch') this.caught(e.msg);
    });
    hooks.add(`preDeliver.${HOOK}`, (e: HookEvent) => {
      const msg = e.msg;
      const id = e.destination?.id ?? e.destination?.node?.id;
      if (typeof msg !== 'object' || msg === null || !id) return;
      let m = this.delivered.get(msg);
      if (!m) this.delivered.set(msg, (m = new Map()));
      m.set(id, performance.now());
    });
    hooks.add(`onComplete.${HOOK}`, (e: HookEvent) => {
      const msg = e.msg;
      const id = e.node?.id ?? e.node?.node?.id;
      if (typeof msg !== 'object' || msg === null || !id) return;
      const m = this.delivered.get(msg);
      const t0 = m?.get(id);
      if (t0 === undefined) return;
      m!.delete(id);
      this.counts(e.node?.node, id)?.duration.observe(performance.now() - t0);
    });
    events?.on('flows:started', this.onFlowsStarted);
  }

  uninstall(): void {
    this.hooks?.remove(`*.${HOOK}`);
    this.events?.removeListener('flows:started', this.onFlowsStarted);
    this.hooks = undefined;
    this.events = undefined;
  }

  /** An error Node-RED logged for a node (nobody caught it): from the runtime's log handler. */
  loggedError(entry: { id?: unknown; type?: unknown; z?: unknown; name?: unknown }): void {
    if (typeof entry.id !== 'string') return;
    const c = this.counts({ type: typeof entry.type === 'string' ? entry.type : undefined, z: typeof entry.z === 'string' ? entry.z : undefined, name: typeof entry.name === 'string' ? entry.name : undefined }, entry.id);
    if (c) c.errors++;
  }

  snapshot(): MetricsSnapshot {
    const nodes: NodeMetrics[] = [];
    const flows = new Map<string, { received: number; sent: number; errors: number; duration: Histogram }>();
    for (const c of this.nodes.values()) {
      nodes.push({ node: c.id, type: c.type, ...(c.name ? { name: c.name } : {}), flow: c.flow, received: c.received, sent: c.sent, errors: c.errors, durationMs: c.duration.snapshot() });
      let f = flows.get(c.flow);
      if (!f) flows.set(c.flow, (f = { received: 0, sent: 0, errors: 0, duration: new Histogram() }));
      f.received += c.received;
      f.sent += c.sent;
      f.errors += c.errors;
      c.duration.addTo(f.duration);
    }
    return {
      since: this.since.toISOString(),
      flows: [...flows.entries()]
        .map(([flow, f]) => {
          const label = this.labels.get(flow);
          return { flow, ...(label ? { label } : {}), received: f.received, sent: f.sent, errors: f.errors, durationMs: f.duration.snapshot() };
        })
        .sort((a, b) => a.flow.localeCompare(b.flow)),
      nodes: nodes.sort((a, b) => a.flow.localeCompare(b.flow) || a.node.localeCompare(b.node)),
    };
  }

  /** Forgets every count (tests; a monitoring scrape never resets). */
  reset(): void {
    this.nodes.clear();
    this.since = new Date();
  }

  private counts(node: HookNode | undefined, id: string | undefined): NodeCounts | undefined {
    const nodeId = id ?? node?.id;
    if (!nodeId) return undefined;
    let c = this.nodes.get(nodeId);
    if (!c) {
      c = new NodeCounts(nodeId, node?.type ?? 'unknown', node?.z ?? '', node?.name || undefined);
      this.nodes.set(nodeId, c);
    } else if (node) {
      // A redeploy may move or rename the node.
      if (node.z !== undefined) c.flow = node.z;
      if (node.type) c.type = node.type;
      c.name = node.name || undefined;
    }
    return c;
  }

  /** A Catch node got an error: count it for the node that reported it, once however many Catch nodes get it. */
  private caught(msg: unknown): void {
    const err = (msg as { error?: { message?: unknown; source?: { id?: unknown; type?: unknown; name?: unknown } } } | undefined)?.error;
    const source = err?.source;
    if (typeof source?.id !== 'string') return;
    // The Catch nodes of one error get it in the same turn of the event loop, each a copy.
    const key = `${source.id}\u0000${(msg as { _msgid?: unknown })._msgid}\u0000${String(err?.message)}`;
    if (this.caughtNow.has(key)) return;
    this.caughtNow.add(key);
    if (!this.clearScheduled) {
      this.clearScheduled = true;
      setImmediate(() => {
        this.caughtNow = new Set();
        this.clearScheduled = false;
      });
    }
    const known = this.nodes.get(source.id);
    const c = known ?? this.counts({ type: typeof source.type === 'string' ? source.type : undefined, name: typeof source.name === 'string' ? source.name : undefined }, source.id);
    if (c) c.errors++;
  }
}
