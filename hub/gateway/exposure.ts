/**
 * What the hub answers, and to whom, before any route runs. Three attacks by a web page open in
 * an engineer's browser, or a host on the same network, shaped these rules:
 *
 * - **DNS rebinding**: a page on evil.example re-points its name at 127.0.0.1 and, being then
 *   "same-origin", drives the sandbox's open editor. Every request must name the hub in its
 *   `Host`: a loopback name, the public URL's host, or one of WASL_ALLOWED_HOSTS; anything else
 *   gets a 421. Only the probes machines make by address are exempt (`/health`, `/ready`,
 *   `/metrics`): they change nothing and show nothing of a citizen.
 * - **Cross-site requests**: browsers send `Origin` (and `Sec-Fetch-Site`) with requests that
 *   change something; one from another site or origin is refused before it reaches a route, so
 *   a page cannot deploy a flow or replay a dead letter with an operator's remembered Basic login.
 *   Channels, providers' callbacks (signed, and exempt) and command-line tools send no `Origin`.
 *   The editor's WebSocket (Node-RED's comms, which no HTTP hook sees) gets the same two checks
 *   at its upgrade.
 * - **Framing** (clickjacking): every answer says it may not be framed, and Node-RED's permissive
 *   CORS headers (`Access-Control-Allow-Origin: *`, hard-wired in its admin API) are removed.
 */
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { isIPv4 } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WaslError } from '../errors';

/** Headers every answer carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Paths machines probe by address: no Host check. */
const HOST_EXEMPT = new Set(['/health', '/ready', '/metrics']);
/** Requests authenticated by a provider's signature, which no browser holds: no Origin check. */
const ORIGIN_EXEMPT = /^\/v1\/callbacks\//;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host name of a Host header or URL authority, lower case, without port, brackets or trailing dot. */
export function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  const name = a.startsWith('[') ? a.slice(1, a.indexOf(']') > 0 ? a.indexOf(']') : undefined) : a.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || (isIPv4(name) && name.startsWith('127.'));
}

/** Whether `address` (a bind address) is reachable from this machine only. */
export function isLoopbackAddress(address: string): boolean {
  return isLoopbackName(hostName(address)) || address === '::ffff:127.0.0.1';
}

export class Exposure {
  private readonly names: ReadonlySet<string>;

  /** The names a configuration gives the hub: its public URL's host and WASL_ALLOWED_HOSTS. */
  static forConfig(config: { publicUrl?: string; allowedHosts?: readonly string[] }): Exposure {
    return new Exposure([...(config.publicUrl ? [new URL(config.publicUrl).host] : []), ...(config.allowedHosts ?? [])]);
  }

  /** `names`: the host names besides loopback ones that the hub answers to. */
  constructor(names: readonly string[]) {
    this.names = new Set(names.map(hostName));
  }

  hostAllowed(host: string | undefined): boolean {
    if (!host) return false;
    const name = hostName(host);
    return isLoopbackName(name) || this.names.has(name);
  }

  /** Why a request from a browser must not change anything here, or undefined when it may. */
  crossOrigin(method: string, headers: IncomingHttpHeaders): string | undefined {
    if (SAFE_METHODS.has(method)) return undefined;
    const site = headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site: ${site}`;
    const origin = headers.origin;
    if (origin === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return 'an Origin that is no URL';
    }
    if (origin === 'null' || !headers.host || authority(u) !== withDefaultPort(headers.host, u.protocol)) return 'another origin';
    return undefined;
  }

  /** The gateway's first onRequest hook. */
  readonly hook = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // Set on the raw response so that answers handed to Node-RED's Express carry them too.
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(k, v);
    const path = request.url.split('?')[0]!;
    if (!HOST_EXEMPT.has(path) && !this.hostAllowed(request.headers.host)) {
      throw new WaslError('host-not-allowed', {
        detail: 'This hub answers to its own names only: call it by a loopback name or its public name (WASL_PUBLIC_URL, WASL_ALLOWED_HOSTS).',
        detailAr: 'لا تجيب المنصة إلا على أسمائها: اطلبها باسم محلي أو باسمها العام (WASL_PUBLIC_URL، WASL_ALLOWED_HOSTS).',
      });
    }
    if (!ORIGIN_EXEMPT.test(path)) {
      const why = this.crossOrigin(request.method, request.headers);
      if (why) throw new WaslError('cross-origin-refused', { detail: `Refused: ${why}.`, detailAr: 'رُفض الطلب: مصدره موقع آخر.' });
    }
  };

  /**
   * Applies the Host and Origin checks to WebSocket upgrades (the editor's comms), ahead of every
   * listener the server has now: call it once they are all registered.
   */
  guardUpgrades(server: Server): () => void {
    const listeners = server.listeners('upgrade') as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
    server.removeAllListeners('upgrade');
    const guarded = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // A WebSocket is opened with GET: its Origin is checked as a request that changes something.
      if (!this.hostAllowed(req.headers.host) || this.crossOrigin('POST', req.headers)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        socket.destroy();
        return;
      }
      for (const l of listeners) l.call(server, req, socket, head);
    };
    server.on('upgrade', guarded);
    return () => {
      server.removeListener('upgrade', guarded);
      for (const l of listeners) server.on('upgrade', l);
    };
  }
}

function authority(u: URL): string {
  return `${u.hostname.toLowerCase()}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

function withDefaultPort(host: string, protocol: string): string {
  const h = host.trim().toLowerCase();
  const hasPort = h.startsWith('[') ? /\]:\d+$/.test(h) : /:\d+$/.test(h);
  return hasPort ? h : `${h}:${protocol === 'https:' ? '443' : '80'}`;
}

/**
 * Refuses to open the sandbox beyond this machine without operators: with none, the flows editor
 * (which runs code as the hub's user) is open to whoever reaches it. Outside loopback the hub must
 * also know the names it is called by, or it would refuse every request (421).
 */
export function bindProblem(config: { env: string; host: string; operators?: readonly unknown[]; publicUrl?: string; allowedHosts?: readonly string[] }): string | undefined {
  if (isLoopbackAddress(config.host)) return undefined;
  if (config.env === 'sandbox' && !config.operators?.length) {
    return (
      `The sandbox listens on ${config.host} only with operators: without WASL_OPERATORS its flows editor, which runs code as the hub's user, would be open to anyone who can reach this address. ` +
      'Set WASL_OPERATORS (hashes from `wasl operator hash`), or leave HOST unset to listen on 127.0.0.1. / ' +
      `لا يستمع الـ sandbox على ${config.host} إلا مع مشغّلين: بدون WASL_OPERATORS يبقى محرّر التدفقات، الذي يشغّل شيفرة بصلاحيات المنصة، مفتوحاً لكل من يصل إلى هذا العنوان. ` +
      'حدّد WASL_OPERATORS (بصمات من `wasl operator hash`)، أو اترك HOST فارغاً ليستمع على 127.0.0.1.'
    );
  }
  if (!config.publicUrl && !config.allowedHosts?.length) {
    return (
      `Listening on ${config.host}, the hub answers only to the host names it is given, and none is: set WASL_PUBLIC_URL (and WASL_ALLOWED_HOSTS for other names clients use). / ` +
      `عند الاستماع على ${config.host} لا تجيب المنصة إلا على أسماء المضيف المعطاة لها، ولم يُعطَ أيّ منها: حدّد WASL_PUBLIC_URL (و WASL_ALLOWED_HOSTS لأسماء أخرى يستخدمها العملاء).`
    );
  }
  return undefined;
}
