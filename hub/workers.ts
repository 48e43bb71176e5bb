/**
 * The consumers a hub process runs: every subscription registered here is started on the bus
 * when the process has the worker role (`wasl start`, `wasl worker`), and stopped gracefully —
 * in-flight work finished — when it stops. The Node-RED runtime registers its flows' order-in
 * nodes here.
 */
import type { Bus, RetryPolicy, SubscribeOptions, Subscription } from './bus/bus';

export class Workers {
  /** `onError` hears of a subscription that could not start after the workers did (a flow deployed while the bus is down). */
  constructor(
    private readonly onError: (err: unknown, service: string) => void = () => undefined,
    /** The retry policy of subscriptions that name none (the bus's default when unset). */
    private readonly retry?: RetryPolicy,
  ) {}

  private readonly registered: SubscribeOptions[] = [];
  private readonly running: Subscription[] = [];
  private bus?: Bus;

  register(given: SubscribeOptions): void {
    const opts = given.retry || !this.retry ? given : { ...given, retry: this.retry };
    this.registered.push(opts);
    if (this.bus) {
      this.bus.subscribe(opts).then(
        (s) => this.running.push(s),
        (err: unknown) => this.onError(err, opts.service),
      );
    }
  }

  async start(bus: Bus): Promise<void> {
    this.bus = bus;
    for (const opts of this.registered) this.running.push(await bus.subscribe(opts));
  }

  get count(): number {
    return this.registered.length;
  }

  async stop(): Promise<void> {
    this.bus = undefined;
    await Promise.all(this.running.splice(0).map((s) => s.stop()));
  }
}
