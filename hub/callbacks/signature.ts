/**
 * Signed provider callbacks (payment and postal providers calling the hub back). A callback is
 * trusted only when its HMAC-SHA256 over the raw body — exactly the bytes received, before any
 * JSON parsing — and a timestamp matches the provider's shared secret, and the timestamp is
 * within the tolerance of now (a captured callback cannot be replayed later; one replayed
 * within the window is refused by its event id, hub/callbacks/). Two header layouts, as the
 * providers differ:
 *   t-v1        one header, `t=<unix seconds>,v1=<hex>` (several v1= accepted, for secret rotation)
 *   sha256-hex  `sha256=<hex>` in one header, the unix timestamp in another
 * In both, the signed text is `<timestamp>.<raw body>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureScheme = { kind: 't-v1'; header: string } | { kind: 'sha256-hex'; header: string; timestampHeader: string };

export type SignatureFailure = 'missing-signature' | 'malformed-signature' | 'stale-timestamp' | 'bad-signature';

export type Verification = { ok: true; timestamp: number } | { ok: false; reason: SignatureFailure };

export const DEFAULT_TOLERANCE_S = 300;

function mac(secret: string, timestamp: number, body: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** The headers a provider sends with `body` (the simulators use this; so may tests). */
export function signCallback(scheme: SignatureScheme, secret: string, body: Buffer | string, nowS = Math.floor(Date.now() / 1000)): Record<string, string> {
  const hex = mac(secret, nowS, body).toString('hex');
  if (scheme.kind === 't-v1') return { [scheme.header.toLowerCase()]: `t=${nowS},v1=${hex}` };
  return { [scheme.header.toLowerCase()]: `sha256=${hex}`, [scheme.timestampHeader.toLowerCase()]: String(nowS) };
}

type Headers = Record<string, string | string[] | undefined>;

const one = (headers: Headers, name: string): string | undefined => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

function parse(scheme: SignatureScheme, headers: Headers): { timestamp: number; signatures: string[] } | SignatureFailure {
  const raw = one(headers, scheme.header);
  if (!raw) return 'missing-signature';
  let ts: string | undefined;
  const signatures: string[] = [];
  if (scheme.kind === 't-v1') {
    for (const part of raw.split(',')) {
      const eq = part.indexOf('=');
      const k = part.slice(0, eq).trim();
      const v = part.slice(eq + 1).trim();
      if (k === 't') ts = v;
      else if (k === 'v1') signatures.push(v);
    }
  } else {
    ts = one(headers, scheme.timestampHeader);
    if (raw.startsWith('sha256=')) signatures.push(raw.slice(7).trim());
  }
  if (!ts || !/^\d{1,12}$/.test(ts) || signatures.length === 0 || signatures.some((s) => !/^[0-9a-f]{64}$/i.test(s))) return 'malformed-signature';
  return { timestamp: Number(ts), signatures };
}

export function verifyCallback(scheme: SignatureScheme, secret: string, body: Buffer | string, headers: Headers, opts: { toleranceS?: number; nowS?: number } = {}): Verification {
  const parsed = parse(scheme, headers);
  if (typeof parsed === 'string') return { ok: false, reason: parsed };
  const now = opts.nowS ?? Math.floor(Date.now() / 1000);
  // Checked before the MAC, and still safe: the timestamp is inside what the MAC covers.
  if (Math.abs(now - parsed.timestamp) > (opts.toleranceS ?? DEFAULT_TOLERANCE_S)) return { ok: false, reason: 'stale-timestamp' };
  const expected = mac(secret, parsed.timestamp, body);
  const match = parsed.signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  return match ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: 'bad-signature' };
}
