/**
 * The one HTTP client every connector shares: node:http / node:https with keep-alive agents,
 * one agent per origin and TLS identity, so sockets are reused across calls (a keep-alive
 * node:http agent does 4–5× the throughput of global fetch on loopback) and nock can intercept
 * it in tests.
 *
 * Every request has a connect timeout (TCP, and TLS when https; a reused keep-alive socket is
 * already connected), a total timeout, a response size limit enforced while streaming (so a
 * 50 MB or endless response costs at most the limit in memory), and maps every failure to the
 * connector error tree: TransportError(errno), TimeoutError('connect' | 'total'),
 * UnsafeResponse('size'). Aborting through `signal` rejects with the signal's reason.
 *
 * Responses are not compressed unless the caller asks (no Accept-Encoding is sent). A gzip,
 * deflate or brotli response is still decoded, as a stream, with the limit applied to the
 * decoded bytes, so a decompression bomb ends like any other oversized response.
 */
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import zlib from 'node:zlib';
import { TimeoutError, TransportError, UnsafeResponse } from '../errors';

export interface TlsOptions {
  /** PEM of a private CA to trust (instead of the system's). */
  ca?: string;
  /** PEM client certificate and key, for mutual TLS. */
  cert?: string;
  key?: string;
  passphrase?: string;
  rejectUnauthorized?: boolean;
}

export interface HttpRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  connectTimeoutMs: number;
  timeoutMs: number;
  maxResponseBytes: number;
  tls?: TlsOptions;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Decoded body (decompressed when the server compressed it). */
  body: Buffer;
  /** Request body bytes. */
  bytesSent: number;
  /** Response body bytes as they came over the wire (before decompression). */
  bytesReceived: number;
}

export interface HttpClientOptions {
  /** Sockets per origin (default 256); the provider's bulkhead is the real concurrency limit. */
  maxSocketsPerOrigin?: number;
  /** How long an idle keep-alive socket is kept (default 4 s, under Node's 5 s server default, so
   * we close first and rarely write into a socket the server is closing). */
  idleSocketMs?: number;
}

/** Sockets whose TCP (and TLS) connection completed: reused ones skip the connect timeout. */
const connected = new WeakSet<Socket>();
const ERRNO = /^[A-Z][A-Z0-9_]{1,63}$/;

export class HttpClient {
  private readonly agents = new Map<string, http.Agent>();
  private readonly maxSockets: number;
  private readonly idleSocketMs: number;

  constructor(opts: HttpClientOptions = {}) {
    this.maxSockets = opts.maxSocketsPerOrigin ?? 256;
    this.idleSocketMs = opts.idleSocketMs ?? 4000;
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const target = targetOf(req.url);
      if (typeof target === 'string') {
        reject(new TypeError(target));
        return;
      }
      if (req.signal?.aborted) {
        reject(req.signal.reason);
        return;
      }
      exchange(target, req, this.agentFor(target, req.tls), resolve, reject);
    });
  }

  /**
   * Where a request to `url` goes: the pooled agent and the parsed target, and the sockets known
   * to be connected. For ./stream.ts, so streamed exchanges share the keep-alive sockets and the
   * connect-timeout bookkeeping of buffered ones. A string says why the URL cannot be used.
   */
  route(url: string, tls?: TlsOptions): { agent: http.Agent; target: Readonly<Target>; connected: WeakSet<Socket> } | string {
    const target = targetOf(url);
    if (typeof target === 'string') return target;
    return { agent: this.agentFor(target, tls), target, connected };
  }

  /** Closes every pooled socket; the client stays usable (agents are created again on demand). */
  async close(): Promise<void> {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  /** Pooled sockets per origin, for tests and diagnostics. */
  socketCounts(): Record<string, { active: number; idle: number }> {
    const out: Record<string, { active: number; idle: number }> = {};
    for (const [key, agent] of this.agents) {
      const count = (m: NodeJS.ReadOnlyDict<Socket[]>) => Object.values(m).reduce((n, l) => n + (l?.length ?? 0), 0);
      out[key.split('|')[0]!] = { active: count(agent.sockets), idle: count(agent.freeSockets) };
    }
    return out;
  }

  private agentFor(target: Target, tls: TlsOptions | undefined): http.Agent {
    // The TLS identity is part of the key (hashed: the key must not hold a private key in clear).
    const key = target.tls && tls ? `${target.origin}|${tlsHash(tls)}` : target.origin;
    let agent = this.agents.get(key);
    if (agent) return agent;
    const common = { keepAlive: true, maxSockets: this.maxSockets, maxFreeSockets: this.maxSockets, scheduling: 'lifo' as const };
    agent = target.tls
      ? new https.Agent({ ...common, ca: tls?.ca, cert: tls?.cert, key: tls?.key, passphrase: tls?.passphrase, rejectUnauthorized: tls?.rejectUnauthorized ?? true })
      : new http.Agent(common);
    closeIdleAfter(agent, this.idleSocketMs);
    this.agents.set(key, agent);
    return agent;
  }
}

/**
 * Idle keep-alive sockets are closed after `ms` (or the server's Keep-Alive hint, when shorter),
 * so we close first rather than write into a socket the server is closing. Done here rather
 * than with the agent's `timeout` option, which also arms a timeout on every request (about
 * 10 µs of CPU each): the agent's own listener destroys a socket only while it is idle.
 */
function closeIdleAfter(agent: http.Agent, ms: number): void {
  const keep = agent.keepSocketAlive.bind(agent) as (socket: Socket) => boolean;
  (agent as unknown as { keepSocketAlive: (socket: Socket) => boolean }).keepSocketAlive = (socket) => {
    const ok = keep(socket);
    const hinted = (socket as Socket & { timeout?: number }).timeout;
    if (ok && (!hinted || hinted > ms)) socket.setTimeout(ms);
    return ok;
  };
}

/** Hashing PEMs costs microseconds: done once per TlsOptions object (connectors reuse theirs). */
const tlsHashes = new WeakMap<TlsOptions, string>();
function tlsHash(tls: TlsOptions): string {
  let h = tlsHashes.get(tls);
  if (h === undefined) {
    h = createHash('sha256')
      .update(JSON.stringify([tls.ca ?? '', tls.cert ?? '', tls.key ?? '', tls.passphrase ?? '', tls.rejectUnauthorized ?? true]))
      .digest('base64url');
    tlsHashes.set(tls, h);
  }
  return h;
}

/** What a request needs of its URL, parsed once per distinct URL (a bounded cache). */
interface Target {
  tls: boolean;
  origin: string;
  options: { protocol: string; hostname: string; port: string; path: string };
}
const targets = new Map<string, Target>();
const MAX_TARGETS = 1024;

function targetOf(raw: string): Target | string {
  const cached = targets.get(raw);
  if (cached) return cached;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'invalid request URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `unsupported protocol ${url.protocol}`;
  if (url.username || url.password) return 'credentials in a request URL are not supported: use the provider security settings';
  const target: Target = {
    tls: url.protocol === 'https:',
    origin: `${url.protocol}//${url.host}`,
    // IPv6 literals come bracketed in URL.hostname; net.connect wants them bare.
    options: { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: `${url.pathname}${url.search}` },
  };
  if (targets.size >= MAX_TARGETS) targets.clear();
  targets.set(raw, target);
  return target;
}

function exchange(target: Target, r: HttpRequest, agent: http.Agent, resolve: (res: HttpResponse) => void, reject: (err: unknown) => void): void {
  // The body goes in one req.end(): Node then writes Content-Length itself (no copy of the
  // caller's headers needed) and, for a string, headers and body in one write.
  const body = r.body;
  const bodyBytes = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  const isTls = target.tls;

  let settled = false;
  let connectTimer: NodeJS.Timeout | undefined;
  let req: http.ClientRequest;
  let sock: Socket | undefined;

  const fail = (err: unknown) => {
    if (settled) return;
    settled = true;
    cleanup();
    // A socket torn down mid-handshake may still report an error once nobody listens: that must
    // not become an uncaught exception.
    sock?.on('error', noop);
    req.destroy();
    reject(err);
  };
  const totalTimer = setTimeout(() => fail(new TimeoutError('total', r.timeoutMs)), r.timeoutMs);
  const onAbort = () => fail(r.signal!.reason);
  const cleanup = () => {
    clearTimeout(totalTimer);
    if (connectTimer) clearTimeout(connectTimer);
    r.signal?.removeEventListener('abort', onAbort);
  };

  try {
    const o = target.options;
    req = (isTls ? https : http).request({ protocol: o.protocol, hostname: o.hostname, port: o.port, path: o.path, method: r.method, headers: r.headers, agent });
  } catch (err) {
    // Invalid method or header characters: a bug or a misconfiguration, not a transport failure.
    clearTimeout(totalTimer);
    reject(err);
    return;
  }
  r.signal?.addEventListener('abort', onAbort, { once: true });

  req.on('socket', (socket: Socket) => {
    sock = socket;
    // A reused keep-alive socket is connected already: no timer. A new one is handed over before
    // its DNS lookup starts, so the timer covers DNS, TCP and TLS.
    if (connected.has(socket)) return;
    connectTimer = setTimeout(() => fail(new TimeoutError('connect', r.connectTimeoutMs)), r.connectTimeoutMs);
    socket.once(isTls ? 'secureConnect' : 'connect', () => {
      connected.add(socket);
      clearTimeout(connectTimer);
    });
  });

  req.on('error', (err) => fail(transportError(err)));

  req.on('response', (res) => {
    // A response implies a connection, even when a mock socket emitted no connect event.
    clearTimeout(connectTimer);
    const max = r.maxResponseBytes;
    readWhole(res, max, {
      stopped: () => settled,
      failed: fail,
      ended: (content, wire) => {
        settled = true;
        cleanup();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: content, bytesSent: bodyBytes, bytesReceived: wire });
      },
    });
  });

  if (typeof body === 'string') req.end(body, 'utf8');
  else if (body) req.end(body);
  else req.end();
}

/** What readWhole tells its caller; `stopped` says the exchange ended already (nothing more is reported then). */
export interface WholeBody {
  stopped(): boolean;
  failed(err: unknown): void;
  /** The decoded body, and the bytes that came over the wire for it. */
  ended(body: Buffer, wire: number): void;
  /** Bytes over the wire as they come. */
  arrived?(n: number): void;
}

/**
 * Reads a response's body whole, decoded by its Content-Encoding: UnsafeResponse('size') when
 * more than `max` bytes are declared (before reading), came over the wire or were decoded, a TransportError when the response
 * breaks, UnsafeResponse('malformed') when it cannot be decoded. Straight off the response's
 * events, with nothing between: the buffered client's read, and requestStream's buffer().
 */
export function readWhole(res: http.IncomingMessage, max: number, to: WholeBody): void {
  if (Number(res.headers['content-length']) > max) {
    to.failed(tooLarge(max));
    return;
  }
  const chunks: Buffer[] = [];
  let wire = 0;
  let decoded = 0;
  const keep = (chunk: Buffer) => {
    decoded += chunk.length;
    if (decoded > max) to.failed(tooLarge(max));
    else chunks.push(chunk);
  };
  const finish = () => {
    if (!to.stopped()) to.ended(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, decoded), wire);
  };
  const decoder = decoderFor(res.headers['content-encoding']);
  res.on('data', (chunk: Buffer) => {
    if (to.stopped()) return;
    wire += chunk.length;
    to.arrived?.(chunk.length);
    if (wire > max) to.failed(tooLarge(max));
    else if (decoder) decoder.write(chunk);
    else keep(chunk);
  });
  res.on('error', (err) => to.failed(transportError(err)));
  if (decoder) {
    decoder.on('data', keep);
    decoder.on('error', () => to.failed(new UnsafeResponse('malformed', 'the compressed body cannot be decoded')));
    decoder.on('end', finish);
    res.on('end', () => decoder.end());
  } else {
    res.on('end', finish);
  }
}

/** The decoder of a response's Content-Encoding (gzip, deflate, br); none for identity or unknown. */
export function decoderFor(encoding: string | undefined): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      return undefined;
  }
}

function noop(): void {}

function tooLarge(max: number): UnsafeResponse {
  return new UnsafeResponse('size', `response body over ${max} bytes`);
}

/** Keeps only the error code: Node's messages name hosts and paths, which do not belong in ours. */
export function transportError(err: unknown): TransportError {
  const code = (err as { code?: unknown } | null)?.code;
  return new TransportError(typeof code === 'string' && ERRNO.test(code) ? code : 'EUNKNOWN', { cause: err });
}

/** Shared by every connector in the process. */
export const sharedHttpClient = new HttpClient();
