/**
 * What the monitoring dashboard shows, assembled from the store and this process's breakers:
 * orders by status and the last hour's throughput, each ministry's health over the last hour
 * (calls, error rate, latency p50/p95, breaker, last success and last failure, from the
 * operational records), SLA breaches per service, dead letters, payments flagged as not matching
 * their invoice in the last 24 hours, services the release gate did not start (hub/release-gate.ts).
 * And the masking of a national number in lists; and the two
 * lists the dashboard pages through: payment anomalies, admin actions.
 */
import type { Order, OrderStatus } from '../../contracts/types';
import { allBreakerStates } from '../../connectors/resilience';
import type { AuditRecord } from '../audit/chain';
import type { Catalogue } from '../catalogue';
import { UNFINISHED } from '../metrics';
import { firstPerPayment } from '../payments/matching';
import type { CallbackStore, MetricCounts, OrderStore, PaymentAnomaly, ProviderCallRecords } from '../store';

export interface ProviderHealth {
  provider: string;
  calls: number;
  errors: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  breaker: 'closed' | 'half-open' | 'open';
  lastSuccess?: string;
  lastFailure?: { at: string; outcome: string };
}

export interface Overview {
  at: string;
  orders: Partial<Record<OrderStatus, number>>;
  acceptedLastHour: number;
  providers: ProviderHealth[];
  slaBreaches: Array<{ service: string; count: number; slaHours: number }>;
  deadLetters: number;
  /** Payments flagged in the last 24 hours (one per payment, however often reported). */
  paymentAnomalies: number;
  /** Services the release gate did not start in this hub, and why (its orders get 503 service-not-certified). */
  refusedServices: Array<{ service: string; reason: string; at: string }>;
}

export interface ListedAnomaly extends PaymentAnomaly {
  orderId?: string;
  provider: string;
  /** The provider's transaction or invoice. */
  reference?: string;
  /** The callback's type, or poll.paid. */
  type: string;
  /** When the hub received it. */
  at: string;
}

export interface ListedAction {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  /** The record's other facts (address, tabs, node types…): ids and codes, no citizen's data. */
  details: Record<string, unknown>;
}

const DAY = 86_400_000;

const TECHNICAL_OK = new Set(['success', 'business-refusal']);

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : null);

/** What the overview reads: counts, the last hour's orders, provider calls and payment anomalies. */
export type OverviewStore = MetricCounts & OrderStore & ProviderCallRecords & CallbackStore;

export async function overview(store: OverviewStore, catalogue: Catalogue, now = new Date()): Promise<Overview> {
  const orders: Partial<Record<OrderStatus, number>> = {};
  for (const r of await store.orderCounts()) orders[r.status] = (orders[r.status] ?? 0) + r.count;
  const hourAgo = new Date(now.getTime() - 3_600_000);
  const page = await store.listOrders({ from: hourAgo, limit: 10_000 });
  const calls = await store.listProviderCalls({ from: hourAgo, limit: 100_000 });
  const byProvider = new Map<string, typeof calls>();
  for (const c of calls) byProvider.set(c.provider, [...(byProvider.get(c.provider) ?? []), c]);
  const breakers = new Map<string, ProviderHealth['breaker']>();
  for (const b of allBreakerStates()) if (b.state !== 'closed' || !breakers.has(b.provider)) breakers.set(b.provider, b.state as ProviderHealth['breaker']);
  const providers = [...new Set([...byProvider.keys(), ...breakers.keys()])].sort().map((provider): ProviderHealth => {
    const list = byProvider.get(provider) ?? [];
    const errors = list.filter((c) => !TECHNICAL_OK.has(c.outcome));
    const ms = list.map((c) => c.durationMs).sort((a, b) => a - b);
    const lastOk = list.filter((c) => TECHNICAL_OK.has(c.outcome)).at(-1);
    const lastBad = errors.at(-1);
    return {
      provider,
      calls: list.length,
      errors: errors.length,
      errorRate: list.length ? errors.length / list.length : 0,
      p50Ms: quantile(ms, 0.5),
      p95Ms: quantile(ms, 0.95),
      breaker: breakers.get(provider) ?? 'closed',
      ...(lastOk ? { lastSuccess: lastOk.finishedAt } : {}),
      ...(lastBad ? { lastFailure: { at: lastBad.finishedAt, outcome: lastBad.outcome } } : {}),
    };
  });
  const slaBreaches: Overview['slaBreaches'] = [];
  for (const s of catalogue.all()) {
    const hours = s.definition.sla.hours;
    const count = await store.countOrders(s.definition.code, UNFINISHED, new Date(now.getTime() - hours * 3_600_000));
    if (count > 0) slaBreaches.push({ service: s.definition.code, count, slaHours: hours });
  }
  const deadLetters = (await store.deadLetterCounts()).reduce((n, r) => n + r.count, 0);
  const paymentAnomalies = firstPerPayment(await store.listCallbacks({ outcome: 'anomaly', from: new Date(now.getTime() - DAY), limit: 10_000 })).length;
  const refusedServices = catalogue.refused().map((r) => ({ service: r.service, reason: r.reason, at: r.at }));
  return { at: now.toISOString(), orders, acceptedLastHour: page.items.length, providers, slaBreaches, deadLetters, paymentAnomalies, refusedServices };
}

/** The latest payments not applied as not matching their invoice, newest first, each once. */
export async function paymentAnomalies(store: CallbackStore, limit: number): Promise<ListedAnomaly[]> {
  // Newest first, a payment's first report is its last in this order: dedupe oldest first.
  const records = (await store.listCallbacks({ outcome: 'anomaly', newestFirst: true, limit: limit * 4 })).reverse();
  return firstPerPayment(records)
    .reverse()
    .slice(0, limit)
    .map((c) => ({
      ...(c.orderId ? { orderId: c.orderId } : {}),
      provider: c.provider,
      ...(c.reference ? { reference: c.reference } : {}),
      type: c.type,
      at: c.receivedAt,
      kinds: c.anomaly?.kinds ?? [],
      expected: c.anomaly?.expected ?? {},
      received: c.anomaly?.received ?? { ...(c.amount !== undefined ? { amount: c.amount } : {}), ...(c.currency ? { currency: c.currency } : {}) },
    }));
}

/** An operator.action audit record as the "Admin actions" panel lists it. */
export function listedAction(r: AuditRecord): ListedAction {
  const { action, ...details } = r.data;
  return { seq: r.seq, at: r.at, actor: r.actor, action: typeof action === 'string' ? action : '?', subject: r.subject, details };
}

/** 0102*****50: enough to tell two apart on a list, not enough to be the number. */
export function maskNationalNumber(nn: string): string {
  return nn.length > 6 ? `${nn.slice(0, 4)}${'*'.repeat(nn.length - 6)}${nn.slice(-2)}` : '*'.repeat(nn.length);
}

/** An order as a search result: no name, the number masked. */
export function listed(o: Order) {
  return { id: o.id, service: o.service.code, status: o.status, createdAt: o.createdAt, updatedAt: o.updatedAt, channel: o.channel.kind, nationalNumber: maskNationalNumber(o.applicant.nationalNumber) };
}
