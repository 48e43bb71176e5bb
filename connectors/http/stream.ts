/**
 * A request whose response body is handed on as a stream instead of buffered: for documents (a
 * signed PDF), which go straight into a document sink and must never sit whole in memory.
 *
 * The exchange resolves when the response head arrives; the caller then looks at the status and
 * the media type and decides what the body is: `body(max, tooLarge)` streams it with a limit
 * that fails the stream — and tears the socket down — as soon as more than `max` bytes arrive
 * (declared by Content-Length, over the wire, or decoded), so at most `max` bytes ever pass;
 * `buffer(max)` reads an error body as the buffered client would; `discard()` drops it.
 *
 * Sockets, agents and connect timeouts are those of the shared HttpClient (./client.ts
 * `route`). The total timeout runs until the body has been read to its end, so a consumer as
 * slow as a trickling server ends in TimeoutError('total') too. Failures map to the same error
 * tree: TransportError, TimeoutError, UnsafeResponse('size' or the caller's own), and an abort
 * through `signal` with the signal's reason.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { PassThrough, pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { isConnectorError, TimeoutError, UnsafeResponse } from '../errors';
import { decoderFor, readWhole, transportError, type HttpClient, type HttpRequest } from './client';

export type StreamRequest = Omit<HttpRequest, 'maxResponseBytes'>;

export interface StreamedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Request body bytes. */
  bytesSent: number;
  /** Response body bytes over the wire so far (before decompression). */
  readonly bytesReceived: number;
  /**
   * The decoded body, read once. It fails with `tooLarge()` as soon as more than `maxBytes` are
   * declared or arrive, having passed on at most `maxBytes`, and with the exchange's own error
   * (timeout, transport, abort) otherwise. Destroying it ends the exchange.
   */
  body(maxBytes: number, tooLarge: () => Error): Readable;
  /** The whole decoded body, up to `maxBytes` (UnsafeResponse('size') beyond), as the buffered client reads it. */
  buffer(maxBytes: number): Promise<Buffer>;
  /** Ends the exchange without reading the body; the socket is closed, not pooled. */
  discard(): void;
}

export function requestStream(client: HttpClient, r: StreamRequest): Promise<StreamedResponse> {
  return new Promise<StreamedResponse>((resolve, reject) => {
    const route = client.route(r.url, r.tls);
    if (typeof route === 'string') {
      reject(new TypeError(route));
      return;
    }
    if (r.signal?.aborted) {
      reject(r.signal.reason);
      return;
    }
    exchange(route, r, resolve, reject);
  });
}

type Route = Exclude<ReturnType<HttpClient['route']>, string>;

function exchange({ agent, target, connected }: Route, r: StreamRequest, resolve: (res: StreamedResponse) => void, reject: (err: unknown) => void): void {
  const body = r.body;
  const bodyBytes = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  let headDone = false;
  let over = false;
  let taken = false;
  let wire = 0;
  let pending: unknown;
  let connectTimer: NodeJS.Timeout | undefined;
  let sock: Socket | undefined;
  let res: http.IncomingMessage | undefined;
  let out: Readable | undefined;
  /** A `buffer()` read's rejection: what the exchange's failure goes to when no stream was taken. */
  let bufferFailed: ((err: unknown) => void) | undefined;
  let req: http.ClientRequest;

  const end = () => {
    if (over) return false;
    over = true;
    clearTimeout(totalTimer);
    if (connectTimer) clearTimeout(connectTimer);
    r.signal?.removeEventListener('abort', onAbort);
    return true;
  };
  const fail = (err: unknown) => {
    if (!end()) return;
    // A socket torn down mid-exchange may still report an error once nobody listens.
    sock?.on('error', noop);
    req.destroy();
    res?.destroy();
    if (!headDone) {
      headDone = true;
      reject(err);
    } else if (out) out.destroy(err as Error);
    else if (bufferFailed) bufferFailed(err);
    else pending = err;
  };
  const totalTimer = setTimeout(() => fail(new TimeoutError('total', r.timeoutMs)), r.timeoutMs);
  const onAbort = () => fail(r.signal!.reason);

  try {
    const o = target.options;
    req = (target.tls ? https : http).request({ protocol: o.protocol, hostname: o.hostname, port: o.port, path: o.path, method: r.method, headers: r.headers, agent });
  } catch (err) {
    clearTimeout(totalTimer);
    reject(err);
    return;
  }
  r.signal?.addEventListener('abort', onAbort, { once: true });

  req.on('socket', (socket: Socket) => {
    sock = socket;
    if (connected.has(socket)) return;
    connectTimer = setTimeout(() => fail(new TimeoutError('connect', r.connectTimeoutMs)), r.connectTimeoutMs);
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      connected.add(socket);
      clearTimeout(connectTimer);
    });
  });
  req.on('error', (err) => fail(transportError(err)));

  req.on('response', (incoming) => {
    clearTimeout(connectTimer);
    res = incoming;
    headDone = true;
    const take = (maxBytes: number, tooLarge: () => Error): Readable => {
      if (taken) throw new Error('the response body is read once');
      taken = true;
      if (over) {
        const dead = new PassThrough();
        dead.destroy((pending ?? new Error('the exchange is over')) as Error);
        return dead;
      }
      const limited = new Limit(maxBytes, tooLarge);
      out = limited;
      if (Number(incoming.headers['content-length']) > maxBytes) {
        fail(tooLarge());
        return limited;
      }
      const countWire = new Limit(maxBytes, tooLarge, (n) => (wire += n));
      const decoder = decoderFor(incoming.headers['content-encoding']);
      const done = (err: NodeJS.ErrnoException | null) => {
        if (!err) return;
        if (isConnectorError(err)) fail(err);
        else if (typeof err.code === 'string' && err.code.startsWith('Z_')) fail(new UnsafeResponse('malformed', 'the compressed body cannot be decoded'));
        else fail(transportError(err));
      };
      // The limited stream stays out of the pipeline, so what its reader sees is the mapped error
      // (TransportError, not Node's "aborted") that `fail` destroys it with.
      const source = decoder ? pipeline(incoming, countWire, decoder, done) : pipeline(incoming, countWire, done);
      source.pipe(limited);
      limited.once('error', (err) => fail(err));
      limited.once('end', end);
      // The consumer let go of the body before its end: nothing more is wanted of the exchange.
      limited.once('close', () => {
        if (!limited.readableEnded) fail(limited.errored ?? new Error('the response body was abandoned'));
      });
      return limited;
    };
    resolve({
      status: incoming.statusCode ?? 0,
      headers: incoming.headers,
      bytesSent: bodyBytes,
      get bytesReceived() {
        return wire;
      },
      body: take,
      // Read as the buffered client reads (./client.ts readWhole): straight off the response,
      // nothing between — a pipeline per call cost more than the rest of the read (its
      // AbortController's DOMException alone about 35 us an order under bench:e2e).
      buffer: (maxBytes) =>
        new Promise<Buffer>((ok, ko) => {
          if (taken) throw new Error('the response body is read once');
          taken = true;
          if (over) {
            ko(pending ?? new Error('the exchange is over'));
            return;
          }
          bufferFailed = ko;
          readWhole(incoming, maxBytes, {
            stopped: () => over,
            failed: fail,
            arrived: (n) => (wire += n),
            ended: (content) => {
              end();
              ok(content);
            },
          });
        }),
      discard: () => {
        if (!end()) return;
        sock?.on('error', noop);
        req.destroy();
        incoming.destroy();
      },
    });
  });

  if (typeof body === 'string') req.end(body, 'utf8');
  else if (body) req.end(body);
  else req.end();
}

/** Passes bytes on until more than `max` have come, then fails with `tooLarge()` without passing the chunk that crossed. */
class Limit extends Transform {
  private seen = 0;
  constructor(
    private readonly max: number,
    private readonly tooLarge: () => Error,
    private readonly count?: (n: number) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    this.count?.(chunk.length);
    if (this.seen > this.max) cb(this.tooLarge());
    else cb(null, chunk);
  }
}

function noop(): void {}
