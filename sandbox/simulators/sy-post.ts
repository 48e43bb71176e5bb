/**
 * Simulator of Syrian Post's shipments API (REST, OpenAPI 3.1, sandbox/contracts/sy-post.openapi.json):
 *   POST /post/api/shipments                   CreateShipment (Idempotency-Key)
 *   GET  /post/api/shipments/{trackingNumber}  GetShipment
 * and the behaviour control (./callbacks.ts): POST /post/api/__sim/behaviour, POST /post/api/__sim/reset.
 *
 * Tracking numbers are UPU S10: RR + 8 digits + check digit + SY. Domestic shipments are
 * accepted only for the governorates in POST_COVERAGE (422 OUT_OF_COVERAGE otherwise). Every
 * shipment goes in-transit `postDelayMs` after it was registered and is delivered `postDelayMs`
 * later; each change is posted to its callbackUrl, signed with the provider's callback secret
 * (contracts/providers/sy-post/provider.json). Other behaviours (return, never, twice) are set
 * through the control endpoint: sandbox/README.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomInt } from 'node:crypto';
import {
  BehaviourControl,
  callbackKit,
  recordAndAnswer,
  serveSimulator,
  credentialState,
  handleControl,
  isHttpUrl,
  POSTAL_MODES,
  randomId,
  readJsonObject,
  sendJson,
  type Behaviour,
  type CallbackSimulator,
  type CallbackSimulatorOptions,
  type PostalMode,
} from './callbacks';

export const POST_BASE = '/post/api';
export const POST_DEFAULT_PORT = 8095;
export const POST_DELAY_MS = 300;
export const POST_PROVIDER = 'sy-post';
/** The governorates the post delivers to at home (domestic service); the others are refused with OUT_OF_COVERAGE. */
export const POST_COVERAGE: readonly string[] = Object.freeze(['damascus', 'latakia', 'rif-dimashq']);

export type PostBehaviour = Behaviour<PostalMode>;
export type PostSimulator = CallbackSimulator<PostBehaviour>;
export interface PostOptions extends CallbackSimulatorOptions {
  /** Time from registration to in-transit, and from in-transit to delivered (or returned). Default 300 ms. */
  postDelayMs?: number;
}

type Status = 'created' | 'in-transit' | 'delivered' | 'returned';

interface Shipment {
  trackingNumber: string;
  reference: string;
  service: 'domestic' | 'international';
  callbackUrl: string;
  destination: string;
  status: Status;
  events: Array<{ status: Status; at: string; location: string }>;
  behaviour: PostBehaviour | { mode: PostalMode };
}

interface Reply {
  status: number;
  body: unknown;
  outcome: string;
  reference?: string;
  fingerprint?: string;
}

const SHIPMENT = /^\/post\/api\/shipments\/([^/]+)$/;
const SORTING_CENTRE = 'دمشق — مركز الفرز الرئيسي (Damascus main sorting centre)';
const EXCHANGE_OFFICE = 'دمشق — مكتب التبادل الدولي (Damascus international exchange office)';

/** The UPU S10 check digit of 8 serial digits. */
export function s10CheckDigit(serial: string): number {
  if (!/^[0-9]{8}$/.test(serial)) throw new TypeError('an S10 serial number is 8 digits');
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  const sum = [...serial].reduce((s, d, i) => s + Number(d) * weights[i]!, 0);
  const c = 11 - (sum % 11);
  return c === 10 ? 0 : c === 11 ? 5 : c;
}

/** Whether a tracking number is a well-formed S10 number with the right check digit. */
export function isS10(trackingNumber: string): boolean {
  const m = /^[A-Z]{2}([0-9]{8})([0-9])[A-Z]{2}$/.exec(trackingNumber);
  return !!m && s10CheckDigit(m[1]!) === Number(m[2]);
}

/** Postage in SYP: a base and a price per started 500 g. */
export function postalFee(service: 'domestic' | 'international', weightGrams: number): number {
  const steps = Math.max(1, Math.ceil(weightGrams / 500));
  return service === 'domestic' ? 2000 + 1000 * steps : 15000 + 7500 * steps;
}

const err = (status: number, code: string, message: string): Reply => ({ status, outcome: code, body: { code, message } });
const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length >= 1 && v.length <= max;

export async function startPost(opts: PostOptions): Promise<PostSimulator> {
  const { recorder, tasks, sender } = callbackKit(POST_PROVIDER, opts);
  let delayMs = opts.delayMs ?? 0;
  const postDelayMs = opts.postDelayMs ?? POST_DELAY_MS;
  const control = new BehaviourControl<PostalMode>(POSTAL_MODES, 'deliver');
  const shipments = new Map<string, Shipment>();
  const byKey = new Map<string, Reply>();

  const newTrackingNumber = () => {
    for (;;) {
      const serial = String(randomInt(0, 100_000_000)).padStart(8, '0');
      const tn = `RR${serial}${s10CheckDigit(serial)}SY`;
      if (!shipments.has(tn)) return tn;
    }
  };

  const view = (s: Shipment) => ({ trackingNumber: s.trackingNumber, reference: s.reference, status: s.status, events: s.events.map((e) => ({ ...e })) });

  /** One step of the shipment's journey, and its callback (as the behaviour says). */
  const step = (s: Shipment, status: Status, location: string) => {
    const at = new Date().toISOString();
    s.status = status;
    s.events.push({ status, at, location });
    if (s.behaviour.mode === 'never') return;
    const ev = { eventId: randomId('EV-', 8), trackingNumber: s.trackingNumber, reference: s.reference, status, at, location };
    sender.send(s.callbackUrl, ev, s.behaviour.mode === 'twice' ? 2 : 1);
  };

  const journey = (s: Shipment) => {
    tasks.after(postDelayMs, () => {
      step(s, 'in-transit', s.service === 'international' ? EXCHANGE_OFFICE : SORTING_CENTRE);
      tasks.after(postDelayMs, () => {
        if (s.behaviour.mode === 'return') step(s, 'returned', `${SORTING_CENTRE} — أعيدت إلى المرسل (returned to sender)`);
        else step(s, 'delivered', s.destination);
      });
    });
  };

  const create = (body: Record<string, unknown> | undefined, key: string | undefined, scripted?: PostBehaviour): Reply => {
    if (!body) return err(400, 'INVALID_REQUEST', 'the body must be a JSON object');
    const { reference, service, recipient, address, contents, weightGrams, callbackUrl } = body;
    if (!str(reference, 64)) return err(400, 'INVALID_REQUEST', 'reference must be a string of 1 to 64 characters');
    if (service !== 'domestic' && service !== 'international') return err(400, 'INVALID_REQUEST', 'service must be domestic or international');
    const r = recipient as Record<string, unknown> | undefined;
    if (typeof r !== 'object' || r === null || !str(r.name, 120)) return err(400, 'INVALID_REQUEST', 'recipient.name is required');
    const a = address as Record<string, unknown> | undefined;
    if (typeof a !== 'object' || a === null || !str(a.line, 300)) return err(400, 'INVALID_REQUEST', 'address.line is required');
    if (!str(contents, 200)) return err(400, 'INVALID_REQUEST', 'contents must be a string of 1 to 200 characters');
    if (!Number.isInteger(weightGrams) || (weightGrams as number) < 1 || (weightGrams as number) > 30000) return err(400, 'INVALID_REQUEST', 'weightGrams must be an integer from 1 to 30000');
    if (!isHttpUrl(callbackUrl)) return err(400, 'INVALID_REQUEST', 'callbackUrl must be an http(s) URL');
    let destination: string;
    if (service === 'domestic') {
      if (!str(a.governorate, 40)) return err(400, 'INVALID_REQUEST', 'address.governorate is required for a domestic shipment');
      if (!POST_COVERAGE.includes(a.governorate)) return err(422, 'OUT_OF_COVERAGE', `the post does not deliver to ${a.governorate} (it covers ${POST_COVERAGE.join(', ')})`);
      destination = typeof a.city === 'string' && a.city ? `${a.city}, ${a.governorate}` : a.governorate;
    } else {
      if (typeof a.country !== 'string' || !/^[A-Z]{2}$/.test(a.country)) return err(400, 'INVALID_REQUEST', 'address.country (ISO 3166-1 alpha-2) is required for an international shipment');
      destination = typeof a.city === 'string' && a.city ? `${a.city}, ${a.country}` : a.country;
    }
    const fingerprint = JSON.stringify([reference, service, weightGrams]);
    const previous = key ? byKey.get(key) : undefined;
    if (previous) return previous.fingerprint === fingerprint ? previous : err(409, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another shipment');
    const trackingNumber = newTrackingNumber();
    const s: Shipment = {
      trackingNumber,
      reference,
      service,
      callbackUrl,
      destination,
      status: 'created',
      events: [{ status: 'created', at: new Date().toISOString(), location: service === 'international' ? EXCHANGE_OFFICE : SORTING_CENTRE }],
      behaviour: scripted ?? control.take(),
    };
    shipments.set(trackingNumber, s);
    const reply: Reply = { status: 201, outcome: 'ok', reference: trackingNumber, fingerprint, body: { trackingNumber, status: 'created', fee: postalFee(service, weightGrams as number), currency: 'SYP' } };
    if (key) byKey.set(key, reply);
    return reply;
  };

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const p = url.pathname;
    if (req.method !== 'POST') req.resume();
    if (await handleControl(req, res, p, POST_BASE, control)) return;

    const key = (req.headers['idempotency-key'] as string | undefined) || undefined;
    const headerOrder = req.headers['x-wasl-order-id'] as string | undefined;
    let route: 'create' | 'get' | undefined;
    let m: RegExpExecArray | null = null;
    if (p === `${POST_BASE}/shipments` && req.method === 'POST') route = 'create';
    else if ((m = SHIPMENT.exec(p)) && req.method === 'GET') route = 'get';
    if (!route) {
      req.resume();
      return sendJson(res, 404, { code: 'NOT_FOUND', message: `no route ${req.method} ${p}` });
    }
    const body = route === 'create' ? await readJsonObject(req) : undefined;
    const tn = m ? decodeURIComponent(m[1]!) : undefined;
    const found = tn ? shipments.get(tn) : undefined;
    let reply: Reply;
    let repeated = false;
    const auth = credentialState(req.headers['x-post-key']);
    if (auth === 'empty' || (auth === 'missing' && opts.requireAuth)) reply = err(401, 'UNAUTHORIZED', 'a valid X-Post-Key header is required');
    else if (route === 'create') {
      const before = key ? byKey.get(key) : undefined;
      reply = create(body, key, typeof body?.reference === 'string' ? ((await opts.behaviourFor?.(body.reference)) as PostBehaviour | undefined) : undefined);
      repeated = before !== undefined && reply === before;
    } else reply = found ? { status: 200, outcome: 'ok', reference: found.trackingNumber, body: view(found) } : err(404, 'SHIPMENT_NOT_FOUND', `no shipment ${tn}`);

    const orderId = headerOrder ?? (typeof body?.reference === 'string' ? body.reference : found?.reference);
    const input = route === 'get' ? { trackingNumber: tn } : { ...(body ?? {}) };
    const fresh = await recordAndAnswer({ recorder, simulator: POST_PROVIDER, req, res, path: p, key, orderId, input, delayMs }, reply, repeated);
    if (route === 'create' && fresh) {
      const created = shipments.get(reply.reference!);
      if (created) journey(created);
    }
  };

  const served = await serveSimulator(opts, answer);
  return {
    name: POST_PROVIDER,
    url: `${served.origin}${POST_BASE}`,
    requests: recorder.requests,
    callbacks: sender.attempts,
    setDelay: (ms) => void (delayMs = ms),
    setBehaviour: (b) => control.set(b),
    reset: () => control.reset(),
    idle: () => tasks.idle(),
    close: () => served.close(tasks),
  };
}
