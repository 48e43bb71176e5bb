/**
 * /monitor: the monitoring teams' dashboard and its API, for operators only (their
 * WASL_OPERATORS login, HTTP Basic). Every role reads; `operator` and `admin` may replay or discard
 * dead letters. Opening an order's full record (the citizen's data) and every replay or discard
 * go into the audit trail with the operator's name; search results show national numbers masked.
 *
 *   GET  /monitor                            the page (Arabic or English, live)
 *   GET  /monitor/api/overview               figures (hub/monitor/overview.ts)
 *   GET  /monitor/api/names                  statuses, services and providers by code, in Arabic and English (hub/monitor/names.ts)
 *   GET  /monitor/api/stream                 the same, every 2 s (server-sent events)
 *   GET  /monitor/api/dead-letters           dead letters, oldest first
 *   POST /monitor/api/dead-letters/:id/replay | /discard
 *   GET  /monitor/api/orders?q=<order id or national number>
 *   GET  /monitor/api/orders/:id             the order (its result data, its refusal), its timeline and provider exchanges (audited)
 *   GET  /monitor/api/payment-anomalies      payments not applied as not matching their invoice, newest first
 *   GET  /monitor/api/admin-actions?before=<seq>&limit=<n>
 *                                            the operator.action audit records, newest first (admin only)
 *
 * The admin actions are the record of who signed in (and failed to), deployed, changed
 * credentials, disabled node types, replayed, opened orders: the oversight of the people who hold
 * the hub's keys, for the `admin` alone. An operator or viewer would learn from it which accounts
 * exist, from which addresses they work and when they fail to sign in — what an attacker with one
 * stolen password looks for — and would read the record of their own oversight. Reading it is not
 * itself audited: the panel refreshes on its own, and a record per refresh would bury the actions
 * it is there to show; opening the dashboard, which shows it, is audited.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Bus } from '../../bus/bus';
import { discardDeadLetters, replayDeadLetters } from '../../bus/replay';
import type { Catalogue } from '../../catalogue';
import { WaslError } from '../../errors';
import { dashboardNames, providerNames } from '../../monitor/names';
import { listed, listedAction, overview, paymentAnomalies, type OverviewStore } from '../../monitor/overview';
import type { OperatorRole } from '../../operators';
import { resultLabels } from '../../order-outcome';
import type { AuditStore, DeadLetterStore } from '../../store';
import type { ChannelAuthenticator } from '../auth';

const PAGE = join(__dirname, '..', '..', 'monitor', 'page.html');
const ORDER_ID = /^ord_[0-9A-HJKMNP-TV-Z]{26}$/;
const NATIONAL_NUMBER = /^[0-9]{11}$/;
const MAX_PAGE = 200;

/** A positive integer query parameter, or the default when absent; anything else is a 400. */
function positive(value: string | undefined, name: string, fallback: number | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined || value === '') return fallback;
  if (!/^[1-9][0-9]{0,15}$/.test(value) || Number(value) > max) throw new WaslError('validation-failed', { detail: `${name} must be a whole number from 1 to ${max}` });
  return Number(value);
}

/** What the dashboard reads and does: the overview, dead letters (replayed, discarded), orders, their provider calls, the audit trail. */
export type MonitorStore = OverviewStore & DeadLetterStore & AuditStore;

export async function monitorRoutes(app: FastifyInstance, opts: { store: MonitorStore; bus: Bus; catalogue: Catalogue; auth: ChannelAuthenticator }): Promise<void> {
  const { store, catalogue } = opts;
  const page = readFileSync(PAGE, 'utf8');

  const operator = async (request: FastifyRequest, roles?: OperatorRole[]) => {
    const who = await opts.auth.operator(request, 'dashboard');
    if (!who) throw new WaslError('unauthenticated', { headers: { 'www-authenticate': 'Basic realm="wasl monitoring", charset="UTF-8"' } });
    if (roles && !roles.includes(who.role)) throw new WaslError('forbidden', { detail: `a ${who.role} may not do this` });
    return who;
  };
  // One computation serves every open dashboard and the overview endpoint for a moment: the
  // figures read the last hour of orders and calls, not work to repeat per client every 2 s.
  let cached: { at: number; value: Promise<Awaited<ReturnType<typeof overview>>> } | undefined;
  const figures = () => {
    if (!cached || Date.now() - cached.at > 1_500) {
      const value = overview(store, catalogue);
      cached = { at: Date.now(), value };
      value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
  const audit = (user: string, subject: string, data: Record<string, unknown>) => store.appendAudit([{ at: new Date().toISOString(), kind: 'operator.action', actor: `operator:${user}`, subject, data }]);

  app.get('/monitor', { schema: { hide: true } }, async (request, reply) => {
    const who = await operator(request);
    // Opening the dashboard is an operator's sign-in: it goes into the audit trail.
    await audit(who.user, 'dashboard', { action: 'open-dashboard', role: who.role });
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store');
    return page.replaceAll('{{role}}', who.role).replaceAll('{{user}}', who.user.replace(/[<>&"']/g, ''));
  });

  app.get('/monitor/api/overview', { schema: { hide: true } }, async (request) => {
    await operator(request);
    return figures();
  });

  // The providers' files are read once: a new provider comes with a restart of its connectors.
  let providers: ReturnType<typeof providerNames> | undefined;
  app.get('/monitor/api/names', { schema: { hide: true } }, async (request) => {
    await operator(request);
    return dashboardNames(catalogue, (providers ??= providerNames()));
  });

  // Open dashboards' streams, ended when the hub closes: the server would otherwise wait for each to go.
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  app.get('/monitor/api/stream', { schema: { hide: true } }, async (request, reply) => {
    await operator(request);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    let open = true;
    const push = async () => {
      if (!open) return;
      try {
        res.write(`data: ${JSON.stringify(await figures())}\n\n`);
      } catch {
        /* the next tick tries again */
      }
    };
    const timer = setInterval(() => void push(), 2000);
    const end = () => {
      if (!open) return;
      open = false;
      clearInterval(timer);
      streams.delete(end);
      if (!res.writableEnded) res.end();
    };
    streams.add(end);
    // The response's close is the connection's: it fires when the browser goes, however it went.
    res.on('close', end);
    await push();
  });

  app.get('/monitor/api/dead-letters', { schema: { hide: true } }, async (request) => {
    await operator(request);
    const list = await store.listDeadLetters({ limit: 500 });
    return { deadLetters: list.map((d) => ({ id: d.id, service: d.message.service, type: d.message.type, orderId: d.message.orderId, reason: d.reason, attempts: d.history.length, deadAt: d.deadAt })) };
  });

  app.post<{ Params: { id: string; action: string } }>('/monitor/api/dead-letters/:id/:action', { schema: { hide: true } }, async (request) => {
    const who = await operator(request, ['operator', 'admin']);
    const { id, action } = request.params;
    if (action !== 'replay' && action !== 'discard') throw new WaslError('not-found');
    const actor = { kind: 'operator' as const, id: who.user };
    const [dl] = await store.listDeadLetters({ ids: [id], limit: 1 });
    if (!dl) throw new WaslError('not-found', { detail: `no dead letter ${id}` });
    const outcome = action === 'replay' ? await replayDeadLetters(store, opts.bus, [id], actor) : await discardDeadLetters(store, [id], actor);
    await audit(who.user, dl.message.orderId, { action, deadLetter: id, service: dl.message.service, reason: dl.reason });
    return { [action === 'replay' ? 'replayed' : 'discarded']: outcome.replayed.map((d) => d.id) };
  });

  app.get<{ Querystring: { q?: string } }>('/monitor/api/orders', { schema: { hide: true } }, async (request) => {
    const who = await operator(request);
    const q = String(request.query.q ?? '').trim();
    if (ORDER_ID.test(q)) {
      const o = await store.getOrder(q);
      return { orders: o ? [listed(o)] : [] };
    }
    if (!NATIONAL_NUMBER.test(q)) throw new WaslError('validation-failed', { detail: 'search by an order id (ord_…) or a national number (11 digits)' });
    // Looking a citizen up is itself a read of their data.
    await audit(who.user, 'search', { action: 'search-by-national-number' });
    return { orders: (await store.findOrdersByNationalNumber(q, 50)).map(listed) };
  });

  app.get<{ Querystring: { limit?: string } }>('/monitor/api/payment-anomalies', { schema: { hide: true } }, async (request) => {
    await operator(request);
    const limit = positive(request.query.limit, 'limit', 100, MAX_PAGE)!;
    return { anomalies: await paymentAnomalies(store, limit) };
  });

  app.get<{ Querystring: { before?: string; limit?: string } }>('/monitor/api/admin-actions', { schema: { hide: true } }, async (request) => {
    await operator(request, ['admin']);
    const limit = positive(request.query.limit, 'limit', 50, MAX_PAGE)!;
    const beforeSeq = positive(request.query.before, 'before', undefined);
    const records = await store.listOperatorActions({ ...(beforeSeq !== undefined ? { beforeSeq } : {}), limit: limit + 1 });
    const actions = records.slice(0, limit).map(listedAction);
    // One more than asked tells whether an older page exists, without a count of the whole trail.
    return { actions, ...(records.length > limit ? { nextBefore: actions.at(-1)!.seq } : {}) };
  });

  app.get<{ Params: { id: string } }>('/monitor/api/orders/:id', { schema: { hide: true } }, async (request) => {
    const who = await operator(request);
    const order = await store.getOrder(request.params.id);
    if (!order) throw new WaslError('order-not-found');
    await audit(who.user, order.id, { action: 'read-order' });
    const exchanges = await store.listProviderCalls({ orderId: order.id, limit: 200 });
    // The result's fields as the service names them, in Arabic and English (service.json result.labels).
    const data = order.results.data;
    // The order's trace (README, "Tracing"): the one its received step was made in, when the hub traced it.
    const traceId = order.timeline.find((s) => s.traceId)?.traceId;
    return { order, exchanges, ...(traceId ? { traceId } : {}), ...(data ? { resultLabels: resultLabels(data, catalogue.get(order.service.code)?.definition) } : {}) };
  });
}
