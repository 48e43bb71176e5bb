/**
 * The consumers a hub process runs: every subscription registered here is started on the bus
 * when the process has the worker role (`wasl start`, `wasl worker`), and stopped gracefully —
 * in-flight work finished — when it stops. The Node-RED runtime registers its flows' order-in
 * nodes here. The release gate (`gate`: release-gate.ts) says which services may take their
 * events in this process: a registration of another waits, its events left in its queue, until
 * `regate` finds it let through (a promotion); one no longer let through (a retirement) stops.
 */
import type { Bus, RetryPolicy, SubscribeOptions, Subscription } from './bus/bus';

export class Workers {
  /** `onError` hears of a subscription that could not start after the workers did (a flow deployed while the bus is down). */
  constructor(
    private readonly onError: (err: unknown, service: string) => void = () => undefined,
    /** The retry policy of subscriptions that name none (the bus's default when unset). */
    private readonly retry?: RetryPolicy,
  ) {}

  /** Whether a service may take its events here (the release gate); every service unless set. */
  gate: (service: string) => boolean = () => true;

  private readonly registered: SubscribeOptions[] = [];
  private readonly running = new Map<SubscribeOptions, Promise<Subscription | undefined>>();
  private bus?: Bus;

  register(given: SubscribeOptions): void {
    const opts = given.retry || !this.retry ? given : { ...given, retry: this.retry };
    this.registered.push(opts);
    if (this.bus && this.gate(opts.service)) void this.open(opts);
  }

  private open(opts: SubscribeOptions): Promise<Subscription | undefined> {
    const sub = this.bus!.subscribe(opts).catch((err: unknown) => {
      this.running.delete(opts);
      this.onError(err, opts.service);
      return undefined;
    });
    this.running.set(opts, sub);
    return sub;
  }

  async start(bus: Bus): Promise<void> {
    this.bus = bus;
    for (const opts of this.registered) {
      if (this.gate(opts.service)) this.running.set(opts, Promise.resolve(await bus.subscribe(opts)));
    }
  }

  /** Subscribes what the gate now lets through, and stops (its in-flight work finished) what it no longer does. */
  async regate(): Promise<void> {
    if (!this.bus) return;
    const pending: Array<Promise<unknown>> = [];
    for (const opts of this.registered) {
      const sub = this.running.get(opts);
      const allowed = this.gate(opts.service);
      if (allowed && !sub) pending.push(this.open(opts));
      else if (!allowed && sub) {
        this.running.delete(opts);
        pending.push(sub.then((s) => s?.stop()));
      }
    }
    await Promise.all(pending);
  }

  get count(): number {
    return this.registered.length;
  }

  async stop(): Promise<void> {
    this.bus = undefined;
    const subs = [...this.running.values()];
    this.running.clear();
    await Promise.all(subs.map((s) => s.then((sub) => sub?.stop())));
  }
}
