/**
 * What wasl's Node-RED nodes reach of the hub they run in: the store (orders, the state machine,
 * the step journal), the workers (where order-in nodes subscribe to the bus), the environment
 * and where provider contracts live. Set once by the hub before Node-RED starts its flows; the
 * nodes' tests set one of their own.
 */
import type { Catalogue } from '../catalogue';
import type { Logger } from '../log';
import type { PaymentDesk } from '../payments/desk';
import type { PostDesk } from '../payments/post';
import type { Store } from '../store';
import type { Workers } from '../workers';
import type { WaslEnv } from '../config';

export interface HubContext {
  store: Store;
  workers: Workers;
  env: WaslEnv;
  /** contracts/providers, or a test's folder. */
  providersRoot: string;
  logger: Logger;
  /** Payments (wasl-payment) and the post (wasl-postal); absent in tests that do not need them. */
  payments?: PaymentDesk;
  post?: PostDesk;
  /** The service definitions, for flows shared by a pattern of services (service.json `flow`). */
  catalogue?: Catalogue;
}

let current: HubContext | undefined;

export function setHubContext(ctx: HubContext | undefined): void {
  current = ctx;
}

export function hubContext(): HubContext {
  if (!current) throw new Error('wasl nodes run only inside a wasl hub (no hub context is set)');
  return current;
}
