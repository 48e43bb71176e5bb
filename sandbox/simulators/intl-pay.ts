/**
 * Simulator of the international payment company of the expatriate portal (REST, snake_case,
 * OpenAPI 3.1, sandbox/contracts/intl-pay.openapi.json):
 *   POST /intl/v2/payment_intents        CreatePaymentIntent (Idempotency-Key)
 *   GET  /intl/v2/payment_intents/{id}   GetPaymentIntent
 *   POST /intl/v2/refunds                CreateRefund (Idempotency-Key)
 *   GET  /intl/v2/payouts?date=…         ListPayouts
 *   GET  /intl/checkout/{id}             the payer's checkout page (HTML, Arabic and English)
 * and the behaviour control (./callbacks.ts): POST /intl/v2/__sim/behaviour, POST /intl/v2/__sim/reset.
 *
 * Amounts are in minor units (cents) of USD or EUR. Every payment intent succeeds by itself
 * `payDelayMs` after it was created, and a webhook goes to its notify_url, signed with the
 * provider's webhook secret (contracts/providers/intl-pay/provider.json: sha256-hex in
 * Intl-Pay-Signature, timestamp in Intl-Pay-Timestamp). Refunds: only within 180 days of capture
 * (409 refund_window_closed) and up to what was captured and not yet refunded (422
 * amount_too_large). A behaviour with `capturedDaysAgo` dates the capture back, to reach the
 * window in a test: sandbox/README.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { settlementLedger } from './settlement-ledger';
import {
  BehaviourControl,
  callbackKit,
  recordAndAnswer,
  serveSimulator,
  credentialState,
  DEFAULT_LATE_MS,
  DEFAULT_WRONG_AMOUNT,
  handleControl,
  isDate,
  isHttpUrl,
  page,
  PAYMENT_MODES,
  randomId,
  readJsonObject,
  sendHtml,
  sendJson,
  type Behaviour,
  type CallbackSimulator,
  type CallbackSimulatorOptions,
  type PaymentMode,
} from './callbacks';

export const INTL_PAY_BASE = '/intl/v2';
export const INTL_PAY_DEFAULT_PORT = 8094;
export const INTL_PAY_DELAY_MS = 300;
export const INTL_PAY_PROVIDER = 'intl-pay';
/** Refunds are accepted this many days after the capture, not later. */
export const INTL_PAY_REFUND_WINDOW_DAYS = 180;
const DAY_MS = 24 * 3600 * 1000;

export interface IntlPayBehaviour extends Behaviour<PaymentMode> {
  /** Date the capture back by this many days (so that a refund falls outside the 180-day window). */
  capturedDaysAgo?: number;
}
export type IntlPaySimulator = CallbackSimulator<IntlPayBehaviour>;
export interface IntlPayOptions extends CallbackSimulatorOptions {
  /** Time from creating a payment intent to its outcome and webhook. Default 300 ms. */
  payDelayMs?: number;
  /** Where the captures it makes are kept, so that its payouts outlive it (./settlement-ledger.ts). */
  settlementsFile?: string;
}

interface PayoutItem {
  payment_intent: string;
  order_ref: string;
  amount_minor: number;
  currency: string;
  settled_at: string;
}

const isPayoutItem = (v: unknown): v is PayoutItem => {
  const o = v as Partial<PayoutItem> | null;
  return typeof o === 'object' && o !== null && typeof o.payment_intent === 'string' && typeof o.order_ref === 'string' && Number.isInteger(o.amount_minor) && typeof o.currency === 'string' && typeof o.settled_at === 'string';
};

type Status = 'requires_payment' | 'succeeded' | 'failed' | 'canceled' | 'refunded' | 'partially_refunded';
type Currency = 'USD' | 'EUR';

interface Intent {
  id: string;
  status: Status;
  amount_minor: number;
  currency: Currency;
  order_ref: string;
  description: string;
  notify_url: string;
  customer_country?: string;
  checkout_url: string;
  created_at: string;
  captured_at?: string;
  failure_code?: string;
  amount_refunded_minor: number;
  behaviour: IntlPayBehaviour | { mode: PaymentMode };
}

interface Reply {
  status: number;
  body: unknown;
  outcome: string;
  reference?: string;
  fingerprint?: string;
}

const INTENT = /^\/intl\/v2\/payment_intents\/([^/]+)$/;
const CHECKOUT = /^\/intl\/checkout\/([^/]+)$/;
const REASONS = ['requested_by_customer', 'service_not_provided'];

const payoutOf = (pi: Intent): PayoutItem => ({ payment_intent: pi.id, order_ref: pi.order_ref, amount_minor: pi.amount_minor, currency: pi.currency, settled_at: pi.captured_at! });

const err = (status: number, code: string, message: string, param?: string): Reply => ({ status, outcome: code, body: { error: { code, message, ...(param ? { param } : {}) } } });

export async function startIntlPay(opts: IntlPayOptions): Promise<IntlPaySimulator> {
  const { recorder, tasks, sender } = callbackKit(INTL_PAY_PROVIDER, opts);
  let delayMs = opts.delayMs ?? 0;
  const payDelayMs = opts.payDelayMs ?? INTL_PAY_DELAY_MS;
  const control = new BehaviourControl<PaymentMode, IntlPayBehaviour>(PAYMENT_MODES, 'approve');
  const checkCapturedDaysAgo = (b: Record<string, unknown>) => {
    if (b.capturedDaysAgo !== undefined && (!Number.isInteger(b.capturedDaysAgo) || (b.capturedDaysAgo as number) < 0)) throw new TypeError('capturedDaysAgo must be a non-negative integer');
  };
  const intents = new Map<string, Intent>();
  const byKey = new Map<string, Reply>();
  // The captures made before this simulator started (by an earlier run on the same data dir): still paid out.
  const ledger = settlementLedger(opts.settlementsFile, isPayoutItem);
  let origin = '';

  const view = (pi: Intent) => ({
    id: pi.id,
    status: pi.status,
    amount_minor: pi.amount_minor,
    currency: pi.currency,
    order_ref: pi.order_ref,
    ...(pi.captured_at ? { captured_at: pi.captured_at } : {}),
    ...(pi.failure_code ? { failure_code: pi.failure_code } : {}),
    ...(pi.amount_refunded_minor > 0 ? { amount_refunded_minor: pi.amount_refunded_minor } : {}),
    checkout_url: pi.checkout_url,
    created_at: pi.created_at,
  });

  const event = (type: string, object: Record<string, unknown>) => ({ id: randomId('evt_', 12, false), type, created: Math.floor(Date.now() / 1000), data: { object } });

  const notify = (pi: Intent, ev: Record<string, unknown>) => {
    const b = pi.behaviour;
    if (b.mode === 'never') return;
    const times = b.mode === 'twice' ? 2 : 1;
    if (b.mode === 'late') tasks.after('lateMs' in b && b.lateMs !== undefined ? b.lateMs : DEFAULT_LATE_MS, () => sender.send(pi.notify_url, ev, times));
    else sender.send(pi.notify_url, ev, times);
  };

  const settle = (pi: Intent) => {
    if (pi.status !== 'requires_payment') return;
    const b = pi.behaviour;
    if (b.mode === 'decline') {
      pi.status = 'failed';
      pi.failure_code = 'card_declined';
      notify(pi, event('payment_intent.payment_failed', view(pi)));
    } else if (b.mode === 'expire') {
      pi.status = 'canceled';
      pi.failure_code = 'checkout_expired';
      notify(pi, event('payment_intent.canceled', view(pi)));
    } else {
      // A capture of another sum, reported as the intent's own: what the webhook, the status and the payout then say.
      if (b.mode === 'wrong-amount') pi.amount_minor = ('paidAmount' in b && b.paidAmount) || DEFAULT_WRONG_AMOUNT;
      pi.status = 'succeeded';
      const daysAgo = 'capturedDaysAgo' in b && b.capturedDaysAgo ? b.capturedDaysAgo : 0;
      pi.captured_at = new Date(Date.now() - daysAgo * DAY_MS).toISOString();
      ledger.add(payoutOf(pi));
      notify(pi, event('payment_intent.succeeded', view(pi)));
    }
  };

  const createIntent = (body: Record<string, unknown> | undefined, key: string | undefined, scripted?: IntlPayBehaviour): Reply | 'hold' => {
    if (!body) return err(400, 'parameter_invalid', 'the body must be a JSON object');
    const { amount_minor, currency, order_ref, description, notify_url, customer_country } = body;
    if (!Number.isInteger(amount_minor) || (amount_minor as number) <= 0) return err(400, 'parameter_invalid', 'amount_minor must be a positive integer (minor units)', 'amount_minor');
    if (currency !== 'USD' && currency !== 'EUR') return err(400, 'parameter_invalid', 'currency must be USD or EUR', 'currency');
    if (typeof order_ref !== 'string' || order_ref.length < 1 || order_ref.length > 64) return err(400, 'parameter_invalid', 'order_ref must be a string of 1 to 64 characters', 'order_ref');
    if (typeof description !== 'string' || description.length < 1 || description.length > 200) return err(400, 'parameter_invalid', 'description must be a string of 1 to 200 characters', 'description');
    if (!isHttpUrl(notify_url)) return err(400, 'parameter_invalid', 'notify_url must be an http(s) URL', 'notify_url');
    if (customer_country !== undefined && (typeof customer_country !== 'string' || !/^[A-Z]{2}$/.test(customer_country))) return err(400, 'parameter_invalid', 'customer_country must be an ISO 3166-1 alpha-2 code', 'customer_country');
    const fingerprint = JSON.stringify([order_ref, amount_minor, currency]);
    const previous = key ? byKey.get(key) : undefined;
    if (previous) return previous.fingerprint === fingerprint ? previous : err(409, 'idempotency_key_reused', 'this Idempotency-Key was used with other parameters');
    const behaviour = scripted ?? control.take();
    if (behaviour.mode === 'timeout') return 'hold';
    const id = randomId('pi_', 12, false);
    const pi: Intent = {
      id,
      status: 'requires_payment',
      amount_minor: amount_minor as number,
      currency,
      order_ref,
      description,
      notify_url,
      ...(typeof customer_country === 'string' ? { customer_country } : {}),
      checkout_url: `${origin}/intl/checkout/${id}`,
      created_at: new Date().toISOString(),
      amount_refunded_minor: 0,
      behaviour,
    };
    intents.set(id, pi);
    const reply: Reply = { status: 201, outcome: 'ok', reference: id, fingerprint, body: { id, status: pi.status, amount_minor: pi.amount_minor, currency, order_ref, checkout_url: pi.checkout_url, created_at: pi.created_at } };
    if (key) byKey.set(key, reply);
    return reply;
  };

  const refund = (body: Record<string, unknown> | undefined, key: string | undefined): Reply => {
    if (!body) return err(400, 'parameter_invalid', 'the body must be a JSON object');
    const { payment_intent, amount_minor, reason } = body;
    if (typeof payment_intent !== 'string' || !payment_intent) return err(400, 'parameter_invalid', 'payment_intent is required', 'payment_intent');
    if (!Number.isInteger(amount_minor) || (amount_minor as number) <= 0) return err(400, 'parameter_invalid', 'amount_minor must be a positive integer (minor units)', 'amount_minor');
    if (typeof reason !== 'string' || !REASONS.includes(reason)) return err(400, 'parameter_invalid', `reason must be one of ${REASONS.join(', ')}`, 'reason');
    const fingerprint = JSON.stringify([payment_intent, amount_minor]);
    const previous = key ? byKey.get(key) : undefined;
    if (previous) return previous.fingerprint === fingerprint ? previous : err(409, 'idempotency_key_reused', 'this Idempotency-Key was used with other parameters');
    const pi = intents.get(payment_intent);
    if (!pi) return err(404, 'resource_missing', `no payment intent ${payment_intent}`, 'payment_intent');
    if (pi.status !== 'succeeded' && pi.status !== 'partially_refunded' && pi.status !== 'refunded') return err(409, 'payment_not_captured', `the payment intent is ${pi.status}: nothing was captured`);
    if (Date.now() - Date.parse(pi.captured_at!) > INTL_PAY_REFUND_WINDOW_DAYS * DAY_MS) return err(409, 'refund_window_closed', `refunds are possible within ${INTL_PAY_REFUND_WINDOW_DAYS} days of the capture`);
    const left = pi.amount_minor - pi.amount_refunded_minor;
    if ((amount_minor as number) > left) return err(422, 'amount_too_large', `at most ${left} can be refunded`, 'amount_minor');
    pi.amount_refunded_minor += amount_minor as number;
    pi.status = pi.amount_refunded_minor === pi.amount_minor ? 'refunded' : 'partially_refunded';
    const re = { id: randomId('re_', 12, false), payment_intent, amount_minor: amount_minor as number, currency: pi.currency, status: 'succeeded', order_ref: pi.order_ref, created_at: new Date().toISOString() };
    const reply: Reply = { status: 201, outcome: 'ok', reference: re.id, fingerprint, body: re };
    if (key) byKey.set(key, reply);
    notify(pi, event('charge.refunded', re));
    return reply;
  };

  const payouts = (date: string | null): Reply => {
    if (!isDate(date)) return err(400, 'parameter_invalid', 'date must be YYYY-MM-DD', 'date');
    // Every capture on `date` (UTC), by this run or an earlier one on the same data dir.
    const now = [...intents.values()].filter((pi) => pi.captured_at?.startsWith(date)).map(payoutOf);
    const seen = new Set(now.map((p) => p.payment_intent));
    const data = [...ledger.earlier.filter((p) => p.settled_at.startsWith(date) && !seen.has(p.payment_intent)), ...now].sort((a, b) => a.settled_at.localeCompare(b.settled_at));
    return { status: 200, outcome: 'ok', body: { date, data } };
  };

  const checkoutPage = (res: ServerResponse, id: string) => {
    const pi = intents.get(id);
    if (!pi) return sendHtml(res, 404, page('عملية دفع غير موجودة', 'Payment not found', [['المعرّف', 'Payment', id]], '', ''));
    sendHtml(
      res,
      200,
      page(
        'الدفع الدولي — بيئة الاختبار',
        'International payment — sandbox',
        [
          ['المعرّف', 'Payment', pi.id],
          ['المرجع', 'Reference', pi.order_ref],
          ['البيان', 'Description', pi.description],
          ['المبلغ', 'Amount', `${(pi.amount_minor / 100).toFixed(2)} ${pi.currency}`],
          ['الحالة', 'Status', pi.status],
        ],
        'في بيئة الاختبار تنجح عملية الدفع تلقائياً بعد لحظات، ويُبلَّغ النظام بذلك.',
        'In the sandbox the payment succeeds by itself a moment after it is created, and the merchant is notified.',
      ),
    );
  };

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const p = url.pathname;
    if (req.method !== 'POST') req.resume();
    if (await handleControl(req, res, p, INTL_PAY_BASE, control, checkCapturedDaysAgo)) return;
    const co = CHECKOUT.exec(p);
    if (co && req.method === 'GET') return checkoutPage(res, decodeURIComponent(co[1]!));

    const key = (req.headers['idempotency-key'] as string | undefined) || undefined;
    const headerOrder = req.headers['x-wasl-order-id'] as string | undefined;
    let route: 'create' | 'get' | 'refund' | 'payouts' | undefined;
    let m: RegExpExecArray | null = null;
    if (p === `${INTL_PAY_BASE}/payment_intents` && req.method === 'POST') route = 'create';
    else if ((m = INTENT.exec(p)) && req.method === 'GET') route = 'get';
    else if (p === `${INTL_PAY_BASE}/refunds` && req.method === 'POST') route = 'refund';
    else if (p === `${INTL_PAY_BASE}/payouts` && req.method === 'GET') route = 'payouts';
    if (!route) {
      req.resume();
      return sendJson(res, 404, { error: { code: 'route_missing', message: `no route ${req.method} ${p}` } });
    }

    const body = req.method === 'POST' ? await readJsonObject(req) : undefined;
    const id = m ? decodeURIComponent(m[1]!) : undefined;
    let reply: Reply | 'hold';
    let repeated = false;
    const auth = credentialState(req.headers.authorization, 'Bearer ');
    if (auth === 'empty' || (auth === 'missing' && opts.requireAuth)) reply = err(401, 'authentication_required', 'a bearer token is required');
    else if (route === 'create' || route === 'refund') {
      const before = key ? byKey.get(key) : undefined;
      reply = route === 'create' ? createIntent(body, key, typeof body?.order_ref === 'string' ? ((await opts.behaviourFor?.(body.order_ref)) as IntlPayBehaviour | undefined) : undefined) : refund(body, key);
      repeated = before !== undefined && reply === before;
    } else if (route === 'get') {
      const pi = intents.get(id!);
      reply = pi ? { status: 200, outcome: 'ok', reference: pi.id, body: view(pi) } : err(404, 'resource_missing', `no payment intent ${id}`, 'id');
    } else reply = payouts(url.searchParams.get('date'));

    const pi = route === 'get' ? intents.get(id!) : route === 'refund' && typeof body?.payment_intent === 'string' ? intents.get(body.payment_intent) : undefined;
    const input: Record<string, unknown> = route === 'get' ? { id } : route === 'payouts' ? { date: url.searchParams.get('date') } : { ...(body ?? {}) };
    const orderId = headerOrder ?? (typeof body?.order_ref === 'string' ? body.order_ref : pi?.order_ref);
    const fresh = await recordAndAnswer({ recorder, simulator: INTL_PAY_PROVIDER, req, res, path: p, key, orderId, input, delayMs }, reply, repeated);
    if (route === 'create' && fresh && reply !== 'hold') {
      const created = intents.get(reply.reference!);
      if (created) tasks.after(payDelayMs, () => settle(created));
    }
  };

  const served = await serveSimulator(opts, answer);
  origin = served.origin;
  return {
    name: INTL_PAY_PROVIDER,
    url: `${origin}${INTL_PAY_BASE}`,
    requests: recorder.requests,
    callbacks: sender.attempts,
    setDelay: (ms) => void (delayMs = ms),
    setBehaviour: (b) => {
      checkCapturedDaysAgo(b as unknown as Record<string, unknown>);
      control.set(b);
    },
    reset: () => control.reset(),
    idle: () => tasks.idle(),
    close: () => served.close(tasks),
  };
}
