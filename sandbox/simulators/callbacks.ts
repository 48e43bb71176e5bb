/**
 * What the payment and postal simulators share: signed callbacks to the hub, timers that a close
 * cancels, and the behaviour control (`POST <base>/__sim/behaviour`, `POST <base>/__sim/reset`).
 *
 * Callbacks: the JSON body is serialised once and POSTed as those exact bytes with the headers of
 * hub/callbacks/signature.ts `signCallback` (signed again at each attempt, so a retry carries a
 * fresh timestamp). The scheme and the secret are the provider's own, read from its provider.json
 * `callbacks` section: the variable it names (`secretEnv`) when set, else its `sandboxSecret`, so
 * the hub and the simulator share one value. A non-2xx answer or a connection error is retried
 * (3 attempts in all, after 200 ms then 1 s by default); every attempt is kept in `callbacks`.
 * An unreachable callback URL is only recorded: nothing is thrown.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { signCallback, type SignatureScheme } from '../../hub/callbacks/signature';
import { closeServer, listen, Recorder, type RunningSimulator, type SimulatorOptions } from './recorder';

/** One attempt at delivering one callback. */
export interface CallbackAttempt {
  url: string;
  /** The event as sent (parsed back from the exact bytes). */
  body: Record<string, unknown>;
  /** The event's id (eventId, or id for intl-pay): the same on every attempt and every repeat. */
  eventId: string;
  /** 1, 2, 3 for the retries of one delivery (a `twice` repeat starts again at 1). */
  attempt: number;
  /** The HTTP status answered; 0 when there was no answer (connection refused, timeout). */
  status: number;
  /** Why there was no answer. */
  error?: string;
  at: string;
}

/** What a simulator that calls back adds to RunningSimulator. */
export interface CallbackSimulator<B> extends RunningSimulator {
  /** Every callback attempt, in the order they finished. */
  callbacks: CallbackAttempt[];
  /** The behaviour of the next `count` (default: all following) payments or shipments. */
  setBehaviour(b: B): void;
  /** Back to the default behaviour. */
  reset(): void;
  /** Resolves when no status change or callback is waiting any more (tests). */
  idle(): Promise<void>;
}

/** Options of the simulators that call back. */
export interface CallbackSimulatorOptions extends SimulatorOptions {
  /** Waits between attempts of a callback that failed; its length + 1 is the number of attempts. Default [200, 1000]. */
  callbackRetryDelaysMs?: number[];
  /** Time allowed for one callback attempt. Default 5000 ms. */
  callbackTimeoutMs?: number;
  /** The signing secret, instead of the provider's secretEnv / sandboxSecret. */
  callbackSecret?: string;
  /** Refuse a request without credentials (401). Default false: the hub sends none in the sandbox (no security in provider.json). */
  requireAuth?: boolean;
  /**
   * The behaviour for one order's payment or shipment, by the order reference it carries (the
   * sandbox runner's scenarios); undefined: the behaviour control's. May wait for the order to be
   * registered.
   */
  behaviourFor?: (orderRef: string) => Promise<{ mode: string; lateMs?: number; paidAmount?: number } | undefined>;
}

const PROVIDERS_ROOT = path.resolve(__dirname, '..', '..', 'contracts', 'providers');

/** The callback scheme and secret of a provider, from its provider.json (as the hub reads them). */
export function providerCallbackConfig(code: string, env: NodeJS.ProcessEnv = process.env, root = PROVIDERS_ROOT): { scheme: SignatureScheme; secret: string; toleranceSeconds: number } {
  const def = JSON.parse(readFileSync(path.join(root, code, 'provider.json'), 'utf8')) as {
    callbacks?: { signature: { scheme: 't-v1' | 'sha256-hex'; header: string; timestampHeader?: string }; secretEnv: string; sandboxSecret?: string; toleranceSeconds?: number };
  };
  const cb = def.callbacks;
  if (!cb) throw new Error(`provider ${code} has no callbacks section`);
  const sig = cb.signature;
  const scheme: SignatureScheme = sig.scheme === 't-v1' ? { kind: 't-v1', header: sig.header } : { kind: 'sha256-hex', header: sig.header, timestampHeader: sig.timestampHeader ?? '' };
  const secret = env[cb.secretEnv] || cb.sandboxSecret;
  if (!secret) throw new Error(`provider ${code}: set ${cb.secretEnv} (its provider.json has no sandboxSecret)`);
  return { scheme, secret, toleranceSeconds: cb.toleranceSeconds ?? 300 };
}

/** Timers and work a close cancels; `idle()` waits for what is still to run. */
export class Tasks {
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private closed = false;
  readonly abort = (() => {
    const c = new AbortController();
    // Every callback in flight listens to it: dozens at once under load is expected, not a leak.
    setMaxListeners(0, c.signal);
    return c;
  })();

  /** Runs `fn` after `ms` (never after close). Errors are swallowed: a simulator must not crash. */
  after(ms: number, fn: () => unknown): void {
    if (this.closed) return;
    let done!: () => void;
    const p = new Promise<void>((resolve) => (done = resolve));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      Promise.resolve()
        .then(() => (this.closed ? undefined : fn()))
        .catch(() => undefined)
        .finally(done);
    }, ms);
    this.timers.set(timer, done);
    this.track(p);
  }

  track(p: Promise<unknown>): void {
    const q = p.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  close(): void {
    this.closed = true;
    for (const [timer, done] of this.timers) {
      clearTimeout(timer);
      done();
    }
    this.timers.clear();
    this.abort.abort();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

export class CallbackSender {
  readonly attempts: CallbackAttempt[] = [];
  private readonly retryDelays: number[];
  private readonly timeoutMs: number;

  constructor(
    private readonly scheme: SignatureScheme,
    private readonly secret: string,
    private readonly tasks: Tasks,
    opts: { retryDelaysMs?: number[]; timeoutMs?: number } = {},
  ) {
    this.retryDelays = opts.retryDelaysMs ?? [200, 1000];
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  /**
   * Delivers `event` to `url` (retrying), `times` times in a row with the same bytes (a provider
   * that sends a callback twice). Runs in the background; `tasks.idle()` waits for it.
   */
  send(url: string, event: Record<string, unknown>, times = 1): void {
    const raw = JSON.stringify(event);
    const eventId = String(event.eventId ?? event.id ?? '');
    this.tasks.track(
      (async () => {
        for (let n = 0; n < times && !this.tasks.isClosed; n++) await this.deliver(url, raw, eventId);
      })(),
    );
  }

  private async deliver(url: string, raw: string, eventId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.tasks.isClosed) return;
      const headers = signCallback(this.scheme, this.secret, raw);
      const r = await post(url, raw, headers, this.timeoutMs, this.tasks.abort.signal);
      if (this.tasks.isClosed) return;
      this.attempts.push({ url, body: JSON.parse(raw) as Record<string, unknown>, eventId, attempt, status: r.status, ...(r.error ? { error: r.error } : {}), at: new Date().toISOString() });
      if (r.status >= 200 && r.status < 300) return;
      const wait = this.retryDelays[attempt - 1];
      if (wait === undefined) return;
      await new Promise<void>((resolve) => {
        const signal = this.tasks.abort.signal;
        const stop = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          signal.removeEventListener('abort', stop);
          resolve();
        }, wait);
        signal.addEventListener('abort', stop, { once: true });
      });
    }
  }
}

function post(url: string, body: string, signature: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: { status: number; error?: string }) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    let u: URL;
    try {
      u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      finish({ status: 0, error: 'invalid-url' });
      return;
    }
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, {
      method: 'POST',
      agent: false,
      signal,
      headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'user-agent': 'wasl-sandbox-simulator', ...signature },
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => finish({ status: res.statusCode ?? 0 }));
      res.on('error', () => finish({ status: res.statusCode ?? 0 }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ status: 0, error: err.code ?? err.message }));
    req.end(body);
  });
}

/** The behaviour asked through the control endpoint or setBehaviour. */
export interface Behaviour<M extends string> {
  mode: M;
  /** How many of the next payments/shipments it applies to; absent: all following, until reset. */
  count?: number;
  /** `late`: how long after the payment the callback is sent. Default 5000 ms. */
  lateMs?: number;
  /**
   * `wrong-amount`: what the payer is taken for instead of the invoice's amount (pounds, or cents
   * abroad; default 1, an under-payment; more than the invoice, an over-payment). The callback, the
   * status and the settlement all report it — the attack of issue 19 (item 8), which the hub must
   * not count as the fee.
   */
  paidAmount?: number;
}

/** The behaviour of the next payments or shipments: one is taken for each new one. */
export class BehaviourControl<M extends string, B extends Behaviour<M> = Behaviour<M>> {
  private current?: { b: B; left: number | undefined };

  constructor(
    readonly modes: readonly M[],
    private readonly fallback: M,
  ) {}

  set(b: B): void {
    this.check(b);
    this.current = { b: { ...b }, left: b.count };
  }

  reset(): void {
    this.current = undefined;
  }

  /** The behaviour now in force (for GET …/__sim/behaviour). */
  peek(): (Omit<B, 'count'> & { remaining?: number }) | { mode: M } {
    if (!this.current) return { mode: this.fallback };
    const { count: _count, ...rest } = this.current.b;
    return { ...rest, ...(this.current.left !== undefined ? { remaining: this.current.left } : {}) };
  }

  /** The behaviour for one new payment or shipment (uses up one of `count`). */
  take(): B | { mode: M } {
    const c = this.current;
    if (!c) return { mode: this.fallback };
    if (c.left !== undefined) {
      c.left -= 1;
      if (c.left <= 0) this.current = undefined;
    }
    return c.b;
  }

  check(b: unknown): asserts b is B {
    const o = b as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TypeError('the behaviour is a JSON object {"mode": …}');
    if (!this.modes.includes(o.mode as M)) throw new TypeError(`mode must be one of ${this.modes.join(', ')}`);
    if (o.count !== undefined && (!Number.isInteger(o.count) || (o.count as number) < 1)) throw new TypeError('count must be a positive integer');
    if (o.lateMs !== undefined && (!Number.isInteger(o.lateMs) || (o.lateMs as number) < 0)) throw new TypeError('lateMs must be a non-negative integer');
    if (o.paidAmount !== undefined && (!Number.isInteger(o.paidAmount) || (o.paidAmount as number) < 1)) throw new TypeError('paidAmount must be a positive integer');
  }
}

/**
 * Serves `<base>/__sim/behaviour` (GET: the behaviour in force; POST: set it) and
 * `<base>/__sim/reset` (POST). Returns false when the request is not for the control endpoint.
 */
export async function handleControl<M extends string>(req: IncomingMessage, res: ServerResponse, pathname: string, base: string, control: BehaviourControl<M>, extraCheck?: (b: Record<string, unknown>) => void): Promise<boolean> {
  if (!pathname.startsWith(`${base}/__sim/`)) return false;
  const what = pathname.slice(base.length + '/__sim/'.length);
  if (what === 'behaviour' && req.method === 'GET') {
    sendJson(res, 200, control.peek());
  } else if (what === 'behaviour' && req.method === 'POST') {
    let b: unknown;
    try {
      b = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      control.check(b);
      extraCheck?.(b as unknown as Record<string, unknown>);
    } catch (err) {
      sendJson(res, 400, { code: 'INVALID_BEHAVIOUR', message: (err as Error).message, modes: control.modes });
      return true;
    }
    control.set(b);
    sendJson(res, 200, control.peek());
  } else if (what === 'reset' && req.method === 'POST') {
    control.reset();
    sendJson(res, 200, control.peek());
  } else sendJson(res, 404, { code: 'NOT_FOUND' });
  return true;
}

const MAX_BODY = 256 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new RangeError('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The request body as a JSON object, or undefined when it is not one. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  try {
    const v = JSON.parse((await readBody(req)).toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(html);
}

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A small bilingual page (the payment page of the payment simulators). */
export function page(titleAr: string, titleEn: string, rows: Array<[string, string, string]>, noteAr: string, noteEn: string): string {
  const tr = rows.map(([ar, en, v]) => `<tr><th>${escapeHtml(ar)}<br><small>${escapeHtml(en)}</small></th><td dir="ltr">${escapeHtml(v)}</td></tr>`).join('');
  return `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>${escapeHtml(titleAr)} — ${escapeHtml(titleEn)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}th{text-align:start;padding:.3rem 1rem .3rem 0}small{color:#666;font-weight:normal}p{color:#444}</style></head>
<body><h1>${escapeHtml(titleAr)}</h1><h2 lang="en" dir="ltr">${escapeHtml(titleEn)}</h2><table>${tr}</table>
<p>${escapeHtml(noteAr)}</p><p lang="en" dir="ltr">${escapeHtml(noteEn)}</p></body></html>`;
}

/** Whether a string is an absolute http(s) URL. */
export function isHttpUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** RFC 3339 date-time (as JSON Schema's format). */
export function isDateTime(v: unknown): v is string {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(v) && !Number.isNaN(Date.parse(v));
}

/** YYYY-MM-DD that is a real day. */
export function isDate(v: unknown): v is string {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
}

/** A random id: `prefix` + `bytes` random bytes in hex (upper case when `upper`). */
export function randomId(prefix: string, bytes: number, upper = true): string {
  const hex = randomBytes(bytes).toString('hex');
  return prefix + (upper ? hex.toUpperCase() : hex);
}

/** The payment simulators' modes (sy-epay, intl-pay). */
export const PAYMENT_MODES = ['approve', 'decline', 'timeout', 'late', 'twice', 'never', 'expire', 'wrong-amount'] as const;
export type PaymentMode = (typeof PAYMENT_MODES)[number];
/** The postal simulator's modes (sy-post). */
export const POSTAL_MODES = ['deliver', 'return', 'never', 'twice'] as const;
export type PostalMode = (typeof POSTAL_MODES)[number];
/** `late` callbacks come this long after the payment, unless lateMs says otherwise. */
export const DEFAULT_LATE_MS = 5000;
/** What `wrong-amount` takes, unless paidAmount says otherwise: one pound, or one cent. */
export const DEFAULT_WRONG_AMOUNT = 1;

/** The credentials of a request: `missing` (none), `empty` (sent but blank) or `ok`. */
export function credentialState(value: string | string[] | undefined, prefix = ''): 'missing' | 'empty' | 'ok' {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return 'missing';
  if (prefix) {
    if (!v.toLowerCase().startsWith(prefix.toLowerCase())) return 'empty';
    return v.slice(prefix.length).trim() ? 'ok' : 'empty';
  }
  return v.trim() ? 'ok' : 'empty';
}

/** What each calling-back simulator starts with: its record, its timers and its signed sender. */
export function callbackKit(provider: string, opts: CallbackSimulatorOptions): { recorder: Recorder; tasks: Tasks; sender: CallbackSender } {
  const cfg = providerCallbackConfig(provider);
  const tasks = new Tasks();
  const sender = new CallbackSender(cfg.scheme, opts.callbackSecret ?? cfg.secret, tasks, {
    ...(opts.callbackRetryDelaysMs ? { retryDelaysMs: opts.callbackRetryDelaysMs } : {}),
    ...(opts.callbackTimeoutMs ? { timeoutMs: opts.callbackTimeoutMs } : {}),
  });
  return { recorder: new Recorder(opts.recordFile), tasks, sender };
}

/** Serves `answer` on the simulator's host and port; a handler that throws answers 500. */
export async function serveSimulator(opts: SimulatorOptions, answer: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; origin: string; close: (tasks: Tasks) => Promise<void> }> {
  const server = createServer((req, res) => {
    answer(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, opts.port, host);
  return {
    server,
    origin: `http://${host}:${port}`,
    close: async (tasks) => {
      tasks.close();
      await closeServer(server);
    },
  };
}

/** An answer a simulator gives, or 'hold' for none (`timeout`). */
export interface SimReply {
  status: number;
  body: unknown;
  outcome: string;
  reference?: string;
}

/**
 * Records the request, then answers it after the simulator's delay (nothing for 'hold': the client
 * gives up). Resolves true when a fresh 201 was sent: the moment to start what follows it.
 */
export async function recordAndAnswer(
  r: { recorder: Recorder; simulator: string; req: IncomingMessage; res: ServerResponse; path: string; key?: string; orderId?: string; input: Record<string, unknown>; delayMs: number },
  reply: SimReply | 'hold',
  repeated: boolean,
): Promise<boolean> {
  const outcome = reply === 'hold' ? 'timeout' : reply.outcome;
  const reference = reply === 'hold' ? undefined : reply.reference;
  r.recorder.add({ simulator: r.simulator, at: new Date().toISOString(), method: r.req.method ?? 'GET', path: r.path, idempotencyKey: r.key, orderId: r.orderId, input: r.input, outcome, ...(reference ? { reference } : {}), repeated });
  if (reply === 'hold') return false;
  if (r.delayMs > 0) await new Promise((done) => setTimeout(done, r.delayMs));
  sendJson(r.res, reply.status, reply.body, repeated ? { 'idempotent-replayed': 'true' } : {});
  return reply.status === 201 && !repeated;
}
