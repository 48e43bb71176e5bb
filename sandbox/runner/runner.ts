/**
 * The sandbox runner: a service's scenarios run through the real runtime — the gateway over
 * HTTP, the store, the bus, the Node-RED flows, the connectors — against simulators of every
 * provider (environment.ts), then checked against their expectations. One hub and one set of
 * simulators serve the whole run; scenarios are isolated by their order (each gets its own, and
 * the simulators take each order's behaviour from its scenario: sandbox/generated/scripts.ts), so
 * they run side by side. Those that inject a transport fault (a time-out, an outage, a drip…) run
 * afterwards one at a time: they trip a provider's circuit breaker, which every order to that
 * provider shares.
 *
 * A service whose scenarios all pass is certified (../certificate.ts) unless told otherwise.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { request } from 'undici';
import type { ChannelKind, Order, OrderRequest, OrderStatus } from '../../contracts/types';
import { DEFAULT_PROVIDERS_ROOT } from '../../connectors/provider-files';
import { contains, overlay } from '../generated';
import type { SimRequest } from '../simulators/recorder';
import type { CatalogueService } from '../../hub/catalogue';
import { exampleRequest } from '../../hub/gateway/openapi';
import { certify, CertificationError } from '../certificate';
import type { ServiceRoots } from '../../hub/lifecycle';
import { startEnvironment, type SandboxEnvironment } from './environment';
import { scenarioBehaviour, type Difference, type Exchange, type RunReport, type ScenarioResult, type ServiceResult } from './results';
import { loadScenarios, type LoadedScenario } from './scenarios';
import { documentDifferences } from './documents';
import { PROPOSED, unreviewedProposals } from '../scaffold/proposals';

export interface RunOptions {
  /** Service codes; every service with scenarios when empty. */
  services?: string[];
  flowsDir: string;
  providersRoot?: string;
  fulfilmentFile?: string;
  /** Scenarios at once (those without transport faults). Default 8. */
  concurrency?: number;
  /** Longest a scenario may take to settle. Default 30 s. */
  scenarioTimeoutMs?: number;
  /** Certify the services whose scenarios all passed. Default true. */
  certify?: boolean;
  /** Who certifies, for the record. */
  by?: string;
  /** QA's key to sign the certificates with (WASL_CERT_SIGNING_KEY); unsigned without it. */
  signingKey?: string;
  /** The hub's log lines go here (JSON lines); nowhere when unset. */
  logFile?: string;
  /** Called once the total is known, then after each scenario. */
  onStart?: (total: number) => void;
  onScenario?: (result: ScenarioResult) => void;
}

export class SandboxRunError extends Error {
  override name = 'SandboxRunError';
}

const TRANSPORT_FAULTS = new Set(['timeout', 'outage', 'malformed', 'hostile', 'drip']);
/** Statuses an order does not leave by itself (rejected, failed and cancelled may still be refunded). */
const RESTING: ReadonlySet<OrderStatus> = new Set<OrderStatus>(['delivered', 'ready-for-pickup', 'refunded', 'returned']);
const QUIET_MS = 500;
export const DEFAULT_CONCURRENCY = 8;
const POLL_MS = 40;

interface Planned {
  service: CatalogueService;
  loaded: LoadedScenario;
  /** Providers whose breaker it may trip: it runs after the others, one at a time per provider. */
  risky: string[];
}

/** The providers whose circuit breaker a scenario may trip (a transport fault, an error without a business code); empty when none. */
function breakerRisk(s: LoadedScenario['scenario']): string[] {
  const out: string[] = [];
  for (const [code, ops] of Object.entries(s.providers ?? {})) {
    const risky = Object.values(ops ?? {}).some((b) => b?.fault && (TRANSPORT_FAULTS.has(b.fault.kind) || (b.fault.kind === 'http-error' && !b.fault.code)));
    if (risky) out.push(code);
  }
  return out.sort();
}

/** The request a scenario submits: the service's example with the scenario's members over it (a delivery it gives replaces the example's whole). */
export function scenarioRequest(service: CatalogueService, order: Record<string, unknown> | undefined): OrderRequest {
  const base = exampleRequest(service) as unknown as Record<string, unknown>;
  const { delivery, ...rest } = order ?? {};
  const merged = overlay(base, rest) as Record<string, unknown>;
  if (delivery !== undefined) merged.delivery = delivery;
  return merged as unknown as OrderRequest;
}

const collapse = (statuses: OrderStatus[]) => statuses.filter((s, i) => s !== statuses[i - 1]);

const REFUSALS: ReadonlySet<OrderStatus> = new Set<OrderStatus>(['rejected', 'failed', 'cancelled']);

/** The reason of the last refusal, failure or cancellation (a refund that follows has its own). */
function lastReason(order: Order): string | undefined {
  for (let i = order.timeline.length - 1; i >= 0; i--) {
    const t = order.timeline[i]!;
    if (REFUSALS.has(t.status) && t.reason?.code) return t.reason.code;
  }
  return order.statusReason?.code;
}

async function runOne(env: SandboxEnvironment, p: Planned, opts: RunOptions, base: string): Promise<ScenarioResult> {
  const started = Date.now();
  const { scenario, file } = p.loaded;
  const code = p.service.definition.code;
  const result: ScenarioResult = { service: code, scenario: scenario.name, file: relative(base, file), passed: false, durationMs: 0, timeline: [], exchanges: [], differences: [] };
  const finish = () => {
    result.durationMs = Date.now() - started;
    result.passed = !result.error && result.differences.length === 0;
    return result;
  };
  const kind = (scenario.channel ?? 'centre') as ChannelKind;
  const body = scenarioRequest(p.service, scenario.order as Record<string, unknown> | undefined);
  const release = env.scripts.expect();
  let orderId: string;
  try {
    const res = await request(`${env.url}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.keys[kind].key}`, 'idempotency-key': `sandbox-${randomBytes(12).toString('hex')}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 202) {
      result.error = `the gateway refused the order: ${res.statusCode} ${text.slice(0, 2000)}`;
      return finish();
    }
    orderId = (JSON.parse(text) as Order).id;
    env.scripts.set(orderId, { ...(scenario.providers ? { providers: scenario.providers } : {}), ...(scenario.payment ? { payment: scenario.payment } : {}), ...(scenario.delivery ? { delivery: scenario.delivery } : {}) });
  } catch (err) {
    result.error = `could not submit the order: ${(err as Error).message}`;
    return finish();
  } finally {
    release();
  }
  result.orderId = orderId;
  const expect = scenario.expect;
  const timeoutMs = opts.scenarioTimeoutMs ?? 30_000;
  const deadLetters = async () => (await env.hub.store.listDeadLetters({ limit: 1000 })).filter((d) => d.message.orderId === orderId);

  // Settled: at the expected status and quiet (with the dead letter, when one is expected), or
  // resting elsewhere for a while, or out of time.
  let order: Order;
  let seen = -1;
  let changedAt = Date.now();
  for (;;) {
    order = (await env.hub.store.getOrder(orderId))!;
    if (order.timeline.length !== seen) {
      seen = order.timeline.length;
      changedAt = Date.now();
    }
    const quiet = Date.now() - changedAt;
    const dead = quiet >= QUIET_MS && (await deadLetters()).length > 0;
    const atExpected = order.status === expect.status && quiet >= QUIET_MS && (typeof expect.deadLettered !== 'string' || dead);
    // A dead letter waits for an operator; a resting order elsewhere than expected will not move.
    if (atExpected || dead || (RESTING.has(order.status) && order.status !== expect.status && quiet >= 4 * QUIET_MS) || Date.now() - started > timeoutMs) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  result.status = order.status;
  result.timeline = order.timeline;
  result.exchanges = exchangesOf(env, orderId);
  result.behaviour = scenarioBehaviour(result.exchanges);
  const dead = await deadLetters();
  // The reason with the last attempt's error, so a report says why (a mapping, a contract, a provider).
  const deadReasons = dead.map((d) => d.reason);
  result.differences = compare(scenario.expect, order, result.exchanges, deadReasons);
  // The documents are checked against the hub's store (async, so apart from compare).
  result.differences.push(...(await documentDifferences(expect.documents, order, env.hub.documents)));
  for (const diff of result.differences) if (diff.what === 'deadLettered') diff.actual = dead.length ? dead.map((d) => `${d.reason}: ${d.history.at(-1)?.error ?? ''}`) : false;
  if (Date.now() - started > timeoutMs && order.status !== expect.status) result.differences.unshift({ what: 'settled', expected: `within ${timeoutMs} ms`, actual: `still ${order.status}` });
  env.scripts.delete(orderId);
  return finish();
}

function exchangesOf(env: SandboxEnvironment, orderId: string): Exchange[] {
  const out: Exchange[] = [];
  for (const sim of env.sims) {
    for (const r of sim.requests as SimRequest[]) {
      if (r.orderId !== orderId && !r.idempotencyKey?.startsWith(`${orderId}:`)) continue;
      const operation = r.operation ?? env.operationOf(r.simulator, r.method, r.path);
      out.push({
        provider: r.simulator,
        ...(operation ? { operation } : {}),
        at: r.at,
        method: r.method,
        path: r.path,
        ...(r.idempotencyKey ? { idempotencyKey: r.idempotencyKey } : {}),
        input: r.input,
        outcome: r.outcome,
        ...(r.status !== undefined ? { status: r.status } : {}),
        ...(r.response !== undefined ? { response: r.response } : {}),
        ...(r.violations?.length ? { violations: r.violations } : {}),
        repeated: r.repeated,
        ...(r.behaviour ? { behaviour: r.behaviour } : {}),
        ...(r.recording ? { recording: r.recording } : {}),
      });
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

export function compare(expect: LoadedScenario['scenario']['expect'], order: Order, exchanges: Exchange[], deadReasons: string[]): Difference[] {
  const diffs: Difference[] = [];
  if (order.status !== expect.status) diffs.push({ what: 'status', expected: expect.status, actual: order.status });
  if (expect.reason !== undefined && lastReason(order) !== expect.reason) diffs.push({ what: 'reason', expected: expect.reason, actual: lastReason(order) ?? null });
  if (expect.timeline) {
    const actual = collapse(order.timeline.map((t) => t.status));
    if (JSON.stringify(actual) !== JSON.stringify(expect.timeline)) diffs.push({ what: 'timeline', expected: expect.timeline, actual });
  }
  for (const [provider, ops] of Object.entries(expect.calls ?? {})) {
    for (const [op, n] of Object.entries(ops ?? {})) {
      const actual = exchanges.filter((e) => e.provider === provider && e.operation === op).length;
      if (actual !== n) diffs.push({ what: `calls.${provider}.${op}`, expected: n, actual });
    }
  }
  for (const [provider, ops] of Object.entries(expect.received ?? {})) {
    for (const [op, members] of Object.entries(ops ?? {})) {
      const inputs = exchanges.filter((e) => e.provider === provider && e.operation === op).map((e) => e.input);
      if (!inputs.some((i) => contains(i, members))) diffs.push({ what: `received.${provider}.${op}`, expected: members, actual: inputs.length ? inputs[0] : 'not called' });
    }
  }
  if (expect.results !== undefined && !contains(order.results, expect.results)) diffs.push({ what: 'results', expected: expect.results, actual: order.results });
  if (expect.deadLettered === false && deadReasons.length) diffs.push({ what: 'deadLettered', expected: false, actual: deadReasons });
  if (typeof expect.deadLettered === 'string' && !deadReasons.includes(expect.deadLettered)) diffs.push({ what: 'deadLettered', expected: expect.deadLettered, actual: deadReasons.length ? deadReasons : false });
  for (const e of exchanges) if (e.violations?.length) diffs.push({ what: `contract.${e.provider}.${e.operation ?? e.path}`, expected: 'a request and an answer that follow the contract', actual: e.violations });
  return diffs;
}

async function pool<T>(items: T[], size: number, work: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Why a service's mappings cannot be certified yet: proposals of `wasl service new` no one has reviewed. */
function unreviewed(flowsDir: string, code: string): string | undefined {
  const file = join(flowsDir, code, 'flow.json');
  if (!existsSync(file)) return undefined;
  const marks = unreviewedProposals(JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>);
  if (!marks.length) return undefined;
  const total = marks.reduce((t, m) => t + m.count, 0);
  return `${total} mapping${total === 1 ? '' : 's'} proposed by \`wasl service new\` not reviewed (${marks.map((m) => `"${m.name}": ${m.count}`).join(', ')}): check each and delete its /* ${PROPOSED} … */ mark`;
}

/** Runs the scenarios of the services asked for (all that have some by default) and certifies those that pass. */
export async function runSandbox(opts: RunOptions): Promise<RunReport> {
  const startedAt = new Date();
  const flowsDir = resolve(opts.flowsDir);
  const base = resolve(flowsDir, '..');
  const providersRoot = opts.providersRoot ?? DEFAULT_PROVIDERS_ROOT;
  const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  const env = await startEnvironment({ ...opts, flowsDir }, log);
  try {
    const catalogue = env.hub.catalogue;
    const wanted = opts.services?.length ? opts.services : catalogue.all().map((s) => s.definition.code).sort();
    const services: Array<{ service: CatalogueService; scenarios: LoadedScenario[] }> = [];
    for (const code of wanted) {
      const service = catalogue.get(code);
      if (!service) throw new SandboxRunError(`no service ${code} in ${flowsDir}`);
      const scenarios = loadScenarios(code, flowsDir);
      if (scenarios.length || opts.services?.length) services.push({ service, scenarios });
    }
    const planned: Planned[] = services.flatMap(({ service, scenarios }) => scenarios.map((loaded) => ({ service, loaded, risky: breakerRisk(loaded.scenario) })));
    opts.onStart?.(planned.length);
    const results = new Map<Planned, ScenarioResult>();
    const run = async (p: Planned) => {
      const r = await runOne(env, p, opts, base);
      results.set(p, r);
      opts.onScenario?.(r);
    };
    await pool(planned.filter((p) => p.risky.length === 0), opts.concurrency ?? DEFAULT_CONCURRENCY, run);
    // Then those that trip breakers: one lane per set of providers, lanes side by side.
    const lanes = new Map<string, Planned[]>();
    for (const p of planned.filter((q) => q.risky.length > 0)) lanes.set(p.risky.join(','), [...(lanes.get(p.risky.join(',')) ?? []), p]);
    await Promise.all([...lanes.values()].map((lane) => pool(lane, 1, run)));

    const report: RunReport = { startedAt: startedAt.toISOString(), durationMs: 0, services: [], scenarios: planned.length, passed: 0, failed: 0 };
    // What a certificate covers, the providers of the service's fulfilment among it, as this run's hub had them.
    const roots: ServiceRoots = { flowsDir, providersRoot, base, ...(opts.fulfilmentFile ? { fulfilmentFile: opts.fulfilmentFile } : {}) };
    for (const { service, scenarios } of services) {
      const code = service.definition.code;
      const rs = planned.filter((p) => p.service === service).map((p) => results.get(p)!);
      const passed = rs.filter((r) => r.passed).length;
      const sr: ServiceResult = { service: code, names: service.definition.names, scenarios: rs };
      const waiting = scenarios.length && passed === rs.length && opts.certify !== false ? unreviewed(flowsDir, code) : undefined;
      if (!scenarios.length) sr.notCertified = 'it has no scenarios';
      else if (passed < rs.length) sr.notCertified = `${rs.length - passed} of ${rs.length} scenarios failed`;
      else if (opts.certify === false) sr.notCertified = 'certification not asked for';
      else if (waiting !== undefined) sr.notCertified = waiting;
      else {
        try {
          const behaviour = Object.fromEntries(rs.map((r) => [r.file, r.behaviour ?? scenarioBehaviour(r.exchanges)]));
          const cert = certify(code, { scenarios: rs.length, passed, failed: 0, durationMs: rs.reduce((t, r) => t + r.durationMs, 0), behaviour }, roots, opts.by ?? 'sandbox', opts.signingKey ? { signingKey: opts.signingKey } : {});
          sr.certificate = { digest: cert.digest, certifiedAt: cert.certifiedAt, ...(cert.signature ? { signedBy: cert.signature.keyId } : {}) };
        } catch (err) {
          if (!(err instanceof CertificationError)) throw err;
          sr.notCertified = err.message;
        }
      }
      report.services.push(sr);
      report.passed += passed;
      report.failed += rs.length - passed;
    }
    report.durationMs = Date.now() - startedAt.getTime();
    return report;
  } finally {
    await env.close();
    log?.end();
  }
}
