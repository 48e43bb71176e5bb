/**
 * One AMQP connection that comes back by itself: connect, and when the broker closes it (restart,
 * `rabbitmqctl close_all_connections`, a network cut, a missed heartbeat) connect again with
 * exponential backoff and jitter, for ever, until close().
 *
 * Written here rather than taken from amqp-connection-manager or amqplib's own `recovery`:
 * both hand out channels that outlive the connection they came from, and
 * amqp-connection-manager acknowledges a message on whichever channel is current — after a
 * reconnect that is a new channel, where the old delivery tag is unknown, and the broker closes
 * it (406 PRECONDITION_FAILED). It also keeps unconfirmed publishes in memory and resends them,
 * hiding a lost connection from the outbox relay, which must see the failure to retry from the
 * store. Here every connection has a generation; a channel belongs to one, a message is settled
 * only on the channel that delivered it, and a publish whose connection dies fails.
 */
import { EventEmitter } from 'node:events';
import * as amqp from 'amqplib';
import type { Logger } from '../../log';

export interface LinkOptions {
  url: string;
  /** Shows in `rabbitmqctl list_connections client_properties`, e.g. "wasl publish 1234". */
  name: string;
  logger: Logger;
  /** First reconnect delay; it doubles up to maxDelayMs, ±20% jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Seconds; a dead peer is noticed after about twice this. Unless the URL sets it. */
  heartbeat?: number;
}

export interface Connected {
  conn: amqp.ChannelModel;
  generation: number;
}

export class BusUnavailableError extends Error {
  readonly code = 'bus-unavailable';
  override name = 'BusUnavailableError';
}

/** The URL without its password, for logs and health. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'amqp://(unparsable url)';
  }
}

function withHeartbeat(url: string, seconds: number): string {
  try {
    const u = new URL(url);
    if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Emits 'up' (Connected) after every successful connection and 'down' (Error) when one is lost.
 * Listeners of 'up' re-create their channels; they must not assume the previous channels live.
 */
export class Link extends EventEmitter {
  private current?: Connected;
  private generation = 0;
  private stopped = false;
  private loop?: Promise<void>;
  private attempt = 0;
  private lastError = 'not connected yet';
  private downSince = new Date();
  private readonly url: string;
  private wake?: () => void;
  /** Set while the broker blocks this connection's publishes (a memory or disk alarm). */
  private blocked?: string;

  constructor(private readonly opts: LinkOptions) {
    super();
    // Every publish waiting for a connection listens for 'up': many at once is normal.
    this.setMaxListeners(0);
    this.url = withHeartbeat(opts.url, opts.heartbeat ?? 10);
    // A listener so that an 'error' emitted with nobody listening does not throw.
    this.on('error', () => undefined);
  }

  get connected(): boolean {
    return this.current !== undefined;
  }

  /** For health(): why it is down, since when, and how many attempts so far. */
  status(): { ok: boolean; detail: string } {
    if (this.current && this.blocked) return { ok: false, detail: `${this.opts.name}: blocked by the broker (${this.blocked})` };
    if (this.current) return { ok: true, detail: `${this.opts.name}: connected to ${safeUrl(this.opts.url)}` };
    const since = this.downSince.toISOString();
    return { ok: false, detail: `${this.opts.name}: disconnected since ${since} (${this.lastError}); reconnect attempt ${this.attempt}` };
  }

  /** Starts connecting; resolves on the first connection, rejects if none within timeoutMs (and stops). */
  async start(timeoutMs: number): Promise<void> {
    this.loop ??= this.run();
    try {
      await this.ready(timeoutMs);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** The live connection, waiting for one up to timeoutMs. */
  ready(timeoutMs: number): Promise<Connected> {
    if (this.current) return Promise.resolve(this.current);
    if (this.stopped) return Promise.reject(new BusUnavailableError(`${this.opts.name}: closed`));
    return new Promise<Connected>((resolve, reject) => {
      const onUp = (c: Connected) => {
        clearTimeout(timer);
        this.off('stopped', onStop);
        resolve(c);
      };
      const onStop = () => {
        clearTimeout(timer);
        this.off('up', onUp);
        reject(new BusUnavailableError(`${this.opts.name}: closed`));
      };
      const timer = setTimeout(() => {
        this.off('up', onUp);
        this.off('stopped', onStop);
        reject(new BusUnavailableError(`RabbitMQ unreachable for ${timeoutMs} ms: ${this.status().detail}`));
      }, timeoutMs);
      this.once('up', onUp);
      this.once('stopped', onStop);
    });
  }

  private delay(): number {
    const base = Math.min(this.opts.maxDelayMs ?? 5_000, (this.opts.initialDelayMs ?? 100) * 2 ** Math.min(this.attempt, 16));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private async run(): Promise<void> {
    const log = this.opts.logger;
    while (!this.stopped) {
      try {
        const conn = await amqp.connect(this.url, { timeout: 5_000, clientProperties: { connection_name: this.opts.name } });
        if (this.stopped) {
          await conn.close().catch(() => undefined);
          break;
        }
        const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
        conn.on('error', (err: Error) => log.warn({ link: this.opts.name, err: err.message }, 'rabbitmq connection error'));
        conn.on('blocked', (reason: string) => {
          this.blocked = reason || 'resource alarm';
          log.warn({ link: this.opts.name, reason }, 'rabbitmq blocked the connection (resource alarm)');
        });
        conn.on('unblocked', () => {
          this.blocked = undefined;
          log.info({ link: this.opts.name }, 'rabbitmq unblocked the connection');
        });
        conn.on('handler-error', (err: Error, event: string) => log.error({ link: this.opts.name, event, err: err.message }, 'error in a connection event handler'));
        this.current = { conn, generation: ++this.generation };
        if (this.attempt > 0) log.info({ link: this.opts.name, generation: this.generation, attempts: this.attempt }, 'rabbitmq reconnected');
        this.attempt = 0;
        this.emit('up', this.current);
        const err = await closed;
        this.current = undefined;
        this.blocked = undefined;
        this.downSince = new Date();
        this.lastError = err?.message ?? 'closed';
        if (this.stopped) break;
        log.warn({ link: this.opts.name, err: this.lastError }, 'rabbitmq connection lost; reconnecting');
        this.emit('down', err ?? new Error('closed'));
      } catch (err) {
        this.lastError = (err as Error).message;
        if (this.attempt % 10 === 0) log.warn({ link: this.opts.name, attempt: this.attempt, err: this.lastError }, 'rabbitmq connect failed; retrying');
      }
      if (this.stopped) break;
      const ms = this.delay();
      this.attempt++;
      await new Promise<void>((resolve) => {
        // Not unref'd: a worker whose broker is down must stay up and keep trying, not exit.
        const timer = setTimeout(resolve, ms);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async close(): Promise<void> {
    if (this.stopped) return this.loop;
    this.stopped = true;
    this.emit('stopped');
    this.wake?.();
    const c = this.current;
    if (c) await c.conn.close().catch(() => undefined);
    await this.loop;
  }
}
