/**
 * What the monitoring teams' Prometheus scrapes at GET /metrics (prom-client), one registry per
 * hub. Labels are codes — service, channel kind, status, provider, operation, outcome, queue —
 * never an order id nor anything of a citizen, so no label can leak personal data or explode in
 * cardinality.
 *
 * Counted as they happen (this process): orders accepted, transitions, provider calls with their
 * latency and sizes (connectors/observe.ts), payments flagged as not matching their invoice
 * (hub/payments/matching.ts). Read from the shared state at each scrape, so every gateway and
 * worker reports the same: orders by status, SLA breaches, dead letters, bus depth, circuit
 * breakers (one series per state); and the flows runtime's own totals (as counters) and the
 * process's. And the gateway's requests by method, route pattern and status, with their duration;
 * and the services the release gate did not start in this process (hub/release-gate.ts), by reason.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Order, OrderStatus } from '../contracts/types';
import { observeCalls, safeEndpoint } from '../connectors/observe';
import { allBreakerStates } from '../connectors/resilience';
import type { Bus } from './bus/bus';
import { onDecision } from './bus/consume';
import { onPaymentAnomaly } from './payments/matching';
import type { Catalogue } from './catalogue';
import type { MetricsSnapshot } from './runtime/metrics';
import type { MetricCounts } from './store';
import type { ContractCheckState } from './provider-drift';

/** Statuses in which an order waits on the hub or a ministry: what an SLA is about. */
export const UNFINISHED: readonly OrderStatus[] = ['received', 'paid', 'submitted-to-provider', 'provider-completed'];
/** A breaker's states (cockatiel's; `isolated`: held open by hand), each a series of wasl_provider_breaker_state. */
export const BREAKER_STATES = ['closed', 'half-open', 'open', 'isolated'] as const;

export interface HubMetricsDeps {
  store: MetricCounts;
  bus: Bus;
  catalogue: Catalogue;
  /** The flows runtime's figures, once it runs. */
  flows?: () => MetricsSnapshot | undefined;
  /** The scheduled contract checks' latest results (hub/provider-drift.ts), when WASL_PROVIDER_CHECK_MINUTES is set. */
  contractChecks?: () => readonly ContractCheckState[] | undefined;
  /** The SQLite databases this process writes (the store's, the bus's own), by name. */
  sqlite?: () => ReadonlyArray<{ database: string; walBytes: number; checkpointStats: { completed: number; catchUps: number; failed: number } }>;
  /** PostgreSQL: appends run again after losing their place in an audit chain (Store.chainRetries); undefined on SQLite. */
  chainRetries?: () => number | undefined;
  /** PostgreSQL: writes after the audit head this process saw last (Store.knownOrders); undefined on SQLite. */
  seenHeadWrites?: () => { hits: number; rewrites: number; misses: number } | undefined;
  now?: () => Date;
}

export class HubMetrics {
  readonly registry = new Registry();
  private readonly accepted: Counter<'service' | 'channel'>;
  private readonly transitions: Counter<'service' | 'from' | 'to'>;
  private readonly httpRequests: Histogram<'method' | 'route' | 'status'>;
  private readonly documentEvents: Counter<'event' | 'outcome'>;
  private readonly unobserve: () => void;
  private readonly unlisten: () => void;
  private readonly unlistenAnomalies: () => void;

  constructor(deps: HubMetricsDeps) {
    const register = [this.registry];
    const now = deps.now ?? (() => new Date());
    collectDefaultMetrics({ register: this.registry, prefix: 'wasl_' });

    this.accepted = new Counter({ name: 'wasl_orders_accepted_total', help: 'Orders accepted by the gateway, by service and channel kind', labelNames: ['service', 'channel'], registers: register });
    this.transitions = new Counter({ name: 'wasl_order_transitions_total', help: 'Order state transitions', labelNames: ['service', 'from', 'to'], registers: register });
    const calls = new Counter({ name: 'wasl_provider_calls_total', help: 'Calls to providers, by outcome (success or the connector error code)', labelNames: ['provider', 'operation', 'outcome'], registers: register });
    const latency = new Histogram({ name: 'wasl_provider_call_duration_seconds', help: 'Provider call time, retries included', labelNames: ['provider', 'operation'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: register });
    const sizes = new Histogram({ name: 'wasl_provider_message_bytes', help: 'Sizes of the requests sent to and the responses received from providers', labelNames: ['provider', 'operation', 'direction'], buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576], registers: register });
    this.unobserve = observeCalls((r) => {
      calls.inc({ provider: r.provider, operation: r.operation, outcome: r.outcome });
      latency.observe({ provider: r.provider, operation: r.operation }, r.durationMs / 1000);
      sizes.observe({ provider: r.provider, operation: r.operation, direction: 'request' }, r.requestBytes);
      if (r.responseBytes > 0) sizes.observe({ provider: r.provider, operation: r.operation, direction: 'response' }, r.responseBytes);
    });

    const busDecisions = new Counter({ name: 'wasl_bus_decisions_total', help: 'Deliveries this process failed, by what became of them: retried later, or dead-lettered', labelNames: ['service', 'decision'], registers: register });
    this.unlisten = onDecision((service, decision) => busDecisions.inc({ service, decision: decision === 'retry' ? 'retried' : 'dead-lettered' }));
    const anomalies = new Counter({ name: 'wasl_payment_anomalies_total', help: 'Payments reported (callback or status poll) that did not match the order\'s invoice and were not applied, by provider and what differed first (invoice, currency, amount)', labelNames: ['provider', 'kind'], registers: register });
    this.unlistenAnomalies = onPaymentAnomaly((provider, kind) => anomalies.inc({ provider, kind }));

    new Gauge({
      name: 'wasl_orders',
      help: 'Orders in the store, by service and status',
      labelNames: ['service', 'status'],
      registers: register,
      async collect() {
        this.reset();
        for (const r of await deps.store.orderCounts()) this.set({ service: r.service, status: r.status }, r.count);
      },
    });
    new Gauge({
      name: 'wasl_sla_breaches',
      help: "Orders older than their service's SLA still waiting on the hub or the ministry",
      labelNames: ['service'],
      registers: register,
      async collect() {
        this.reset();
        const at = now().getTime();
        for (const s of deps.catalogue.all()) {
          const n = await deps.store.countOrders(s.definition.code, UNFINISHED, new Date(at - s.definition.sla.hours * 3_600_000));
          this.set({ service: s.definition.code }, n);
        }
      },
    });
    new Gauge({
      name: 'wasl_dead_letters',
      help: 'Dead-lettered events waiting for an operator, by service and reason',
      labelNames: ['service', 'reason'],
      registers: register,
      async collect() {
        this.reset();
        for (const r of await deps.store.deadLetterCounts()) this.set({ service: r.service, reason: r.reason }, r.count);
      },
    });
    new Gauge({
      name: 'wasl_bus_messages',
      help: "Messages in each service's queue: ready, in flight (delivered, not yet acknowledged), delayed (waiting to be retried)",
      labelNames: ['service', 'state'],
      registers: register,
      async collect() {
        this.reset();
        for (const s of deps.catalogue.all()) {
          const d = await deps.bus.depth(s.definition.code);
          this.set({ service: s.definition.code, state: 'ready' }, d.ready);
          this.set({ service: s.definition.code, state: 'in_flight' }, d.inFlight);
          this.set({ service: s.definition.code, state: 'delayed' }, d.delayed);
        }
      },
    });
    // One series per breaker and state, 1 for the state it is in (Prometheus' convention for an enum, not an ordinal).
    new Gauge({
      name: 'wasl_provider_breaker_state',
      help: 'Circuit breakers of the providers in this process: 1 for the state each is in (closed, half-open, open, isolated), 0 for the others',
      labelNames: ['provider', 'endpoint', 'state'],
      registers: register,
      collect() {
        this.reset();
        for (const b of allBreakerStates()) {
          const [url, op] = b.endpoint.split('#');
          const endpoint = `${safeEndpoint(url ?? '')}${op ? `#${op}` : ''}`;
          // An unknown state counts as open: the safe reading for an alert.
          const current = (BREAKER_STATES as readonly string[]).includes(b.state) ? b.state : 'open';
          for (const state of BREAKER_STATES) this.set({ provider: b.provider, endpoint, state }, state === current ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'wasl_service_refused',
      help: 'Services the release gate did not start in this process (1 each), by reason: certificate (does not hold), node-type (a node outside the allow-list), flow (none to run); their orders get 503 service-not-certified',
      labelNames: ['service', 'reason'],
      registers: register,
      collect() {
        this.reset();
        for (const r of deps.catalogue.refused()) this.set({ service: r.service, reason: r.reason }, 1);
      },
    });
    // The flows runtime keeps running totals (hub/runtime/metrics.ts, kept across redeploys): each
    // scrape exposes them as counters, which Prometheus' rate() and increase() read as such.
    const flowCounter = (name: string, help: string, pick: (f: MetricsSnapshot['flows'][number]) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['flow'],
        registers: register,
        collect() {
          this.reset();
          for (const f of deps.flows?.()?.flows ?? []) this.inc({ flow: f.flow }, pick(f));
        },
      });
    // Contract drift (hub/provider-drift.ts): the last successful check's changes, when it ran, whether the last one failed.
    new Gauge({
      name: 'wasl_provider_contract_drift',
      help: "Changes between the contract a provider publishes and the one imported (wasl provider check), by severity: breaking or compatible; from the last successful scheduled check (WASL_PROVIDER_CHECK_MINUTES)",
      labelNames: ['provider', 'severity'],
      registers: register,
      collect() {
        this.reset();
        for (const c of deps.contractChecks?.() ?? []) {
          if (!c.lastSuccess) continue;
          this.set({ provider: c.provider, severity: 'breaking' }, c.lastSuccess.summary.breaking);
          this.set({ provider: c.provider, severity: 'compatible' }, c.lastSuccess.summary.compatible);
        }
      },
    });
    new Gauge({
      name: 'wasl_provider_contract_check_timestamp_seconds',
      help: "When the provider's contract was last checked successfully (Unix time)",
      labelNames: ['provider'],
      registers: register,
      collect() {
        this.reset();
        for (const c of deps.contractChecks?.() ?? []) if (c.lastSuccess) this.set({ provider: c.provider }, Date.parse(c.lastSuccess.checkedAt) / 1000);
      },
    });
    new Gauge({
      name: 'wasl_provider_contract_check_failed',
      help: "1 when the last scheduled check of the provider's contract could not be made (fetch or parse failed), else 0",
      labelNames: ['provider'],
      registers: register,
      collect() {
        this.reset();
        for (const c of deps.contractChecks?.() ?? []) this.set({ provider: c.provider }, c.last.status === 'error' ? 1 : 0);
      },
    });
    // The embedded store's WAL (hub/sqlite/database.ts): bounded by its checkpoints, so one that
    // keeps growing means they do not catch up (another process's long read, a failing disk).
    new Gauge({
      name: 'wasl_sqlite_wal_bytes',
      help: "Size on disk of each SQLite database's write-ahead log this process writes (wasl: the store, bus: the bus's own); its checkpoints keep it to about 32-128 MB",
      labelNames: ['database'],
      registers: register,
      collect() {
        this.reset();
        for (const d of deps.sqlite?.() ?? []) this.set({ database: d.database }, d.walBytes);
      },
    });
    new Counter({
      name: 'wasl_sqlite_checkpoints_total',
      help: "Checkpoints of each SQLite database's WAL by this process: passive (beside the commits), catch-up (holding commits while it copies the rest, so that the WAL can start again)",
      labelNames: ['database', 'kind'],
      registers: register,
      collect() {
        this.reset();
        for (const d of deps.sqlite?.() ?? []) {
          this.inc({ database: d.database, kind: 'passive' }, d.checkpointStats.completed - d.checkpointStats.catchUps);
          this.inc({ database: d.database, kind: 'catch-up' }, d.checkpointStats.catchUps);
        }
      },
    });
    new Counter({
      name: 'wasl_sqlite_checkpoint_failures_total',
      help: "Checkpoints of each SQLite database's WAL that failed in this process (an I/O error, the checkpointer thread lost): the WAL is not copied into the database file meanwhile",
      labelNames: ['database'],
      registers: register,
      collect() {
        this.reset();
        for (const d of deps.sqlite?.() ?? []) this.inc({ database: d.database }, d.checkpointStats.failed);
      },
    });
    new Counter({
      name: 'wasl_audit_chain_retries_total',
      help: "PostgreSQL: order steps and creations in this process that found their audit shard's head moved by another append between their two round trips, wrote nothing, and ran again with the head locked (a rate high against the steps means too few WASL_AUDIT_SHARDS)",
      registers: register,
      collect() {
        this.reset();
        const n = deps.chainRetries?.();
        if (n !== undefined) this.inc(n);
      },
    });
    new Counter({
      name: 'wasl_audit_seen_head_writes_total',
      help: "PostgreSQL: writes in this process that went after the audit head it saw last instead of reading it first (a worker's step from the order its delivery read, a provider call's records): landed, written-again (after a head another append had moved: a round trip more), read-again (the order had moved on: read and written as before)",
      labelNames: ['outcome'],
      registers: register,
      collect() {
        this.reset();
        const s = deps.seenHeadWrites?.();
        if (!s) return;
        this.inc({ outcome: 'landed' }, s.hits);
        this.inc({ outcome: 'written-again' }, s.rewrites);
        this.inc({ outcome: 'read-again' }, s.misses);
      },
    });
    flowCounter('wasl_flow_messages_received_total', 'Messages the nodes of each flow were given (kept across redeploys)', (f) => f.received);
    flowCounter('wasl_flow_messages_sent_total', 'Messages the nodes of each flow sent on (kept across redeploys)', (f) => f.sent);
    flowCounter('wasl_flow_errors_total', 'Errors the nodes of each flow reported (kept across redeploys)', (f) => f.errors);

    this.httpRequests = new Histogram({
      name: 'wasl_http_request_duration_seconds',
      help: "Gateway requests by method, route (the route's pattern, never the URL) and status, and their time to the response's end",
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: register,
    });
    this.documentEvents = new Counter({
      name: 'wasl_document_requests_total',
      help: 'Document downloads (by a channel or a signed link) and verification-code checks answered by the gateway, by outcome',
      labelNames: ['event', 'outcome'],
      registers: register,
    });
  }

  /**
   * A document served or refused, or a code checked (routes/documents.ts): `event` download-channel,
   * download-link or verify; `outcome` a fixed word (served, valid, invalid, or the problem's code) —
   * never an id or a code, which would make a label per citizen.
   */
  readonly observeDocument = (event: 'download-channel' | 'download-link' | 'verify', outcome: string): void => {
    this.documentEvents.inc({ event, outcome });
  };

  /**
   * One gateway request answered (the gateway's onResponse hook): `route` is the matched route's
   * pattern (`/v1/orders/:id`), or `unmatched`, so no URL, id or query becomes a label.
   */
  readonly observeRequest = (method: string, route: string | undefined, status: number, seconds: number): void => {
    this.httpRequests.observe({ method, route: route ?? 'unmatched', status: String(status) }, seconds);
  };

  /** A step listener (store/observed.ts): counts acceptances and transitions. */
  readonly onStep = (order: Order): void => {
    const last = order.timeline.at(-1);
    if (!last) return;
    if (order.timeline.length === 1 && last.status === 'received') this.accepted.inc({ service: order.service.code, channel: order.channel.kind });
    else if (last.from && last.from !== last.status) this.transitions.inc({ service: order.service.code, from: last.from, to: last.status });
  };

  close(): void {
    this.unobserve();
    this.unlisten();
    this.unlistenAnomalies();
  }
}
